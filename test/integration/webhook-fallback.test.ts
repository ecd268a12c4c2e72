import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import type { ConnectorDefinition } from '../../connectors/_kit/definition.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import type { PayloadProcessedEvent } from '../../jobs/runtime/types.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';
import { nextProcessedPayload } from '../helpers/payload-events.ts';

/** The ids the connector was asked to fetch; `gone` is unknown to the shop. */
const fetched: string[] = [];

/** A shop whose webhooks are accepted as they come and whose API can return one order by id. */
const fetchingConnector: ConnectorDefinition<Record<string, never>> = {
  type: 'fake-fetch',
  title: 'Fake shop with an order API',
  channelKind: 'webshop',
  spec: Type.Object({}),
  secretFields: [],
  check: async () => ({ ok: true, message: 'ok' }),
  webhook: { verify: () => ({ kind: 'accepted', topic: 'orders' }) },
  async fetchOrder(_config, externalId) {
    fetched.push(externalId);
    if (externalId === 'gone') throw new ConnectorError('upstream_rejected', 'the shop has no order gone', { status: 404 });
    return { source: `https://shop.example/orders/${externalId}`, contentType: 'application/json', body: JSON.stringify({ fetched: externalId }), page: 1 };
  },
};

/** Webhooks: `{orders: [{id, readable}]}`; a fetched order `{fetched: id}`; anything else is unreadable as a whole. */
const fetchingMapping: ChannelMapping = {
  optionsSchema: Type.Object({}),
  map(payload) {
    const body = JSON.parse(payload.body) as { fetched?: string; orders?: Array<{ id: string; readable: boolean }> };
    if (body.fetched) return { orders: [orderDraft(body.fetched, { sourceStatus: 'fetched' })], errors: [] };
    if (!body.orders) return { orders: [], errors: [{ message: 'not an order list' }] };
    return {
      orders: body.orders.filter((o) => o.readable).map((o) => orderDraft(o.id, { sourceStatus: 'webhook' })),
      errors: body.orders.filter((o) => !o.readable).map((o) => ({ ref: o.id, message: 'cannot read it' })),
    };
  },
};

describe.each(DATABASE_KINDS)('a webhook the mapping cannot read, on %s', (_kind, createDatabase) => {
  let testDb: TestDatabase;
  let hub: Hub;
  let channelId: string;

  beforeAll(async () => {
    testDb = await createDatabase();
    hub = await createHub(loadConfig({}), {
      db: testDb.db,
      schedules: false,
      registry: new ConnectorRegistry([{ connector: fetchingConnector, mapping: fetchingMapping }]),
      retry: { attempts: 2, backoffMs: 10 },
    });
    await hub.runner.start();
  });

  afterAll(async () => {
    await hub?.close();
    await testDb?.drop();
  });

  beforeEach(async () => {
    await testDb.db.execScript('DELETE FROM order_version; DELETE FROM order_line; DELETE FROM "order"; DELETE FROM raw_payload; DELETE FROM channel;');
    channelId = (await hub.channels.create({ name: 'Fetching shop', connectorType: 'fake-fetch', config: {} })).id;
    fetched.length = 0;
  });

  const processed = (): Promise<PayloadProcessedEvent> => nextProcessedPayload(hub.runner);

  async function deliver(body: object): Promise<PayloadProcessedEvent> {
    const done = processed();
    const receipt = await hub.actions.receiveWebhook(channelId, { headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(JSON.stringify(body)) });
    expect(receipt).toMatchObject({ kind: 'accepted', duplicate: false });
    return done;
  }

  const payloads = () => testDb.db.prisma.rawPayload.findMany({ where: { channelId }, orderBy: [{ receivedAt: 'asc' }, { kind: 'desc' }] });
  const orders = () => testDb.db.prisma.order.findMany({ where: { channelId }, orderBy: { externalId: 'asc' } });

  it('keeps the webhook partial and visible, and reads the unreadable order fetched from the shop by its id', async () => {
    const event = await deliver({ orders: [{ id: 'A-1', readable: true }, { id: 'A-2', readable: false }] });

    expect(event.outcome).toMatchObject({ status: 'partial', orderCount: 1, error: 'A-2: cannot read it' });
    expect(fetched).toEqual(['A-2']);
    expect((await payloads()).map((p) => [p.kind, p.source, p.status, p.orderCount])).toEqual([
      ['webhook', 'orders', 'partial', 1],
      ['pull', 'https://shop.example/orders/A-2', 'parsed', 1],
    ]);
    expect((await orders()).map((o) => [o.externalId, o.sourceStatus])).toEqual([
      ['A-1', 'webhook'],
      ['A-2', 'fetched'],
    ]);
  });

  it('leaves the webhook failed when the shop does not know the order, and fetches nothing for a body without order ids', async () => {
    const unknown = await deliver({ orders: [{ id: 'gone', readable: false }] });
    expect(unknown.outcome).toMatchObject({ status: 'failed', orderCount: 0, error: 'gone: cannot read it' });
    expect(fetched).toEqual(['gone']);

    const whole = await deliver({ something: 'else' });
    expect(whole.outcome).toMatchObject({ status: 'failed', error: 'not an order list' });
    expect(fetched).toEqual(['gone']);

    expect((await payloads()).map((p) => [p.kind, p.status])).toEqual([
      ['webhook', 'failed'],
      ['webhook', 'failed'],
    ]);
    expect(await orders()).toEqual([]);
  });

  it('fetches again when ops reprocess the failed webhook, and never for a pulled payload', async () => {
    const event = await deliver({ orders: [{ id: 'B-1', readable: false }] });
    expect(fetched).toEqual(['B-1']);

    const again = await hub.actions.reprocessPayload(event.payloadId);
    expect(again).toMatchObject({ status: 'failed' });
    expect(fetched).toEqual(['B-1', 'B-1']);
    // The shop's answer was the same bytes: archived once, read once.
    expect((await payloads()).map((p) => [p.kind, p.status, p.receivedCount])).toEqual([
      ['webhook', 'failed', 1],
      ['pull', 'parsed', 2],
    ]);

    const pulled = (await payloads()).find((p) => p.kind === 'pull')!;
    await testDb.db.prisma.rawPayload.update({ where: { id: pulled.id }, data: { body: Buffer.from(JSON.stringify({ orders: [{ id: 'B-2', readable: false }] })) } });
    expect(await hub.actions.reprocessPayload(pulled.id)).toMatchObject({ status: 'failed' });
    expect(fetched).toEqual(['B-1', 'B-1']);
  });
});
