import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../demo/run-demo.ts';
import { loadConfig } from '../../jobs/config.ts';
import { CHROMIUM, CHROMIUM_FLAGS, signInAt } from './web-hub.ts';

/**
 * Every main screen of the web app, in the demo as a newcomer runs it (`npm run demo`: the embedded
 * database, the sandbox shops, the seeded catalogue, purchases, settlements and a failed payload),
 * as the user each screen is for: each shows its content, none its error state. With
 * HUB_SCREENSHOTS=<dir> (`npm run screenshots` → docs/screens) it also saves what it saw.
 */
const SHOTS = process.env.HUB_SCREENSHOTS ? resolve(process.env.HUB_SCREENSHOTS) : undefined;

let dataDir: string;
let stop!: () => void;
let demo: Promise<void>;
let browser: Browser;
let address: string;
const passwords = new Map<string, string>();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'orderhub-screens-'));
  const until = new Promise<void>((r) => (stop = r));
  let ready!: () => void;
  let failed!: (error: unknown) => void;
  const up = new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject)));
  const print = (line: string) => {
    const web = /^\[demo\] web app: (\S+)\/ —/.exec(line);
    if (web) address = web[1]!;
    const login = /^ {2}(\S+) +(demo-\S+) +\S+/.exec(line);
    if (login) passwords.set(login[1]!, login[2]!);
    if (line.startsWith('[demo] syncing every')) ready();
  };
  demo = runDemo({ config: loadConfig({ HUB_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }), everySeconds: 59, print, until });
  demo.catch(failed);
  await up;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  stop?.();
  await demo?.catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function signIn(login: string, locale: 'ru' | 'en', viewport = { width: 1280, height: 800 }): Promise<Page> {
  return (await signInAt(browser, address, { login, password: passwords.get(login)! }, { locale, viewport })).page;
}

/** The calendar date `offset` days from today. */
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** Opens a screen and checks it shows its title and content, not an error; saves it when asked. */
async function screen(page: Page, path: string, shot: string, ready?: (page: Page) => Promise<unknown>): Promise<void> {
  if (path) await page.goto(`${address}${path}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await expect.poll(() => page.locator('.state-loading').count(), { message: `${path}: still loading` }).toBe(0);
  if (ready) await ready(page);
  const errors = await page.locator('.state-error').allTextContents();
  expect(errors, `${path} shows an error`).toEqual([]);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: false });
}

describe('every main screen in the demo', () => {
  it('the dealer cabinet, in Russian: orders, an order card, a purchase with availability by date, purchases, settlements, points, notifications, profile, employees', async () => {
    const page = await signIn('kert.head', 'ru');
    await screen(page, '/dealer/orders', 'dealer-orders', (p) => p.getByRole('row').nth(1).waitFor());
    await page.getByRole('row').nth(1).click();
    await screen(page, '', 'dealer-order-card', async (p) => {
      await p.getByRole('button', { name: 'Взять' }).waitFor();
      // The history speaks the screen's language too (the hub sends its facts, not only English text).
      await p.getByText(/^Предложен вам \(/).first().waitFor();
    });
    await screen(page, '/dealer/purchase', 'dealer-purchase', async (p) => {
      await p.getByRole('searchbox', { name: 'Поиск по каталогу' }).fill('KP-TOLGY');
      // The search narrows the list as it is typed: add the oak bench itself once it is the only one left.
      await expect.poll(() => p.getByRole('button', { name: /^Добавить .* в заказ$/ }).count()).toBe(1);
      await p.getByRole('button', { name: /^Добавить Kerti pad – tölgy в заказ$/ }).click();
      await p.getByRole('textbox', { name: /^Количество/ }).first().fill('100');
      // The demo's supply of 70 arrives in 7 days: wanted in 10, all 100 can come.
      await p.getByLabel('Нужно к дате').fill(day(10));
      await p.getByTestId('purchase-total').waitFor();
      await p.getByText(/из поставки/).first().waitFor();
    });
    await screen(page, '/dealer/purchases', 'dealer-purchases', (p) => p.getByRole('link', { name: /KERT-PO-0001|PO-/ }).first().waitFor());
    // The demo's settlement documents are of the last two months.
    await screen(page, `/dealer/settlements?from=${day(-60)}&to=${day(0)}`, 'dealer-settlements', (p) => p.getByTestId('closing-balance').waitFor());
    // The hub stores notices in English; the Russian screen words the ones it knows itself.
    await screen(page, '/dealer/notifications', 'dealer-notifications', (p) => p.getByText(/^Вам предложен заказ /).first().waitFor());
    for (const path of ['/dealer/points', '/dealer/profile', '/dealer/employees']) await screen(page, path, path.slice(1).replace('/', '-'));
    await page.context().close();
  });

  it('the dealer cabinet on a phone', async () => {
    const page = await signIn('kert.anna', 'ru', { width: 390, height: 844 });
    await screen(page, '/dealer/orders', 'phone-dealer-orders', (p) => p.getByRole('row').nth(1).waitFor());
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width, 'the page itself does not scroll sideways on a phone').toBeLessThanOrEqual(390);
    await page.context().close();
  });

  it('the ops console: channels, failures with the failed payload, the review queue, the distribution strategy', async () => {
    const page = await signIn('ops', 'en');
    await screen(page, '/ops/channels', 'ops-channels', (p) => p.getByText('Demo Woo shop HU').first().waitFor());
    await screen(page, '/ops/payloads', 'ops-failures', (p) => p.getByRole('link', { name: /^Payload received .* from Demo Woo shop HU$/ }).first().waitFor());
    await page.getByRole('link', { name: /^Payload received .* from Demo Woo shop HU$/ }).first().click();
    await screen(page, '', 'ops-payload', (p) => p.getByRole('button', { name: 'Reprocess' }).waitFor());
    await screen(page, '/ops/reviews', 'ops-reviews');
    await screen(page, '/ops/distribution', 'ops-distribution', (p) => p.getByRole('group', { name: /^Tier 1:/ }).waitFor());
    await page.context().close();
  });

  it('the admin screens: a channel form from its connector\'s schema, dealers, regions, exclusivity, users, audit, own account', async () => {
    const page = await signIn('admin', 'en');
    await screen(page, '/ops/channels/new', 'admin-channel-form');
    await screen(page, '/ops/dealers', 'admin-dealers', (p) => p.getByText('BP-KERT').first().waitFor());
    await screen(page, '/ops/dealers/BP-KERT', 'admin-dealer');
    for (const path of ['/ops/regions', '/ops/exclusivity', '/ops/users', '/ops/audit', '/account']) await screen(page, path, path.slice(1).replace('/', '-'));
    await page.context().close();
  });

  it('the accountant\'s views: turnover with its chart, settlements per dealer', async () => {
    const page = await signIn('accountant', 'ru');
    // The sandbox shops' orders are dated 2024: the turnover since then shows every channel.
    await screen(page, `/reports/turnover?from=2024-01-01&to=${day(0)}`, 'accounting-turnover', (p) => p.getByRole('img').first().waitFor());
    await screen(page, '/settlements', 'accounting-settlements', (p) => p.getByText('BP-KERT').first().waitFor());
    await screen(page, `/settlements/BP-KERT?from=${day(-60)}&to=${day(0)}`, 'accounting-settlements-dealer', (p) => p.getByTestId('closing-balance').waitFor());
    await page.context().close();
  });
});
