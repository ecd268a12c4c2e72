import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import type { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import { startWooSandbox, type WooSandbox } from '../../testkit/woo-sandbox.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

const KEY = 'ck_schedule_0000000000000000000000000000000';
const SECRET = 'cs_schedule_0000000000000000000000000000000';
const DAY = 86_400_000;

/**
 * The `reconcile-channels` system schedule end to end: the tick (what the in-process runner's cron
 * calls every 15 minutes) reconciles the channels whose own reconcileSchedule is due, over their
 * reconcileWindowDays, against a real-HTTP WooCommerce sandbox, and leaves the others alone.
 */
describe('when the reconciliation tick fires', () => {
  let t: TestDatabase;
  let hub: Hub;
  let sandbox: WooSandbox;
  let due: string;
  let notDue: string;
  let now: Date;
  let ran: number;

  beforeAll(async () => {
    t = await createTestPostgres();
    hub = await createHub(loadConfig({ DATABASE_URL: t.url }), { db: t.db, schedules: false });
    now = new Date();
    // Twelve orders of the last day and one from 40 days ago (outside a 7-day window).
    sandbox = await startWooSandbox({ consumerKey: KEY, consumerSecret: SECRET, initialOrders: 13, generate: { baseTime: new Date(now.getTime() - 40 * DAY) } });
    const channel = (name: string) =>
      hub.channels.create({ name, connectorType: 'woocommerce', config: { url: sandbox.url, consumerKey: KEY, consumerSecret: SECRET, maxAttempts: 1 }, reconcileSchedule: '0 3 * * *', reconcileWindowDays: 7 });
    due = (await channel('Due shop')).id;
    notDue = (await channel('Not due shop')).id;
    // The due channel has existed for days: its schedule's last 03:00 came after it was created, and it never reconciled.
    await t.db.query(`UPDATE channel SET created_at = now() - interval '3 days' WHERE id = $1`, [due]);
    // Order 0 was placed 40 days ago; the other twelve are moved into the last day (the window is the last 7 days).
    sandbox.touchOrderIds(sandbox.orders.slice(1).map((o) => o.id), new Date(now.getTime() - DAY / 2));

    ran = await (hub.runner as InProcessRunner).reconcileDue(now);
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    await sandbox?.close();
    await t?.drop();
  });

  it('reconciles the due channel: a reconcile run with its findings, the missing orders of its window fetched', async () => {
    expect(ran).toBe(1);
    const runs = await t.db.prisma.syncRun.findMany({ where: { channelId: due } });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'reconcile', status: 'succeeded', requestedBy: null });
    expect(runs[0]!.findings).toMatchObject({ checked: 12, missing: 12, stale: 0, fetched: 12, failed: 0 });
    const held = await t.db.prisma.order.findMany({ where: { channelId: due }, select: { externalId: true } });
    expect(held.map((o) => o.externalId).sort()).toEqual(sandbox.orders.slice(1).map((o) => String(o.id)).sort());
  });

  it('leaves the channel that is not due alone: no run, no orders', async () => {
    expect(await t.db.prisma.syncRun.count({ where: { channelId: notDue } })).toBe(0);
    expect(await t.db.prisma.order.count({ where: { channelId: notDue } })).toBe(0);
  });

  it('does not reconcile the same occurrence twice: the next tick finds nothing due', async () => {
    expect(await (hub.runner as InProcessRunner).reconcileDue(new Date(now.getTime() + 15 * 60_000))).toBe(0);
    expect(await t.db.prisma.syncRun.count({ where: { channelId: due } })).toBe(1);
  });
});
