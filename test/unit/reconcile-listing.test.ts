import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderListPage } from '../../connectors/_kit/definition.ts';
import { createShoprenterConnector, type ShoprenterConfig } from '../../connectors/shoprenter/index.ts';
import { createUnasConnector, type UnasState } from '../../connectors/unas/index.ts';

const fixture = (vendor: string, name: string): string => readFileSync(new URL(`../fixtures/${vendor}/${name}`, import.meta.url), 'utf8');

async function listAll<S>(pages: AsyncGenerator<OrderListPage<S>>): Promise<OrderListPage<S>[]> {
  const out: OrderListPage<S>[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

afterEach(() => {
  nock.cleanAll();
});

describe('Shoprenter reconciliation listing', () => {
  const API = 'https://shopname.api2.myshoprenter.hu';
  const config: ShoprenterConfig = { shopName: 'shopname', clientId: 'client-id-1', clientSecret: 'client-secret-2' };
  const token = JSON.parse(fixture('shoprenter', 'token.json')) as Record<string, unknown>;

  it('asks the orders list (full=1, 200 a page, updatedAtMin in shop time, no abandoned carts) and reads inner ids and dateUpdated only', async () => {
    nock('https://oauth.app.shoprenter.net').post('/shopname/app/token').reply(200, token, { 'Content-Type': 'application/json' });
    const queries: Record<string, string>[] = [];
    nock(API)
      .get('/api/orders')
      .query((q) => {
        queries.push(q as Record<string, string>);
        return q.page === '0';
      })
      .reply(200, fixture('shoprenter', 'orders-page-0.json'), { 'Content-Type': 'application/json' })
      .get('/api/orders')
      .query((q) => {
        queries.push(q as Record<string, string>);
        return q.page === '1';
      })
      .reply(200, fixture('shoprenter', 'orders-page-1.json'), { 'Content-Type': 'application/json' });
    const connector = createShoprenterConnector({ http: { jitter: 0, sleep: async () => undefined } });
    const window = { since: new Date('2019-09-01T00:00:00Z'), until: new Date('2024-05-02T00:00:00Z') };
    const pages = await listAll(connector.listOrders!(config, window));

    expect(queries).toEqual([
      { full: '1', limit: '200', page: '0', updatedAtMin: '2019-09-01T02:00:00', excludeAbandonedCart: '1' },
      { full: '1', limit: '200', page: '1', updatedAtMin: '2019-09-01T02:00:00', excludeAbandonedCart: '1' },
    ]);
    // Shop-local dates (Europe/Budapest: CEST +2 in September, CEST +2 after the March change).
    expect(pages.flatMap((p) => p.orders)).toEqual([
      { externalId: '172', modifiedAt: '2019-09-06T13:47:59.000Z' },
      { externalId: '173', modifiedAt: '2024-04-30T08:20:30.000Z' },
      { externalId: '174', modifiedAt: '2024-05-01T11:30:00.000Z' },
    ]);
    // Nothing but the list: no products, totals, currencies or statuses.
    expect(nock.isDone()).toBe(true);
  });

  it('fails the listing on an XML answer instead of reading it as empty', async () => {
    nock('https://oauth.app.shoprenter.net').post('/shopname/app/token').reply(200, token, { 'Content-Type': 'application/json' });
    nock(API).get('/api/orders').query(true).reply(200, '<?xml version="1.0"?><orders/>', { 'Content-Type': 'application/xml' });
    const connector = createShoprenterConnector({ http: { jitter: 0, sleep: async () => undefined } });
    await expect(listAll(connector.listOrders!(config, { since: new Date('2024-01-01T00:00:00Z'), until: new Date('2024-05-02T00:00:00Z') }))).rejects.toMatchObject({
      code: 'upstream_rejected',
    });
  });
});

describe('UNAS reconciliation listing', () => {
  const API = 'https://api.unas.eu';
  const XML = { 'Content-Type': 'text/xml; charset=UTF-8' };
  const window = { since: new Date('2024-07-01T00:00:00Z'), until: new Date('2024-07-15T12:30:00Z') };
  const param = (body: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
  const connector = () => createUnasConnector({ http: { jitter: 0, now: () => window.until.getTime(), sleep: async () => undefined } });

  it('lists by getOrder over TimeModStart (the only listing UNAS has), keys orders as the mapping does, hands the answer over whole and counts the call in the budget, keeping the cursor', async () => {
    const bodies: string[] = [];
    nock(API)
      .post('/shop/login')
      .reply(200, fixture('unas', 'login.xml'), XML)
      .post('/shop/getOrder')
      .reply(200, (_uri, body) => {
        bodies.push(String(body));
        return fixture('unas', 'get-order.xml');
      });
    const state: UnasState = { modifiedAfter: '2024-07-15T11:00:00.000Z', referenceData: { orderStatuses: { fetchedAt: '2024-07-15T11:00:00.000Z', statuses: [] } } };
    const pages = await listAll(connector().listOrders!({ apiKey: 'unas-key-1234' }, window, { state }));
    expect(pages).toHaveLength(1);
    // DateMod 2024.07.15 14:05:09 is Budapest summer time.
    expect(pages[0]!.orders).toEqual([{ externalId: '1000-1000000|146194506', modifiedAt: '2024-07-15T12:05:09.000Z' }]);
    expect(pages[0]!.payload?.body).toContain('<Key>1000-1000000</Key>');
    expect(pages[0]!.payload?.state).toBeUndefined();
    // The window (minus the pull's 10 min overlap), not the cursor; the cursor is handed back unchanged.
    expect(Number(param(bodies[0]!, 'TimeModStart'))).toBe(window.since.getTime() / 1000 - 600);
    expect(pages[0]!.state).toMatchObject({ modifiedAfter: '2024-07-15T11:00:00.000Z', calls: { count: 1 } });
  });

  it('keys an order without Id (the vendor\'s own example) by Key alone', async () => {
    nock(API).post('/shop/login').reply(200, fixture('unas', 'login.xml'), XML).post('/shop/getOrder').reply(200, fixture('unas', 'get-order-key-only.xml'), XML);
    const state: UnasState = { referenceData: { orderStatuses: { fetchedAt: '2024-07-15T11:00:00.000Z', statuses: [] } } };
    const pages = await listAll(connector().listOrders!({ apiKey: 'unas-key-1234' }, window, { state }));
    expect(pages.flatMap((p) => p.orders)).toEqual([{ externalId: '1000-1000000', modifiedAt: '2024-07-15T12:05:09.000Z' }]);
    expect(pages.at(-1)!.state?.modifiedAfter).toBeUndefined();
  });

  it('makes no call once the channel\'s call budget is spent', async () => {
    const spent: UnasState = { calls: { since: '2024-07-15T12:00:00.000Z', count: 30 }, referenceData: { orderStatuses: { fetchedAt: '2024-07-15T11:00:00.000Z', statuses: [] } } };
    await expect(listAll(connector().listOrders!({ apiKey: 'unas-key-1234', callsPerHour: 30 }, window, { state: spent }))).rejects.toMatchObject({ message: expect.stringMatching(/budget/) });
  });
});
