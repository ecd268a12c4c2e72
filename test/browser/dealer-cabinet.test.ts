import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channel, phoneOrder, twoDealersInBudapest } from './scene.ts';
import { startWebHub, type WebHub } from './web-hub.ts';

// The dealer story in a real browser: an offer arrives live, one dealer takes it and sees the
// client's phone, completes it and gets its points, while the other dealer hears "already taken".
let web: WebHub;
let deskChannel: string;

beforeAll(async () => {
  web = await startWebHub();
  await twoDealersInBudapest(web);
  deskChannel = await channel(web, 'Phone desk', 'manual', { desk: 'Phone orders Budapest' });
}, 120_000);

afterAll(async () => {
  await web?.close();
});

describe('the dealer cabinet', () => {
  it('shows a new offer live to both dealers; the first takes it and sees the phone, the second hears it is taken; completing gives +100 points', async () => {
    const kert = await web.signedIn(await web.person('kert.head', ['dealer_head'], 'BP-KERT'));
    const pad = await web.signedIn(await web.person('pad.head', ['dealer_head'], 'BP-PAD'));
    for (const { page } of [kert, pad]) {
      await page.getByRole('tab', { name: /Available/ }).waitFor();
      await page.getByText('No orders are offered to you right now.').waitFor();
      // Connected to the live events: without them the lists would only refresh every 30 s, and this test is about live.
      await expect.poll(() => page.getByTestId('live-indicator').textContent()).toContain('live');
    }

    // The sales desk records a phone order: the hub offers it to both Budapest dealers, and their open lists show it without a reload.
    const { orderId, number } = await phoneOrder(web, deskChannel, { name: 'Kovács Péter', phone: '+36 30 123 4567' });
    const rowOf = (page: typeof kert.page) => page.getByRole('row', { name: new RegExp(`\\b${number}\\b`) });
    await rowOf(kert.page).waitFor();
    await rowOf(pad.page).waitFor();
    await kert.page.getByText('New order offered').first().waitFor();
    expect(await kert.page.getByRole('tab', { name: /Available/ }).textContent()).toContain('1');

    // Before taking it the client's phone is hidden; after, it is a tel: link.
    await rowOf(kert.page).click();
    await kert.page.getByText('Phone is shown after you take the order').waitFor();
    expect(await kert.page.getByText('+36 30 123 4567').count()).toBe(0);
    await kert.page.getByRole('button', { name: 'Take', exact: true }).click();
    const phone = kert.page.getByRole('link', { name: /\+36 30 123 4567/ });
    await phone.waitFor();
    expect(await phone.getAttribute('href')).toMatch(/^tel:\+36\s?30\s?123\s?4567$|^tel:\+36301234567$/);

    // The other dealer: the offer leaves its list by itself, and the order's page says it is taken.
    await rowOf(pad.page).waitFor({ state: 'detached' });
    await pad.page.goto(`${web.url}/dealer/orders/${orderId}`);
    await expect.poll(() => pad.page.getByRole('alert').allTextContents()).toContainEqual(expect.stringContaining('already taken by another dealer'));
    expect(await pad.page.getByText('+36 30 123 4567').count()).toBe(0);

    // Contacted → in progress → completed, and the points the completion gave.
    for (const step of ['Contacted', 'In progress', 'Completed']) {
      const button = kert.page.getByRole('button', { name: new RegExp(`^(Mark as: )?${step}$`) });
      await button.click();
      await expect.poll(() => button.isVisible()).toBe(false);
    }
    await expect.poll(() => kert.page.getByTestId('points-change').textContent()).toContain('+100 points');
    const points = await web.admin.inject({ method: 'GET', url: '/v1/dealers/BP-KERT/points' });
    expect(points.json()).toMatchObject({ items: [{ delta: 100, balance: 100, cause: 'order_completed' }] });
  });
});

describe('the dealer cabinet with the keyboard alone', () => {
  it('signs in, opens an offer from the list and takes it without a mouse', async () => {
    const person = await web.person('kert.anna', ['dealer_manager'], 'BP-KERT');
    const { number } = await phoneOrder(web, deskChannel, { name: 'Szabó Lili', phone: '+36 70 222 3333' });
    const context = await web.browser.newContext({ locale: 'en-GB' });
    try {
      const page = await context.newPage();
      await page.goto(web.url);
      await page.getByLabel('Login').focus();
      await page.keyboard.type(person.login);
      await page.keyboard.press('Tab');
      await page.keyboard.type(person.password);
      await page.keyboard.press('Enter');
      await page.getByRole('tab', { name: /Available/ }).waitFor();

      // Tab until the element has the focus, then Enter: the offer's row opens the card, Take takes it.
      const tabTo = async (target: ReturnType<typeof page.getByRole>, what: string) => {
        await target.waitFor();
        let reached = false;
        for (let stop = 0; stop < 60 && !reached; stop += 1) {
          await page.keyboard.press('Tab');
          reached = await target.evaluate((element) => element === element.ownerDocument.activeElement);
        }
        expect(reached, `${what} is reachable with Tab`).toBe(true);
        await page.keyboard.press('Enter');
      };
      await tabTo(page.getByRole('row', { name: new RegExp(`\\b${number}\\b`) }), 'the offer in the list');
      await tabTo(page.getByRole('button', { name: 'Take', exact: true }), 'Take');
      await page.getByRole('link', { name: /\+36 70 222 3333/ }).waitFor();
    } finally {
      await context.close();
    }
  });
});
