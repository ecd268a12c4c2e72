import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import nock from 'nock';
import type { PulledPage } from '../../connectors/_kit/definition.ts';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import { UnasBannedError, createUnasConnector, resetUnasAuthCache, type UnasConfig, type UnasState } from '../../connectors/unas/index.ts';
import { readStatusList, statusListDue } from '../../connectors/unas/streams/status-list.ts';
import { mappingOptionsOf } from '../../core/channels/reference-data.ts';
import type { OrderDraft } from '../../core/model/order.ts';
import { unasMapping } from '../../mappings/unas/index.ts';
import { mapUnasStatus, statusOfType } from '../../mappings/unas/status.ts';
import { SHOP_STATUSES, keyOfStatus, ordersInStatuses, statusListXml } from '../helpers/unas-statuses.ts';

const API = 'https://api.unas.eu';
const NOW = new Date('2024-07-15T12:00:00Z');
const HOUR = 60 * 60_000;
const XML = { 'Content-Type': 'text/xml; charset=UTF-8' };
const login = readFileSync(new URL('../fixtures/unas/login.xml', import.meta.url), 'utf8');
const config: UnasConfig = { apiKey: 'unas-key-status', limitNum: 500 };
const LIST = statusListXml(SHOP_STATUSES);
const ORDERS = ordersInStatuses(SHOP_STATUSES);

const referenceOf = (statuses: ReadonlyArray<{ id?: string; name: string; type: string }>) => ({
  referenceData: { orderStatuses: { fetchedAt: NOW.toISOString(), statuses: statuses.map(({ id, name, type }) => ({ ...(id ? { id } : {}), name, type })) } },
});
const mapOrders = (body: string, options: Record<string, unknown> = {}): OrderDraft[] => {
  const result = unasMapping.map({ kind: 'pull', body, contentType: 'text/xml' }, options);
  expect(result.errors).toEqual([]);
  return result.orders;
};
const statuses = (orders: OrderDraft[]) => orders.map((o) => o.status);
const extra = (order: OrderDraft): Record<string, any> => order.source as Record<string, any>;

describe('UNAS status types (getOrderStatus) in the mapping', () => {
  it('by name alone, 14 of the 16 statuses of a shop land on on_hold', () => {
    const orders = mapOrders(ORDERS);
    expect(orders).toHaveLength(16);
    expect(statuses(orders).filter((s) => s === 'on_hold')).toHaveLength(14);
  });

  it('with the shop’s status list, none of the typed statuses lands on on_hold: each gets the core status its type (and name) gives', () => {
    const orders = mapOrders(ORDERS, referenceOf(SHOP_STATUSES));
    expect(orders.map((o) => [o.externalId, o.sourceStatus, o.status])).toEqual(SHOP_STATUSES.map((s, i) => [keyOfStatus(i), s.name, s.expected]));
    expect(statuses(orders)).not.toContain('on_hold');
    // The two names a new shop has keep their default; the 14 others are decided by the list's type.
    expect(orders.map((o) => extra(o).unas.statusMatchedBy)).toEqual(['default_name', 'default_name', ...Array(14).fill('status_list')]);
    expect(extra(orders[13]!).unas).toMatchObject({ statusId: '5100012', statusListType: 'close_fault' });
  });

  it('finds the status by StatusID, else by its name (case and spacing aside)', () => {
    const byNameOnly = SHOP_STATUSES.map(({ name, type }) => ({ name: ` ${name.toUpperCase()} `, type }));
    const orders = mapOrders(ordersInStatuses(SHOP_STATUSES.map(({ name }) => ({ name }))), referenceOf(byNameOnly));
    expect(statuses(orders)).toEqual(SHOP_STATUSES.map((s) => s.expected));
    // An id in the list wins over a name that happens to be another status's.
    const renamed = [{ id: '5100012', name: 'Csomagolás alatt', type: 'close_fault' }];
    expect(mapUnasStatus({ id: '5100012', name: 'Csomagolás alatt' }, {}, renamed)).toMatchObject({ status: 'cancelled', matchedBy: 'status_list' });
  });

  it('open types go by name hints (waiting → received, worked on → in_progress), else received (open_prepare: in_progress); close_ok → completed, close_fault → cancelled', () => {
    expect(statusOfType('open_normal', 'Raktárba érkezett')).toBe('received');
    expect(statusOfType('open_normal', 'Gyártás alatt')).toBe('in_progress');
    expect(statusOfType('open_prepare', 'Egyedi')).toBe('in_progress');
    expect(statusOfType('open_prepare', 'Utánvétre vár')).toBe('received');
    expect(statusOfType('close_ok', 'Bármi')).toBe('completed');
    expect(statusOfType('close_fault', 'Bármi')).toBe('cancelled');
    expect(statusOfType('something_else', 'Bármi')).toBeUndefined();
    // A type the mapping does not know leaves the status for a human.
    expect(mapUnasStatus({ name: 'Különleges' }, {}, [{ name: 'Különleges', type: 'other' }])).toEqual({ status: 'on_hold', matchedBy: 'unknown', listedType: 'other' });
  });

  it('an explicit channel override still wins (by id, by name, by type — the listed type included)', () => {
    const list = referenceOf(SHOP_STATUSES);
    const [order] = mapOrders(ordersInStatuses([SHOP_STATUSES[13]]), { ...list, statusByName: { 'nem vette át': 'failed' } });
    expect([order!.status, extra(order!).unas.statusMatchedBy]).toEqual(['failed', 'name']);
    const [byId] = mapOrders(ordersInStatuses([SHOP_STATUSES[13]]), { ...list, statusById: { '5100012': 'refunded' } });
    expect(byId!.status).toBe('refunded');
    const [byType] = mapOrders(ordersInStatuses([SHOP_STATUSES[13]]), { ...list, statusByType: { close_fault: 'failed' } });
    expect([byType!.status, extra(byType!).unas.statusMatchedBy]).toEqual(['failed', 'type']);
    // The order's own type (StatusType / StatusDetails/Type) keeps its place before the names.
    expect(mapUnasStatus({ name: 'Feldolgozásra vár', type: 'close_fault' }, {}, SHOP_STATUSES)).toMatchObject({ status: 'cancelled', matchedBy: 'default_type' });
  });

  it('skips the archived getOrderStatus answer (no orders, no error) and ignores a malformed list', () => {
    expect(unasMapping.map({ kind: 'pull', body: LIST, source: `${API}/shop/getOrderStatus` }, {})).toEqual({
      orders: [],
      errors: [],
      skipped: [{ reason: expect.stringContaining('order status list (getOrderStatus)') }],
    });
    const broken = { referenceData: { orderStatuses: { statuses: [{ name: 5 }, 'x', null, { name: 'Átvette', type: 'close_ok', id: 7 }] } } };
    expect(statuses(mapOrders(ordersInStatuses([SHOP_STATUSES[11]]), broken))).toEqual(['on_hold']);
    expect(statuses(mapOrders(ordersInStatuses([SHOP_STATUSES[11]]), { referenceData: 'nonsense' }))).toEqual(['on_hold']);
  });
});

describe('core: a channel’s reference data reaches its mapping options', () => {
  it('adds the sync state’s referenceData beside the channel’s own options, and nothing else of the state', () => {
    const syncState = { modifiedAfter: '2024-07-15T12:00:00.000Z', ...referenceOf(SHOP_STATUSES.slice(0, 1)) };
    expect(mappingOptionsOf({ mapping: { statusByName: { X: 'received' } }, syncState })).toEqual({ statusByName: { X: 'received' }, referenceData: syncState.referenceData });
    expect(mappingOptionsOf({ mapping: null, syncState: { modifiedAfter: 'x' } })).toEqual({});
    expect(mappingOptionsOf({ mapping: { a: 1 }, syncState: { referenceData: [1] } })).toEqual({ a: 1 });
  });
});

describe('UNAS connector: the status list', () => {
  beforeEach(() => resetUnasAuthCache());
  afterEach(() => nock.cleanAll());

  const connector = () => createUnasConnector({ http: { jitter: 0, now: () => NOW.getTime(), sleep: async () => undefined } });

  async function pull(state: UnasState | undefined, now: Date, cfg: UnasConfig = config) {
    const pages: Array<PulledPage<UnasState>> = [];
    try {
      for await (const page of connector().pull!(cfg, state, { now: () => now })) pages.push(page);
    } catch (error) {
      expect(error).toBeInstanceOf(ConnectorError);
      return { pages, error: error as ConnectorError };
    }
    return { pages, error: undefined };
  }
  const persisted = (before: UnasState | undefined, pages: Array<PulledPage<UnasState>>) => pages.reduce<UnasState | undefined>((s, p) => p.state ?? s, before);

  /** login, getOrder (one page), getOrderStatus answering `list`; records the functions called. */
  function shop(list: () => [number, string]) {
    const calls: string[] = [];
    const scope = nock(API)
      .post('/shop/login').optionally().reply(() => (calls.push('login'), [200, login, XML]))
      .post('/shop/getOrder').reply(() => (calls.push('getOrder'), [200, ORDERS, XML]))
      .post('/shop/getOrderStatus').optionally().reply((_uri, body) => (calls.push(`getOrderStatus ${String(body).replace(/\s+/g, '')}`), [...list(), XML]));
    return { calls, scope };
  }

  it('asks getOrderStatus once the first page came, archives the answer as a page before the orders and keeps the list in the state', async () => {
    const { calls } = shop(() => [200, LIST]);
    const { pages, error } = await pull({ modifiedAfter: '2024-07-15T11:00:00.000Z' }, NOW);
    expect(error).toBeUndefined();
    expect(calls).toEqual(['login', 'getOrder', 'getOrderStatus <?xmlversion="1.0"encoding="UTF-8"?><Params></Params>']);
    expect(pages.map((p) => [p.page, p.source.replace(/\?.*/, ''), p.error])).toEqual([
      [0, `${API}/shop/getOrderStatus`, undefined],
      [1, `${API}/shop/getOrder`, undefined],
    ]);
    expect(pages[0]!.body).toBe(LIST);
    const list = { fetchedAt: NOW.toISOString(), statuses: SHOP_STATUSES.map(({ id, name, type }) => ({ id, name, type })) };
    // The list is in the state of its own page: the sync stores it before the orders are mapped.
    expect(pages[0]!.state).toEqual({ modifiedAfter: '2024-07-15T11:00:00.000Z', calls: { since: NOW.toISOString(), count: 2 }, referenceData: { orderStatuses: list } });
    expect(persisted(undefined, pages)).toEqual({ modifiedAfter: NOW.toISOString(), calls: { since: NOW.toISOString(), count: 2 }, referenceData: { orderStatuses: list } });
  });

  it('keeps the list for a day and asks again after it', async () => {
    const first = shop(() => [200, LIST]);
    const stored = persisted(undefined, (await pull(undefined, NOW)).pages)!;
    expect(first.calls).toHaveLength(3);

    nock.cleanAll();
    const sameDay = shop(() => [200, LIST]);
    const later = new Date(NOW.getTime() + 24 * HOUR - 1000);
    const next = await pull(stored, later);
    expect(sameDay.calls).toEqual(['getOrder']); // token reused, list cached
    expect(next.pages.map((p) => p.page)).toEqual([1]);
    expect(persisted(stored, next.pages)!.referenceData).toEqual(stored.referenceData);

    nock.cleanAll();
    const renamed = SHOP_STATUSES.map((s) => (s.id === '5100001' ? { ...s, type: 'close_fault' } : s));
    const nextDay = shop(() => [200, statusListXml(renamed, 'Statuses', 'Status')]);
    const dayAfter = new Date(NOW.getTime() + 24 * HOUR);
    const refreshed = await pull(stored, dayAfter);
    expect(nextDay.calls.map((c) => c.split(' ')[0])).toEqual(['getOrder', 'getOrderStatus']);
    const state = persisted(stored, refreshed.pages)!;
    expect(state.referenceData!.orderStatuses!.fetchedAt).toBe(dayAfter.toISOString());
    expect(state.referenceData!.orderStatuses!.statuses.find((s) => s.id === '5100001')).toEqual({ id: '5100001', name: 'Beérkezett', type: 'close_fault' });
    // A fetch time in the future is not trusted.
    expect(statusListDue({ referenceData: { orderStatuses: { fetchedAt: '2030-01-01T00:00:00.000Z', statuses: [] } } }, NOW)).toBe(true);
  });

  it('a refused getOrderStatus is archived as a failed page; the orders are pulled all the same, the old list stays, and it is asked again after 6 hours', async () => {
    const before: UnasState = { referenceData: referenceOf(SHOP_STATUSES.slice(0, 2)).referenceData };
    const refusal = '<?xml version="1.0" encoding="UTF-8" ?>\n<Error>Permission denied: getOrderStatus</Error>';
    const { calls } = shop(() => [400, refusal]);
    const stale = new Date(NOW.getTime() + 25 * HOUR);
    const { pages, error } = await pull(before, stale);
    expect(error).toBeUndefined();
    expect(calls.map((c) => c.split(' ')[0])).toEqual(['login', 'getOrder', 'getOrderStatus']);
    expect(pages.map((p) => [p.page, p.error?.code])).toEqual([
      [0, 'upstream_rejected'],
      [1, undefined],
    ]);
    expect(pages[0]!.body).toBe(refusal);
    expect(pages[0]!.error!.message).toMatch(/^getOrderStatus was refused: .*Permission denied: getOrderStatus; statuses are mapped with the list kept from an earlier fetch, or by their names alone/);
    const state = persisted(before, pages)!;
    expect(state).toMatchObject({ modifiedAfter: stale.toISOString(), referenceData: before.referenceData, statusListFailure: { at: stale.toISOString() } });

    nock.cleanAll();
    const soon = shop(() => [200, LIST]);
    await pull(state, new Date(stale.getTime() + 6 * HOUR - 1000));
    expect(soon.calls).toEqual(['getOrder']);
    nock.cleanAll();
    const after = shop(() => [200, LIST]);
    const retried = await pull(state, new Date(stale.getTime() + 6 * HOUR));
    expect(after.calls.map((c) => c.split(' ')[0])).toEqual(['getOrder', 'getOrderStatus']);
    const healed = persisted(state, retried.pages)!;
    expect(healed.statusListFailure).toBeUndefined();
    expect(healed.referenceData!.orderStatuses!.statuses).toHaveLength(16);
  });

  it('an unreadable answer is archived as invalid_data; a network failure archives nothing, records nothing and is tried on the next run', async () => {
    shop(() => [200, '<html>maintenance</html>']);
    const unreadable = await pull(undefined, NOW);
    expect(unreadable.pages.map((p) => [p.page, p.error?.code])).toEqual([
      [0, 'invalid_data'],
      [1, undefined],
    ]);
    expect(unreadable.pages[0]!.error!.message).toContain('holds no status with a Name and a Type');
    expect(persisted(undefined, unreadable.pages)!.statusListFailure).toEqual({ at: NOW.toISOString(), message: expect.any(String) });

    nock.cleanAll();
    resetUnasAuthCache();
    nock(API).post('/shop/login').reply(200, login, XML).post('/shop/getOrder').reply(200, ORDERS, XML).post('/shop/getOrderStatus').replyWithError('socket hang up');
    const offline = await pull(undefined, NOW);
    expect(offline.error).toBeUndefined();
    expect(offline.pages.map((p) => p.page)).toEqual([1]);
    expect((offline.pages[0] as { warning?: string }).warning).toMatch(/getOrderStatus failed .*on the next run\./);
    const state = persisted(undefined, offline.pages)!;
    expect(state).toEqual({ modifiedAfter: NOW.toISOString(), calls: { since: NOW.toISOString(), count: 1 } });
    expect(statusListDue(state, NOW)).toBe(true);

    // A 5xx is an answer UNAS may count: recorded (asked again after 6 h), one attempt, nothing to archive.
    nock.cleanAll();
    const down = shop(() => [503, 'busy']);
    const busy = await pull(undefined, NOW);
    expect(down.calls.map((c) => c.split(' ')[0])).toEqual(['getOrder', 'getOrderStatus']);
    expect(busy.pages.map((p) => p.page)).toEqual([1]);
    expect((busy.pages[0] as { warning?: string }).warning).toMatch(/^getOrderStatus was refused: .*HTTP 503/);
    expect(persisted(undefined, busy.pages)).toMatchObject({ calls: { count: 2 }, statusListFailure: { at: NOW.toISOString() } });
  });

  it('does not ask for the list after a broken first page', async () => {
    const calls: string[] = [];
    nock(API).post('/shop/login').reply(() => (calls.push('login'), [200, login, XML])).post('/shop/getOrder').reply(() => (calls.push('getOrder'), [200, '<html>oops</html>', XML]));
    nock(API).post('/shop/getOrderStatus').optionally().reply(() => (calls.push('getOrderStatus'), [200, LIST, XML]));
    const { pages } = await pull(undefined, NOW);
    expect(calls).toEqual(['login', 'getOrder']);
    expect(pages.map((p) => [p.page, p.error?.code])).toEqual([[1, 'invalid_data']]);
  });

  it('respects the call budget: no getOrderStatus without room for it (and for the next page when one follows)', async () => {
    const tight: UnasConfig = { ...config, callsPerHour: 3 };
    const used: UnasState = { calls: { since: NOW.toISOString(), count: 2 } };
    const { calls, scope } = shop(() => [200, LIST]);
    const { pages, error } = await pull(used, NOW, tight);
    expect(error).toBeUndefined();
    expect(calls).toEqual(['login', 'getOrder']);
    expect(scope.isDone()).toBe(true); // getOrderStatus was optional: never asked
    expect(persisted(used, pages)).toEqual({ modifiedAfter: NOW.toISOString(), calls: { since: NOW.toISOString(), count: 3 } });

    // One call left after the first page, and a second page to come: the page wins.
    nock.cleanAll();
    resetUnasAuthCache();
    const paged: string[] = [];
    nock(API)
      .post('/shop/login').reply(200, login, XML)
      .post('/shop/getOrder').times(2).reply((_uri, body) => (paged.push(`getOrder ${/<LimitStart>/.test(String(body)) ? 2 : 1}`), [200, ordersInStatuses(SHOP_STATUSES.slice(0, /<LimitStart>/.test(String(body)) ? 1 : 2)), XML]))
      .post('/shop/getOrderStatus').optionally().reply(() => (paged.push('getOrderStatus'), [200, LIST, XML]));
    const two = await pull({ calls: { since: NOW.toISOString(), count: 1 } }, NOW, { ...config, limitNum: 2, callsPerHour: 3 });
    expect(two.error).toBeUndefined();
    expect(paged).toEqual(['getOrder 1', 'getOrder 2']);
  });

  it('an API without getOrderStatus (404) is told apart, and statusList: false stops asking', async () => {
    shop(() => [404, 'Not Found']);
    const { pages } = await pull(undefined, NOW, { ...config, baseUrl: `${API}/shop` });
    expect(pages[0]!.error!.message).toContain('an API without getOrderStatus: set the channel config statusList to false');

    nock.cleanAll();
    const { calls, scope } = shop(() => [200, LIST]);
    const off = await pull(undefined, NOW, { ...config, statusList: false });
    expect(off.pages.map((p) => p.page)).toEqual([1]);
    expect(calls).toEqual(['getOrder']);
    expect(scope.isDone()).toBe(true);
  });

  it('a ban on getOrderStatus is a hold like on getOrder: archived, the page already read is kept, nothing more is sent', async () => {
    const ban = '<?xml version="1.0" encoding="UTF-8" ?>\n<Error>Too much getOrderStatus query, IP is banned till 07.15.2024 15:00:00</Error>';
    shop(() => [400, ban]);
    const { pages, error } = await pull(undefined, NOW);
    expect(error).toBeInstanceOf(UnasBannedError);
    expect(pages.map((p) => [p.page, p.error?.code])).toEqual([
      [0, 'upstream_unavailable'],
      [1, undefined],
    ]);
    expect(pages[0]!.body).toBe(ban);
    // 15:00 Budapest summer time; the one page read was the last one: the cursor moves, the hold is kept.
    expect(persisted(undefined, pages)).toMatchObject({ modifiedAfter: NOW.toISOString(), hold: { reason: 'ban', until: '2024-07-15T13:00:00.000Z' } });
  });
});

describe('reading a getOrderStatus answer', () => {
  it('reads Id, Name (CDATA) and Type of each status whatever the wrapper elements are called', () => {
    for (const [wrapper, item] of [
      ['OrderStatuses', 'OrderStatus'],
      ['Statuses', 'Status'],
      ['Response', 'Item'],
    ] as const) {
      const read = readStatusList(Buffer.from(statusListXml(SHOP_STATUSES, wrapper, item)), 'text/xml', NOW);
      expect(read.ok && read.list.statuses).toEqual(SHOP_STATUSES.map(({ id, name, type }) => ({ id, name, type })));
    }
    const noId = readStatusList(Buffer.from(statusListXml([{ name: 'Átvette', type: 'CLOSE_OK' }])), 'text/xml', NOW);
    expect(noId.ok && noId.list.statuses).toEqual([{ name: 'Átvette', type: 'close_ok' }]);
    expect(readStatusList(Buffer.from('<!DOCTYPE x [<!ENTITY a "b">]><x/>'), 'text/xml', NOW)).toMatchObject({ ok: false, message: expect.stringContaining('DOCTYPE') });
  });
});
