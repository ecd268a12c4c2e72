import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channel, payloadAnOldMappingRefused, phoneOrder, twoDealersInBudapest } from './scene.ts';
import { startWebHub, type WebHub } from './web-hub.ts';

// Ops and the manufacturer's admin in a real browser: a failed payload found and read again, and a
// distribution tier changed after a what-if.
let web: WebHub;

beforeAll(async () => {
  web = await startWebHub();
  await twoDealersInBudapest(web);
}, 120_000);

afterAll(async () => {
  await web?.close();
});

describe('the ops console', () => {
  it('lets ops find a payload that failed, see its error and raw body, and reprocess it into an order', async () => {
    const shop = await channel(web, 'Webshop HU', 'woocommerce', { url: 'https://shop.example', consumerKey: 'ck_0123456789', consumerSecret: 'cs_0123456789' });
    // The WooCommerce REST API docs' order as the shop sends it in a webhook; an older mapping refused it.
    const body = await readFile(new URL('../fixtures/woocommerce/order-727.json', import.meta.url), 'utf8');
    const payloadId = await payloadAnOldMappingRefused(web, shop, body);

    const { page } = await web.signedIn(await web.person('olga', ['ops']));
    await page.getByRole('link', { name: 'Failures' }).click();
    await page.getByRole('tab', { name: 'Failed payloads' }).waitFor();
    await page.getByRole('link', { name: /^Payload received .* from Webshop HU$/ }).click();
    await page.getByText('meta_data "_billing_tax_number" is not a string').first().waitFor();
    await page.getByText('"order_key": "wc_order_58d2d042d1d"').first().waitFor();

    await page.getByRole('button', { name: 'Reprocess' }).click();
    await expect.poll(() => page.getByTestId('reprocess-outcome').textContent()).toMatch(/^Read\./);

    const orders = await web.admin.inject({ method: 'GET', url: `/v1/orders?channelId=${shop}` });
    expect(orders.json<{ items: { externalId: string }[] }>().items.map((o) => o.externalId)).toContain('727');
    const payload = await web.admin.inject({ method: 'GET', url: `/v1/raw-payloads/${payloadId}` });
    expect(payload.json()).toMatchObject({ status: 'parsed' });
  });

  it('lets an admin change a tier\'s window after a what-if over past orders, and saves it as a new version', async () => {
    const desk = await channel(web, 'Phone desk', 'manual', {});
    await phoneOrder(web, desk, { name: 'Nagy Éva', phone: '+36 20 555 1234' });
    const before = (await web.admin.inject({ method: 'GET', url: '/v1/distribution/config' })).json<{ version: number }>();

    const { page } = await web.signedIn(await web.person('dora.admin', ['admin']));
    await page.getByRole('link', { name: 'Distribution' }).click();
    const tier = page.getByRole('group', { name: /^Tier 1:/ });
    await tier.getByRole('spinbutton', { name: 'Window (minutes)' }).fill('90');
    await page.getByRole('button', { name: 'Run what-if' }).click();
    await page.getByRole('heading', { name: /^What-if:/ }).waitFor();
    await page.getByRole('textbox', { name: 'Comment' }).fill('longer window for Budapest');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(`Version ${before.version + 1} is in force.`).waitFor();

    const after = (await web.admin.inject({ method: 'GET', url: '/v1/distribution/config' })).json<{ version: number; config: { tiers: { windowMinutes: number }[] } }>();
    expect(after.version).toBe(before.version + 1);
    expect(after.config.tiers[0]!.windowMinutes).toBe(90);
  });
});
