import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebHub, type WebHub } from './web-hub.ts';

// The web app in a real browser (Debian's chromium) against a hub on a real port.
let web: WebHub;

beforeAll(async () => {
  web = await startWebHub();
}, 120_000);

afterAll(async () => {
  await web?.close();
});

describe('signing in', () => {
  it('refuses a wrong password with the API\'s message and signs in with the right one, in Russian by choice', async () => {
    const person = await web.person('olga', ['ops']);
    const context = await web.browser.newContext({ locale: 'ru-RU' });
    try {
      const page = await context.newPage();
      await page.goto(web.url);
      await page.getByLabel('Логин').fill('olga');
      await page.getByLabel('Пароль').fill('not-the-password');
      await page.getByRole('button', { name: 'Войти' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Login or password is wrong');
      await page.getByLabel('Пароль').fill(person.password);
      await page.getByRole('button', { name: 'Войти' }).click();
      await page.getByRole('button', { name: 'Выйти' }).waitFor();
      expect(await page.locator('html').getAttribute('lang')).toBe('ru');
      // A reload keeps the session (the cookie), and signing out ends it.
      await page.reload();
      await page.getByRole('button', { name: 'Выйти' }).click();
      await page.getByRole('button', { name: 'Войти' }).waitFor();
      const me = await page.evaluate(async () => (await fetch('/v1/auth/me')).status);
      expect(me).toBe(401);
    } finally {
      await context.close();
    }
  });
});
