import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildApp } from '../../api/app.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { actingAs, makeUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

/** Debian's chromium (apt), never a downloaded browser; .ci/run installs it when absent. */
export const CHROMIUM = process.env.HUB_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
export interface Person {
  login: string;
  password: string;
}

/**
 * A hub as a deployment runs it (real PostgreSQL, the real connectors and actions, the API and the
 * web app on a real port) and a browser to use it with.
 */
export interface WebHub {
  t: TestDatabase;
  hub: Hub;
  app: FastifyInstance;
  /** The API acting as an admin (setting the scene). */
  admin: FastifyInstance;
  url: string;
  browser: Browser;
  /** A person with a password (made through core, as the CLI makes them). */
  person(login: string, roles: Parameters<typeof makeUser>[1]['roles'], dealer?: string): Promise<Person>;
  /** A fresh browser (own cookies) signed in as the person, on a page of the app. */
  signedIn(person: Person, options?: { locale?: 'ru' | 'en'; viewport?: { width: number; height: number } }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export async function startWebHub(): Promise<WebHub> {
  const t = await createTestPostgres();
  const hub = await createHub(loadConfig({}), { db: t.db, schedules: false });
  const app = await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const admin = actingAs(app, await makeUser(t.db, { roles: ['admin'] }));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  const contexts: BrowserContext[] = [];
  return {
    t,
    hub,
    app,
    admin,
    url,
    browser,
    async person(login, roles, dealer) {
      const password = `pw-${login}-0123456789`;
      await makeUser(t.db, { login, roles, ...(dealer && { dealer }), password });
      return { login, password };
    },
    async signedIn(person, options = {}) {
      const signed = await signInAt(browser, url, person, options);
      contexts.push(signed.context);
      return signed;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await app.close();
      await hub.close();
      await t.drop();
    },
  };
}

/** A fresh browser context (own cookies) in the app's language, signed in through the sign-in screen as a person does. */
export async function signInAt(
  browser: Browser,
  url: string,
  person: Person,
  options: { locale?: 'ru' | 'en'; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const locale = options.locale ?? 'en';
  const context = await browser.newContext({ locale: locale === 'ru' ? 'ru-RU' : 'en-GB', viewport: options.viewport ?? { width: 1280, height: 860 }, timezoneId: 'Europe/Budapest' });
  // The app's language is the user's choice, kept in the browser.
  await context.addInitScript({ content: `localStorage.setItem('orderhub.locale', '${locale}')` });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByLabel(locale === 'ru' ? 'Логин' : 'Login').fill(person.login);
  await page.getByLabel(locale === 'ru' ? 'Пароль' : 'Password').fill(person.password);
  await page.getByRole('button', { name: locale === 'ru' ? 'Войти' : 'Sign in' }).click();
  await page.getByRole('button', { name: locale === 'ru' ? 'Выйти' : 'Sign out' }).waitFor();
  return { context, page };
}
