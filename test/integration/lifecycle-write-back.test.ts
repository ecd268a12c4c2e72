import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { StockService } from '../../core/stock/stock-service.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import { startWooSandbox, type WooSandbox } from '../../testkit/woo-sandbox.ts';
import { actingAs, makeUser } from '../helpers/auth.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';

const KEY = 'ck_lifecycle_00000000000000000000000000000';
const SECRET = 'cs_lifecycle_00000000000000000000000000000';
const QUIET_KEY = 'ck_quiet_0000000000000000000000000000000000';
const QUIET_SECRET = 'cs_quiet_0000000000000000000000000000000000';

/**
 * The "write-back to a Woo sandbox changes the shop's order status", through the real path
 * on both databases with the in-process runner: ops switch write-back on through the API, a sync
 * pulls the shop's orders (stock is held, the order is offered to the dealers of its region), a
 * dealer signs in with its password and takes the order and works it through the dealer routes,
 * and the runner's sender puts the new status to the shop. The send is driven by awaiting the
 * runner's nudge, never by waiting for a timer.
 */
describe.each(DATABASE_KINDS)('a status change reaches the WooCommerce shop (%s)', (kind, createDb) => {
  let t: TestDatabase;
  let hub: Hub;
  let shop: WooSandbox;
  /** A second shop whose channel keeps write-back off (the default). */
  let quietShop: WooSandbox;
  let app: FastifyInstance;
  let admin: FastifyInstance;
  let channelId: string;
  let quietChannelId: string;
  /** The dealer manager's browser session: the cookie and the CSRF token changes carry. */
  let session: { cookie: string; csrf: string };

  beforeAll(async () => {
    t = await createDb();
    // 180: four processing Budapest orders with catalogue products only, one for each test that needs one.
    shop = await startWooSandbox({ consumerKey: KEY, consumerSecret: SECRET, initialOrders: 180 });
    quietShop = await startWooSandbox({ consumerKey: QUIET_KEY, consumerSecret: QUIET_SECRET, initialOrders: 120 });
    hub = await createHub(loadConfig({}), { db: t.db, schedules: false });
    app = await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions });
    const adminUser = await makeUser(t.db, { roles: ['admin'] });
    admin = actingAs(app, adminUser);

    // What the manufacturer loads before the shop's orders come: regions, the shop's products in stock, dealers, the distribution.
    await new RegionService(t.db).load([
      { code: 'HU', name: 'Hungary', level: 'country' },
      { code: 'HU-BU', name: 'Budapest', level: 'region', parentCode: 'HU' },
    ]);
    const skus = [...new Set([...shop.orders, ...quietShop.orders].flatMap((o) => o.line_items.map((l) => l.sku ?? '')).filter((sku) => sku !== ''))];
    await new StockService(t.db).load({
      products: skus.map((sku) => ({ sku, name: `Shop product ${sku}`, productLine: 'Home' })),
      warehouses: [{ code: 'MAIN', name: 'Main warehouse' }],
      levels: skus.map((sku) => ({ sku, warehouse: 'MAIN', onHand: '1000' })),
    });
    await new DealerService(t.db).load([
      { code: 'PEST', name: 'Pest Otthon Kft.', mainRegion: 'HU-BU', authorised: true, wholeRange: true },
      { code: 'BUDA', name: 'Buda Lakás Bt.', mainRegion: 'HU-BU', authorised: true, wholeRange: true },
    ]);
    await call(admin, 'PUT', '/v1/distribution/config', { config: { settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60, scope: 'region' }] } }, 200);

    // Ops set the channels up as they would: created with write-back off (the default), switched on for one.
    const config = (url: string, key: string, secret: string) => ({ url, consumerKey: key, consumerSecret: secret });
    channelId = (await call(admin, 'POST', '/v1/channels', { name: 'Otthon webshop', connectorType: 'woocommerce', config: config(shop.url, KEY, SECRET) }, 201)).id as string;
    quietChannelId = (await call(admin, 'POST', '/v1/channels', { name: 'Outlet webshop', connectorType: 'woocommerce', config: config(quietShop.url, QUIET_KEY, QUIET_SECRET) }, 201)).id as string;
    const switched = await call(admin, 'PATCH', `/v1/channels/${channelId}`, { mapping: { statusWriteBack: { enabled: true } } }, 200);
    expect(switched.mapping).toEqual({ statusWriteBack: { enabled: true } });

    for (const id of [channelId, quietChannelId]) expect((await syncChannel(hub.context, id, 'manual')).status).toBe('succeeded');

    await makeUser(t.db, { login: 'pest.kati', roles: ['dealer_manager'], dealer: 'PEST', password: 'kati-secret-password' });
    const signIn = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { login: 'pest.kati', password: 'kati-secret-password' } });
    expect(signIn.statusCode, signIn.body).toBe(200);
    session = { cookie: String(signIn.headers['set-cookie']).split(';')[0]!, csrf: signIn.json<{ csrfToken: string }>().csrfToken };
  });

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await shop?.close();
    await quietShop?.close();
    await t?.drop();
  });

  async function call(as: FastifyInstance, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown, status: number): Promise<Record<string, unknown>> {
    const res = await as.inject({ method, url, ...(payload !== undefined && { payload: payload as Record<string, unknown> }) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json<Record<string, unknown>>();
  }

  /** The dealer manager's own requests, from its signed-in session. */
  function asDealer(method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) {
    return app.inject({ method, url, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf }, ...(payload && { payload }) });
  }

  /** A Budapest order the shop shows as processing, every line of it a catalogue product, not used by another test. */
  const used = new Set<string>();
  async function budapestOrder(sandbox: WooSandbox, channel: string): Promise<{ wooId: number; orderId: string }> {
    for (const candidate of sandbox.orders) {
      const key = `${channel}:${candidate.id}`;
      if (used.has(key) || candidate.status !== 'processing' || candidate.shipping.state !== 'BU' || candidate.line_items.some((l) => !l.sku)) continue;
      used.add(key);
      const order = await t.db.prisma.order.findFirstOrThrow({ where: { channelId: channel, externalId: String(candidate.id) } });
      return { wooId: candidate.id, orderId: order.id };
    }
    throw new Error('the sandbox has no unused processing Budapest order with catalogue products only');
  }

  const statusAtShop = (sandbox: WooSandbox, wooId: number) => sandbox.orders.find((o) => o.id === wooId)?.status;
  const putsTo = (sandbox: WooSandbox, wooId: number) => sandbox.requests.filter((r) => r.method === 'PUT' && r.path === `/wp-json/wc/v3/orders/${wooId}`);
  /** The states of the order's reservations (one per line), each once. */
  const reservations = async (orderId: string) => [...new Set((await t.db.prisma.reservation.findMany({ where: { orderId } })).map((r) => r.status))];
  const coreStatus = async (orderId: string) => (await t.db.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status;
  const statusUpdates = async (orderId: string) =>
    (await call(admin, 'GET', `/v1/status-updates?orderId=${orderId}`, undefined, 200)).items as Array<{ coreStatus: string; channelStatus: string | null; state: string }>;

  /** The dealer takes the order and works it to completion through the dealer routes. */
  async function dealerCompletes(orderId: string): Promise<void> {
    const offered = await asDealer('GET', '/v1/dealers/PEST/orders?view=offered');
    expect(offered.statusCode, offered.body).toBe(200);
    expect(offered.json<{ orders: Array<{ orderId: string }> }>().orders.map((o) => o.orderId)).toContain(orderId);
    const taken = await asDealer('POST', `/v1/dealers/PEST/orders/${orderId}/take`);
    expect(taken.statusCode, taken.body).toBe(200);
    expect(taken.json()).toMatchObject({ dealerCode: 'PEST', status: 'assigned', alreadyYours: false });
    for (const status of ['contacted', 'in_progress', 'completed']) {
      const moved = await asDealer('POST', `/v1/dealers/PEST/orders/${orderId}/status`, { status });
      expect(moved.statusCode, moved.body).toBe(200);
      expect(moved.json()).toMatchObject({ status });
    }
  }

  it("a dealer's completion completes the core order, ships its stock and turns the shop's order completed", async () => {
    const { wooId, orderId } = await budapestOrder(shop, channelId);
    expect(await reservations(orderId)).toEqual(['active']);

    await dealerCompletes(orderId);
    expect(await coreStatus(orderId)).toBe('completed');
    expect(await reservations(orderId)).toEqual(['shipped']);
    // Queued with the change, and the route nudged the sender after it committed: awaiting a nudge
    // joins that send if it still runs (or sends whatever is left), so what follows is settled.
    await hub.runner.nudgeStatusWriteBack();
    expect(statusAtShop(shop, wooId)).toBe('completed');
    const puts = putsTo(shop, wooId);
    expect(puts).toHaveLength(1);
    expect(JSON.parse(puts[0]!.body!)).toEqual({ status: 'completed' });
    const updates = await statusUpdates(orderId);
    expect(updates.find((u) => u.coreStatus === 'completed')).toMatchObject({ state: 'sent', channelStatus: 'completed' });
    // "in progress" is "processing" in WooCommerce, which the shop already showed: skipped, not sent.
    expect(updates.find((u) => u.coreStatus === 'in_progress')).toMatchObject({ state: 'skipped' });
  });

  it("the manufacturer's cancellation releases the stock, ends the distribution and turns the shop's order cancelled", async () => {
    const { wooId, orderId } = await budapestOrder(shop, channelId);
    const taken = await asDealer('POST', `/v1/dealers/PEST/orders/${orderId}/take`);
    expect(taken.statusCode, taken.body).toBe(200);

    await call(admin, 'POST', `/v1/orders/${orderId}/status`, { status: 'cancelled', reason: 'the client cancelled by phone' }, 200);
    expect(await coreStatus(orderId)).toBe('cancelled');
    expect(await reservations(orderId)).toEqual(['released']);
    expect(await call(admin, 'GET', `/v1/orders/${orderId}/distribution`, undefined, 200)).toMatchObject({ status: 'cancelled', cancelledBy: 'admin' });

    await hub.runner.nudgeStatusWriteBack();
    expect(statusAtShop(shop, wooId)).toBe('cancelled');
    expect(putsTo(shop, wooId).map((r) => JSON.parse(r.body!) as unknown)).toEqual([{ status: 'cancelled' }]);
    expect(await statusUpdates(orderId)).toEqual([expect.objectContaining({ coreStatus: 'cancelled', state: 'sent', channelStatus: 'cancelled' })]);
  });

  // PGlite is one session: two transactions cannot interleave there.
  // Two sessions must interleave: PostgreSQL only (PGlite has one session), so the test is not registered there.
  if (kind !== 'PGlite')
  it("a dealer's change that waits for the sender recording an earlier update of the order goes through: neither deadlocks", async () => {
    const { wooId, orderId } = await budapestOrder(shop, channelId);
    expect((await asDealer('POST', `/v1/dealers/PEST/orders/${orderId}/take`)).statusCode).toBe(200);
    for (const status of ['contacted', 'in_progress']) {
      const moved = await asDealer('POST', `/v1/dealers/PEST/orders/${orderId}/status`, { status });
      expect(moved.statusCode, moved.body).toBe(200);
    }
    await hub.runner.nudgeStatusWriteBack();
    // The in-progress update as a sender finds it that claimed it and has not recorded its outcome yet.
    const [earlier] = await t.db.query<{ id: string }>(
      `UPDATE channel_status_update SET state = 'pending', next_attempt_at = now() + interval '5 minutes' WHERE order_id = $1 AND core_status = 'in_progress' RETURNING id`,
      [orderId],
    );
    expect(earlier).toBeDefined();

    // The sender's recording (recordStatusUpdateOutcome), held between its statements: the update locked and its
    // history appended; then, once the dealer's change waits for that row, its outcome written to the same row.
    let appended!: () => void;
    const historyAppended = new Promise<void>((resolve) => (appended = resolve));
    let goOn!: () => void;
    const changeWaits = new Promise<void>((resolve) => (goOn = resolve));
    const sender = t.db.withSession(async (session) => {
      await session.query('BEGIN');
      try {
        await session.query(`SELECT state FROM channel_status_update WHERE id = $1 FOR UPDATE`, [earlier!.id]);
        await session.query(`UPDATE channel_status_update SET history = history || $2::jsonb WHERE id = $1`, [earlier!.id, JSON.stringify([{ at: new Date().toISOString(), outcome: 'skipped' }])]);
        appended();
        await changeWaits;
        // A second write of a row this transaction wrote: PostgreSQL checks its foreign keys again (KEY SHARE on the order).
        await session.query(`UPDATE channel_status_update SET state = 'skipped', last_error = 'the channel already shows processing', next_attempt_at = NULL, updated_at = now() WHERE id = $1`, [earlier!.id]);
        await session.query('COMMIT');
      } catch (error) {
        await session.query('ROLLBACK');
        throw error;
      }
    });
    await historyAppended;

    const completing = Promise.resolve(asDealer('POST', `/v1/dealers/PEST/orders/${orderId}/status`, { status: 'completed' }));
    // The change holds the order and waits for the sender's row (superseding the unsent update).
    await vi.waitFor(async () => {
      const waiting = await t.db.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
            AND query LIKE 'UPDATE "public"."channel_status_update"%order_id%'`,
      );
      expect(waiting).toHaveLength(1);
    }, { timeout: 30_000, interval: 20 });
    goOn();

    await sender;
    const completed = await completing;
    expect(completed.statusCode, completed.body).toBe(200);
    expect(await coreStatus(orderId)).toBe('completed');
    expect(await reservations(orderId)).toEqual(['shipped']);
    await hub.runner.nudgeStatusWriteBack();
    expect(statusAtShop(shop, wooId)).toBe('completed');
    const updates = await statusUpdates(orderId);
    expect(updates.find((u) => u.coreStatus === 'in_progress')).toMatchObject({ state: 'skipped' });
    expect(updates.find((u) => u.coreStatus === 'completed')).toMatchObject({ state: 'sent', channelStatus: 'completed' });
  });

  it('a channel with write-back off hears nothing, while the core order and stock follow the dealer all the same', async () => {
    const { wooId, orderId } = await budapestOrder(quietShop, quietChannelId);
    await dealerCompletes(orderId);
    expect(await coreStatus(orderId)).toBe('completed');
    expect(await reservations(orderId)).toEqual(['shipped']);

    await hub.runner.nudgeStatusWriteBack();
    expect(await statusUpdates(orderId)).toEqual([]);
    expect(quietShop.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(statusAtShop(quietShop, wooId)).toBe('processing');
  });

  it("runs the order lifecycle's due retries when ops run the tick from the API", async () => {
    const { orderId } = await budapestOrder(shop, channelId);
    // A distribution step that failed earlier and whose retry time has come (as a crash between steps leaves it).
    await t.db.query(
      `INSERT INTO order_step (order_id, step, key, outcome, attempts, error, next_attempt_at, detail, created_at, updated_at)
       VALUES ($1, 'distribution', 'retry-test', 'failed', 1, 'database was restarting', now() - interval '1 minute', '{}'::jsonb, now(), now())`,
      [orderId],
    );
    const report = await call(admin, 'POST', '/v1/distribution/advance', undefined, 200);
    expect(report.steps).toMatchObject({ ran: expect.any(Number), failed: 0 });
    expect((report.steps as { ran: number }).ran).toBeGreaterThanOrEqual(1);
    const [row] = await t.db.query<{ outcome: string; error: string | null }>(`SELECT outcome, error FROM order_step WHERE order_id = $1 AND key = 'retry-test'`, [orderId]);
    expect(row).toMatchObject({ outcome: expect.stringMatching(/^(done|skipped)$/), error: null });
  });
});
