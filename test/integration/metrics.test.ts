import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, buildOpsApp } from '../../api/app.ts';
import type { ConnectorDefinition, PulledPage } from '../../connectors/_kit/definition.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { DistributionConfigs } from '../../core/distribution/distribution-configs.ts';
import { DistributionService } from '../../core/distribution/distribution-service.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { StockService } from '../../core/stock/stock-service.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import type { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import { makeUser, type TestUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';
import { parseMetrics, type ParsedMetrics } from '../helpers/prometheus.ts';

/** A shop with three pages: two orders, a page the mapping cannot read, one order; and signed pushes ("good" signature). */
const connector: ConnectorDefinition<{ token: string }> = {
  type: 'metrics-shop',
  title: 'Metrics shop',
  channelKind: 'webshop',
  spec: Type.Object({ token: Type.String({ minLength: 1 }) }),
  secretFields: ['token'],
  check: async () => ({ ok: true, message: 'ok' }),
  async *pull() {
    const pages: PulledPage[] = [
      { source: 'memory://shop/orders?page=1', contentType: 'application/json', body: JSON.stringify([{ id: 'A1' }, { id: 'A2' }]), page: 1, state: {} },
      { source: 'memory://shop/orders?page=2', contentType: 'application/json', body: 'not json at all', page: 2, state: {} },
      { source: 'memory://shop/orders?page=3', contentType: 'application/json', body: JSON.stringify([{ id: 'A3' }]), page: 3, state: {} },
    ];
    yield* pages;
  },
  webhook: {
    verify(request) {
      return request.headers['x-signature'] === 'good' ? { kind: 'accepted', topic: 'order.created' } : { kind: 'rejected', reason: 'signature mismatch' };
    },
  },
};

const mapping: ChannelMapping = {
  optionsSchema: Type.Object({}),
  map(payload) {
    const body = JSON.parse(payload.body) as { id: string } | { id: string }[];
    return { orders: [body].flat().map((row) => orderDraft(row.id)), errors: [] };
  },
};

describe('GET /metrics after a real sync, webhooks and a payload', () => {
  let t: TestDatabase;
  let hub: Hub;
  let app: FastifyInstance;
  let monitoring: TestUser;
  let channelId: string;
  let metrics: ParsedMetrics;
  let run: { finishedAt: Date | null; pages: number; created: number; status: string };

  beforeAll(async () => {
    t = await createTestPostgres();
    hub = await createHub(loadConfig({ DATABASE_URL: t.url }), { db: t.db, registry: new ConnectorRegistry([{ connector, mapping }]), schedules: false, retry: { attempts: 1, backoffMs: 1 } });
    app = await buildApp({ db: t.db, catalog: hub.catalog, actions: hub.actions });
    monitoring = await makeUser(t.db, { login: 'prometheus', roles: ['monitoring'] });
    channelId = (await t.db.prisma.channel.create({ data: { name: 'Metrics shop', kind: 'webshop', connectorType: 'metrics-shop', config: { token: 't' } } })).id;
    const runner = hub.runner as InProcessRunner;

    await hub.actions.requestSync(channelId, 'manual');
    await runner.whenIdle(channelId);
    run = await t.db.prisma.syncRun.findFirstOrThrow({ where: { channelId } });

    const body = Buffer.from(JSON.stringify({ id: 'W1' }));
    await hub.actions.receiveWebhook(channelId, { headers: { 'x-signature': 'good' }, rawBody: body });
    await hub.actions.receiveWebhook(channelId, { headers: { 'x-signature': 'good' }, rawBody: body });
    await hub.actions.receiveWebhook(channelId, { headers: { 'x-signature': 'forged' }, rawBody: Buffer.from('{"id":"X"}') });
    await runner.whenPayloadsIdle();

    // A payload left pending for 10 minutes (a lost job), and a lease someone holds now.
    const stuck = await archivePayload(t.db, { channelId, kind: 'webhook', source: 'order.created', body: JSON.stringify({ id: 'W2' }) });
    await t.db.query(`UPDATE raw_payload SET received_at = now() - interval '10 minutes' WHERE id = $1`, [stuck.id]);
    await t.db.query(`UPDATE channel SET sync_lease_owner = 'other-host/1/x', sync_lease_until = now() + interval '1 hour' WHERE id = $1`, [channelId]);

    const response = await app.inject({ url: '/metrics', headers: monitoring.headers });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    metrics = parseMetrics(response.body);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await t?.drop();
  });

  it('ran the sync the figures are about: partial, three pages, three orders', () => {
    expect(run).toMatchObject({ status: 'partial', pages: 3, created: 3 });
  });

  it("counts the sync's run, pages, failed page and orders for the channel", () => {
    const channel = channelId;
    expect(metrics.types.get('orderhub_sync_runs_total')).toBe('counter');
    expect(metrics.value('orderhub_sync_runs_total', { channel, outcome: 'partial' })).toBe(1);
    expect(metrics.samples('orderhub_sync_runs_total', { channel })).toHaveLength(1);
    expect(metrics.value('orderhub_sync_pages_total', { channel })).toBe(3);
    expect(metrics.value('orderhub_sync_failed_pages_total', { channel })).toBe(1);
    expect(metrics.value('orderhub_sync_orders_total', { channel, result: 'created' })).toBe(3);
    expect(metrics.value('orderhub_sync_orders_total', { channel, result: 'updated' })).toBe(0);
  });

  it("observes the run's own duration (its row's start to end) in the histogram", () => {
    expect(metrics.types.get('orderhub_sync_duration_seconds')).toBe('histogram');
    expect(metrics.value('orderhub_sync_duration_seconds_count', { channel: channelId, outcome: 'partial' })).toBe(1);
    expect(metrics.value('orderhub_sync_duration_seconds_bucket', { channel: channelId, outcome: 'partial', le: '+Inf' })).toBe(1);
    const sum = metrics.value('orderhub_sync_duration_seconds_sum', { channel: channelId, outcome: 'partial' })!;
    expect(sum).toBeGreaterThanOrEqual(0);
  });

  it('gives the last success from the database: its end and its age', () => {
    expect(metrics.value('orderhub_sync_last_success_timestamp_seconds', { channel: channelId })).toBeCloseTo(run.finishedAt!.getTime() / 1000, 3);
    expect(metrics.value('orderhub_sync_last_success_age_seconds', { channel: channelId })).toBeGreaterThanOrEqual(0);
    expect(metrics.value('orderhub_sync_last_run_failed', { channel: channelId })).toBe(0);
    expect(metrics.value('orderhub_channel_info', { channel: channelId, name: 'Metrics shop', connector: 'metrics-shop', enabled: 'true' })).toBe(1);
  });

  it('counts webhooks by result and the payload read', () => {
    expect(metrics.value('orderhub_webhooks_total', { channel: channelId, result: 'accepted' })).toBe(1);
    expect(metrics.value('orderhub_webhooks_total', { channel: channelId, result: 'duplicate' })).toBe(1);
    expect(metrics.value('orderhub_webhooks_total', { channel: channelId, result: 'rejected' })).toBe(1);
    expect(metrics.value('orderhub_payloads_processed_total', { outcome: 'parsed' })).toBe(1);
  });

  it('reads pending payloads, their oldest age and lease holders from the database', () => {
    expect(metrics.value('orderhub_payloads_pending', { channel: channelId })).toBe(1);
    expect(metrics.value('orderhub_payloads_pending_oldest_age_seconds', { channel: channelId })).toBeGreaterThanOrEqual(600);
    expect(metrics.value('orderhub_sync_lease_held', { channel: channelId })).toBe(1);
  });

  it('shows the in-process queues empty, the database up, no stock reviews, and the process metrics', () => {
    expect(metrics.value('orderhub_queue_jobs', { queue: 'sync-channel', state: 'active' })).toBe(0);
    expect(metrics.value('orderhub_queue_jobs', { queue: 'process-payload', state: 'waiting' })).toBe(0);
    expect(metrics.value('orderhub_queue_oldest_waiting_age_seconds', { queue: 'process-payload' })).toBe(0);
    expect(metrics.value('orderhub_up', { dependency: 'database' })).toBe(1);
    expect(metrics.samples('orderhub_up', { dependency: 'redis' })).toEqual([]);
    expect(metrics.value('orderhub_stock_reviews_open')).toBe(0);
    expect(metrics.value('orderhub_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('labels only with bounded values: no order or payload ids', () => {
    const labelValues = metrics.all.flatMap((s) => Object.values(s.labels));
    for (const id of ['A1', 'A2', 'A3', 'W1', 'W2']) expect(labelValues).not.toContain(id);
  });

  it("serves the same metrics on a worker's ops app (HUB_METRICS_PORT), which has no API routes", async () => {
    const ops = await buildOpsApp({ db: t.db, catalog: hub.catalog, actions: hub.actions });
    try {
      expect(ops.routeAccess.map((r) => `${r.method} ${r.url}`).sort()).toEqual(['GET /health', 'GET /health/live', 'GET /health/ready', 'GET /metrics']);
      expect((await ops.inject({ url: '/metrics' })).statusCode).toBe(401);
      const scraped = parseMetrics((await ops.inject({ url: '/metrics', headers: monitoring.headers })).body);
      expect(scraped.value('orderhub_sync_pages_total', { channel: channelId })).toBe(3);
      expect((await ops.inject({ url: '/v1/channels', headers: monitoring.headers })).statusCode).toBe(404);
    } finally {
      await ops.close();
    }
  });

  it('answers only a caller holding metrics.read', async () => {
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    const accountant = await makeUser(t.db, { roles: ['accountant'] });
    const refused = await app.inject({ url: '/metrics', headers: accountant.headers });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('metrics.read');
    // The monitoring role reads the metrics and nothing else.
    expect((await app.inject({ url: '/v1/channels', headers: monitoring.headers })).statusCode).toBe(403);
  });
});

describe('when orders are distributed at intake and their stock runs short', () => {
  let t: TestDatabase;
  let hub: Hub;
  let desk: string;
  let before: ParsedMetrics;
  let after: ParsedMetrics;
  const statuses: Record<string, string | undefined> = {};

  const order = (externalId: string, region: string, quantity: string) => ({
    operator: 'anna',
    via: 'phone' as const,
    externalId,
    region,
    customer: { name: 'Roman', phone: '+7 900 000 00 00' },
    currency: 'RUB',
    lines: [{ sku: 'PANEL-1', name: 'Acrylic panel, light oak', quantity, unitPrice: '223' }],
  });

  beforeAll(async () => {
    t = await createTestPostgres();
    hub = await createHub(loadConfig({ DATABASE_URL: t.url }), { db: t.db, schedules: false });
    await new RegionService(t.db).load([
      { code: 'RU', name: 'Russia', level: 'country' },
      { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
      { code: 'RU-KGD', name: 'Kaliningrad', level: 'region', parentCode: 'RU' },
      { code: 'HQ', name: 'Manufacturer', level: 'office' },
    ]);
    await new StockService(t.db).load({
      products: [{ sku: 'PANEL-1', name: 'Acrylic panel', productLine: 'Canada+' }],
      warehouses: [{ code: 'MSK', name: 'Moscow warehouse' }],
      levels: [{ sku: 'PANEL-1', warehouse: 'MSK', onHand: '10' }],
    });
    await new DealerService(t.db).load([
      { code: 'ALFA', name: 'Alfa-innovate', mainRegion: 'RU-MOW', authorised: true, wholeRange: true },
      { code: 'DEPT', name: 'Order distribution department', mainRegion: 'HQ', authorised: true, wholeRange: true },
    ]);
    await new DistributionConfigs(t.db).save({ settings: { fallbackDealer: 'DEPT' }, tiers: [{ kind: 'taxi', windowMinutes: 60, scope: 'region' }] }, 'admin');
    desk = (await hub.channels.create({ name: 'Sales desk', connectorType: 'manual', config: {} })).id;
    before = parseMetrics((await hub.metrics.render()).body);

    // Moscow has a dealer (offered); Kaliningrad has none (the fallback gets it at once).
    const ids: string[] = [];
    for (const [id, region, quantity] of [['CALL-1', 'RU-MOW', '4'], ['CALL-2', 'RU-KGD', '4'], ['CALL-3', 'RU-MOW', '40']] as const) {
      const receipt = await hub.actions.recordManualOrder(desk, order(id, region, quantity));
      ids.push(receipt.orderId);
      statuses[id] = (await t.db.prisma.orderDistribution.findUnique({ where: { orderId: receipt.orderId } }))?.status;
    }
    // An admin distributes the first one again: a new round, not a first decision.
    await new DistributionService(t.db).distribute(ids[0]!, { force: true, by: 'admin' });
    after = parseMetrics((await hub.metrics.render()).body);
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await t?.drop();
  });

  it('distributed the orders as the figures say: two offered, one assigned at once', () => {
    expect(statuses).toEqual({ 'CALL-1': 'offering', 'CALL-2': 'assigned', 'CALL-3': 'offering' });
  });

  it("counts each order's first decision (first offers, the direct assignment) and the new round apart", () => {
    expect(before.samples('orderhub_distribution_decisions_total')).toEqual([]);
    expect(after.value('orderhub_distribution_decisions_total', { decision: 'first_offer' })).toBe(2);
    expect(after.value('orderhub_distribution_decisions_total', { decision: 'assigned' })).toBe(1);
    expect(after.samples('orderhub_distribution_decisions_total', { decision: 'unassigned' })).toEqual([]);
    expect(after.value('orderhub_distribution_decisions_total', { decision: 'redistributed' })).toBe(1);
  });

  it('counts the reservation conflict (10 on hand, 4 + 4 + 40 asked) for its channel, beside the open review', () => {
    expect(after.types.get('orderhub_reservation_conflicts_total')).toBe('counter');
    expect(after.value('orderhub_reservation_conflicts_total', { channel: desk, result: 'partial' })).toBe(1);
    expect(after.samples('orderhub_reservation_conflicts_total')).toHaveLength(1);
    expect(after.value('orderhub_stock_reviews_open')).toBe(1);
  });
});
