import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import type { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import { startWooSandbox, type WooSandbox } from '../../testkit/woo-sandbox.ts';
import { asAdmin, type TestUser } from '../helpers/auth.ts';
import { runHub } from '../helpers/cli.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

const KEY = 'ck_resync_0000000000000000000000000000000000';
const SECRET = 'cs_resync_0000000000000000000000000000000000';

/** Resync through the API (real hub actions, in-process runner) and the CLI, on a WooCommerce sandbox. */
describe('resync: the cursor set back safely, recorded, and a sync queued', { timeout: 120_000 }, () => {
  let testDb: TestDatabase;
  let hub: Hub;
  let app: FastifyInstance;
  let admin: TestUser;
  let sandbox: WooSandbox;
  let channelId: string;

  beforeAll(async () => {
    testDb = await createTestPostgres();
    sandbox = await startWooSandbox({ consumerKey: KEY, consumerSecret: SECRET, initialOrders: 30 });
    hub = await createHub(loadConfig({ DATABASE_URL: testDb.url }), { db: testDb.db, schedules: false });
    ({ app, admin } = await asAdmin(await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions }), hub.db));
    const channel = await hub.channels.create({ name: 'Resync shop', connectorType: 'woocommerce', config: { url: sandbox.url, consumerKey: KEY, consumerSecret: SECRET, maxAttempts: 1 } });
    channelId = channel.id;
    await syncChannel(hub.context, channelId, 'manual');
  });

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await sandbox?.close();
    await testDb?.drop();
  });

  const stateOf = async () => (await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).syncState as Record<string, unknown>;
  const runsOf = (trigger: string) => testDb.db.prisma.syncRun.findMany({ where: { channelId, trigger }, orderBy: { startedAt: 'asc' } });

  it('is refused with 409 while a sync holds the lease, and changes nothing', async () => {
    const before = await stateOf();
    expect(before.modifiedAfter).toBe(new Date(Math.max(...sandbox.orders.map((o) => Date.parse(`${o.date_modified_gmt}Z`)))).toISOString());
    await testDb.db.prisma.channel.update({ where: { id: channelId }, data: { syncLeaseOwner: 'another-worker', syncLeaseUntil: new Date(Date.now() + 60_000) } });
    try {
      const response = await app.inject({ method: 'POST', url: `/v1/channels/${channelId}/resync`, payload: { since: '2024-01-01T08:10:00Z' } });
      expect(response.statusCode).toBe(409);
      expect(response.json().error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/sync of "Resync shop" is running/) });
    } finally {
      await testDb.db.prisma.channel.update({ where: { id: channelId }, data: { syncLeaseOwner: null, syncLeaseUntil: null } });
    }
    expect(await stateOf()).toEqual(before);
    expect(await runsOf('resync')).toEqual([]);
  });

  it('sets the cursor to `since`, records who asked and the previous cursor, and the queued sync reads from there', async () => {
    const before = await stateOf();
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channelId}/resync`, payload: { since: '2024-01-01T08:10:00Z' } });
    expect(response.statusCode).toBe(202);
    const receipt = response.json();
    expect(receipt).toMatchObject({ since: '2024-01-01T08:10:00.000Z', sync: { queued: true } });
    await (hub.runner as InProcessRunner).whenIdle(channelId);

    const [resync] = await runsOf('resync');
    expect(resync).toMatchObject({ id: receipt.runId, status: 'succeeded', requestedBy: admin.login, findings: { since: '2024-01-01T08:10:00.000Z', previousState: before } });
    // The sync it queued read from the new cursor (− the 10 min overlap − 1 s) and brought the cursor back up.
    const synced = await testDb.db.prisma.syncRun.findMany({ where: { channelId, startedAt: { gt: resync!.startedAt } } });
    expect(synced).toHaveLength(1);
    expect(synced[0]).toMatchObject({ trigger: 'manual', status: 'succeeded' });
    const lastList = sandbox.requests.filter((r) => r.path.endsWith('/orders')).at(-1)!;
    expect(lastList.query.modified_after).toBe('2024-01-01T07:59:59Z');
    expect(await stateOf()).toEqual(before);

    // The run history shows it, with who asked.
    const status = (await app.inject({ method: 'GET', url: `/v1/channels/${channelId}/sync-status` })).json();
    expect(status.recentRuns.find((r: { id: string }) => r.id === receipt.runId)).toMatchObject({ trigger: 'resync', requestedBy: admin.login, findings: { since: '2024-01-01T08:10:00.000Z' } });
  });

  it('hub channels resync without --since sets up a full re-read and syncs; hub channels reconcile and runs show the findings', async () => {
    const env = { DATABASE_URL: testDb.url, REDIS_URL: undefined };
    const resync = await runHub(env, 'channels', 'resync', 'Resync shop');
    expect(resync.code, resync.stderr).toBe(0);
    expect(resync.stdout).toMatch(/Cursor of "Resync shop" set back for a full re-read/);
    const runs = await runsOf('resync');
    expect(runs.at(-1)).toMatchObject({ findings: { since: null }, requestedBy: expect.stringMatching(/^cli:/) });
    // The foreground sync read everything again: from no cursor at all.
    const lastList = sandbox.requests.filter((r) => r.path.endsWith('/orders')).at(-1)!;
    expect(lastList.query.modified_after).toBeUndefined();

    sandbox.touchOrderIds([sandbox.orders[0]!.id], new Date(Date.parse(`${sandbox.orders[3]!.date_modified_gmt}Z`)));
    const reconcile = await runHub(env, 'channels', 'reconcile', 'Resync shop', '--since', '2023-12-01');
    expect(reconcile.code, reconcile.stderr).toBe(0);
    expect(reconcile.stdout).toContain('Reconciled "Resync shop" (succeeded): checked 30, missing 0, stale 1, fetched 1, failed 0.');

    const listed = await runHub(env, 'channels', 'runs', 'Resync shop');
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toMatch(/^STARTED\s+TRIGGER\s+STATUS\s+WHAT\s+BY$/);
    expect(lines[1]).toMatch(/reconcile\s+succeeded\s+checked 30, missing 0, stale 1, fetched 1, failed 0\s+cli:/);
    expect(listed.stdout).toMatch(/resync\s+succeeded\s+cursor set back for a full re-read\s+cli:/);
  });

  it('refuses a --since that is not a date', async () => {
    const result = await runHub({ DATABASE_URL: testDb.url, REDIS_URL: undefined }, 'channels', 'resync', 'Resync shop', '--since', 'last week');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--since "last week" is not a date');
  });
});
