import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorDefinition, PulledPage } from '../../connectors/_kit/definition.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { openDatabase, type Database } from '../../core/db/database.ts';
import { migrate } from '../../core/db/migrate.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import { orderDraft } from '../helpers/orders.ts';
import { OwnPostgres } from '../helpers/own-postgres.ts';

const PAGES = 6;
const PER_PAGE = 40;
const upstream = Array.from({ length: PAGES }, (_, p) => Array.from({ length: PER_PAGE }, (_, i) => `SO-${p + 1}-${i + 1}`));

/** A shop of six pages read from a cursor; `beforePage` runs before a page is handed over (the fault goes there). */
const shop = { beforePage: undefined as ((page: number) => Promise<void>) | undefined };

const connector: ConnectorDefinition<{ token: string }, { after?: number }> = {
  type: 'outage-shop',
  title: 'Outage shop',
  channelKind: 'webshop',
  spec: Type.Object({ token: Type.String({ minLength: 1 }) }),
  secretFields: ['token'],
  check: async () => ({ ok: true, message: 'ok' }),
  async *pull(_config, state) {
    for (let page = (state?.after ?? 0) + 1; page <= PAGES; page++) {
      await shop.beforePage?.(page);
      const pulled: PulledPage<{ after?: number }> = {
        source: `memory://outage-shop/orders?page=${page}`,
        contentType: 'application/json',
        body: JSON.stringify(upstream[page - 1]),
        page,
        totalPages: PAGES,
        state: { after: page },
      };
      yield pulled;
    }
  },
};

const mapping: ChannelMapping = {
  optionsSchema: Type.Object({}),
  map(payload) {
    return { orders: (JSON.parse(payload.body) as string[]).map((id) => orderDraft(id)), errors: [] };
  },
};

/**
 * PostgreSQL goes away in the middle of a sync (its own server, stopped with `-m immediate` while
 * the pull is between pages) and comes back: the run is not "succeeded", the cursor never passes
 * what was not stored, and the next sync ends with every upstream order exactly once and every
 * archived page read.
 */
describe('PostgreSQL down during a sync (its own server, stopped mid-sync)', () => {
  let pg: OwnPostgres;
  let db: Database;
  let hub: Hub;
  let channelId: string;

  beforeAll(async () => {
    pg = await OwnPostgres.start();
    db = await openDatabase({ url: pg.url });
    await migrate(db);
    // A short lease: the cut sync could not give its lease back (the database was gone), the next one takes it over when it ends.
    hub = await createHub(loadConfig({ DATABASE_URL: pg.url }), {
      db,
      registry: new ConnectorRegistry([{ connector, mapping }]),
      schedules: false,
      leaseTtlMs: 1_500,
      followUpDelayMs: 100,
      retry: { attempts: 5, backoffMs: 100 },
    });
    await hub.runner.start();
    channelId = (await hub.channels.create({ name: 'Outage shop', connectorType: 'outage-shop', config: { token: 't' } })).id;
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    await db?.close();
    await pg?.destroy();
  });

  it('stops the sync when the database goes, and the next sync brings every order exactly once', async () => {
    shop.beforePage = async (page) => {
      if (page === 4) await pg.down();
    };
    const first = await syncChannel(hub.context, channelId, 'manual').then(
      (outcome) => ({ outcome, error: undefined }),
      (error: unknown) => ({ outcome: undefined, error }),
    );
    // Not a clean run: the sync fails, saying the database could not be reached.
    expect(first.outcome).toBeUndefined();
    expect(String(first.error)).toMatch(/ECONNREFUSED|cannot be reached|terminat/i);

    shop.beforePage = undefined;
    await pg.up();
    // Asked again: the runner waits out the cut sync's lease (a follow-up when it ends) and syncs.
    const succeeded = new Promise<void>((resolve) => {
      hub.runner.onSyncFinished((event) => {
        if (event.channelId === channelId && event.outcome?.status === 'succeeded') resolve();
      });
    });
    await hub.runner.requestSync(channelId, 'manual');
    await succeeded;

    const orders = await db.prisma.order.findMany({ where: { channelId }, select: { externalId: true } });
    expect(orders.map((o) => o.externalId).sort()).toEqual(upstream.flat().sort());
    // Every archived page was read; none is left pending or failed.
    const payloads = await db.prisma.rawPayload.groupBy({ by: ['status'], where: { channelId }, _count: true });
    expect(payloads.map((p) => p.status)).toEqual(['parsed']);
    const channel = await db.prisma.channel.findUniqueOrThrow({ where: { id: channelId }, select: { syncState: true } });
    expect(channel.syncState).toMatchObject({ after: PAGES });
    // The run the outage cut is on record as failed (closed by the next sync that took the channel), never left running.
    const runs = await db.prisma.syncRun.findMany({ where: { channelId }, orderBy: { startedAt: 'asc' }, select: { status: true } });
    expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
  });
});
