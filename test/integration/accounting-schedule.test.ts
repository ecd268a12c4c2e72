import { randomBytes } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentMonth, SYNC_ACCOUNTING_JOB } from '../../jobs/accounting.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import type { BullmqRunner } from '../../jobs/runtime/bullmq-runner.ts';
import type { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import { PAYLOAD_QUEUE } from '../../jobs/runtime/types.ts';
import { createTestPostgres, REDIS_TEST_URL, type TestDatabase } from '../helpers/databases.ts';
import { startODataStandIn, type ODataStandIn } from '../helpers/onec-odata-stand-in.ts';

const ROMASHKA = '4b1e0c2a-1111-11ee-8c90-0242ac120002';
const SCHEDULE = '30 2 * * *';

/**
 * HUB_1C_SCHEDULE as a system schedule of both runners: the BullMQ scheduler `sync-accounting` (set
 * again by the self-healing like the others) and the in-process cron; what either fires syncs the
 * dealers, then this month's settlements, from a 1C speaking OData (the real-HTTP stand-in), each
 * recorded as an accounting_sync run.
 */
async function oneCWithOneDealer(): Promise<ODataStandIn> {
  const oneC = await startODataStandIn({ user: 'hub', password: 'секрет-1С', register: 'AccumulationRegister_РасчетыСПокупателями' });
  oneC.counterparties.push({ Ref_Key: ROMASHKA, DataVersion: 'AAAAAQAAAAA=', DeletionMark: false, IsFolder: false, Code: '00-000001', Description: 'ООО "Ромашка"', ИНН: '7701234567', Регион: '' });
  for (const set of ['Document_РасходнаяНакладная', 'Document_ПоступлениеНаСчет', 'Document_ПриходнаяНакладная']) oneC.documents[set] = [];
  return oneC;
}

function settings(t: TestDatabase, oneC: ODataStandIn, extra: Record<string, string | undefined>) {
  return loadConfig({
    DATABASE_URL: t.url,
    HUB_1C_ODATA_URL: oneC.url,
    HUB_1C_USER: 'hub',
    HUB_1C_PASSWORD: 'секрет-1С',
    HUB_1C_PRESET: 'unf',
    HUB_1C_OVERRIDES: JSON.stringify({ counterparties: { fields: { region: 'Регион' } } }),
    HUB_1C_DEFAULT_REGION: 'RU',
    ...extra,
  });
}

async function scheduledRuns(t: TestDatabase) {
  return t.db.query<{ kind: string; trigger: string; status: string; received: number; from: string | null }>(
    `SELECT kind, trigger, status, received, to_char(period_from, 'YYYY-MM-DD') AS "from" FROM accounting_sync ORDER BY started_at, kind`,
  );
}

async function withRegion(t: TestDatabase): Promise<void> {
  await t.db.query(`INSERT INTO region (id, code, name, level, path) VALUES (gen_random_uuid()::text, 'RU', 'Россия', 'country', '/RU/')`);
}

describe('when HUB_1C_SCHEDULE is set (BullMQ)', { timeout: 60_000 }, () => {
  let t: TestDatabase;
  let oneC: ODataStandIn;
  let hub: Hub;
  let events: QueueEvents;
  const prefix = `orderhub-accounting-${randomBytes(5).toString('hex')}`;
  const runner = () => hub.runner as BullmqRunner;

  beforeAll(async () => {
    t = await createTestPostgres();
    await withRegion(t);
    oneC = await oneCWithOneDealer();
    hub = await createHub(settings(t, oneC, { REDIS_URL: REDIS_TEST_URL, HUB_QUEUE_PREFIX: prefix, HUB_1C_SCHEDULE: SCHEDULE }), { db: t.db, scheduleCheckMs: 0 });
    events = new QueueEvents(PAYLOAD_QUEUE, { connection: { url: REDIS_TEST_URL }, prefix });
    await events.waitUntilReady();
    await hub.runner.start();
  });

  afterAll(async () => {
    await events?.close();
    await (hub?.runner as BullmqRunner | undefined)?.payloadQueue.obliterate({ force: true }).catch(() => undefined);
    await hub?.close();
    await oneC?.close();
    await t?.drop();
  });

  it('keeps a system scheduler on the setting’s cron', async () => {
    expect(await runner().payloadQueue.getJobScheduler(SYNC_ACCOUNTING_JOB)).toMatchObject({ key: SYNC_ACCOUNTING_JOB, pattern: SCHEDULE, name: SYNC_ACCOUNTING_JOB });
  });

  it('its job, run by the worker as the scheduler would queue it, syncs the dealers and then this month’s settlements', async () => {
    const job = await runner().payloadQueue.add(SYNC_ACCOUNTING_JOB, {}, { removeOnComplete: true });
    expect(await job.waitUntilFinished(events, 30_000)).toBe(2);
    expect(await scheduledRuns(t)).toEqual([
      { kind: 'dealers', trigger: 'schedule', status: 'succeeded', received: 1, from: null },
      { kind: 'settlements', trigger: 'schedule', status: 'succeeded', received: 1, from: currentMonth().from },
    ]);
    expect((await t.db.query<{ code: string }>(`SELECT code FROM dealer`)).map((d) => d.code)).toEqual(['00-000001']);
    expect(oneC.requests.some((r) => r.includes('Catalog_'))).toBe(true);
  });

  it('is set again when Redis lost it, like the other system schedules', async () => {
    await runner().payloadQueue.removeJobScheduler(SYNC_ACCOUNTING_JOB);
    expect(await runner().checkSchedules()).toContain(SYNC_ACCOUNTING_JOB);
    expect(await runner().payloadQueue.getJobScheduler(SYNC_ACCOUNTING_JOB)).toMatchObject({ pattern: SCHEDULE });
  });

  it('is removed by a hub started without the setting', async () => {
    const without = await createHub(settings(t, oneC, { REDIS_URL: REDIS_TEST_URL, HUB_QUEUE_PREFIX: prefix }), { db: t.db, workers: false, scheduleCheckMs: 0 });
    try {
      await without.runner.start();
      expect(await runner().payloadQueue.getJobScheduler(SYNC_ACCOUNTING_JOB)).toBeUndefined();
      expect(await (without.runner as BullmqRunner).checkSchedules()).toEqual([]);
    } finally {
      await without.close();
    }
  });
});

describe('when HUB_1C_SCHEDULE is set (in-process)', { timeout: 60_000 }, () => {
  let t: TestDatabase;
  let oneC: ODataStandIn;
  let hub: Hub;
  const runner = () => hub.runner as InProcessRunner;

  beforeAll(async () => {
    t = await createTestPostgres();
    await withRegion(t);
    oneC = await oneCWithOneDealer();
    hub = await createHub(settings(t, oneC, { REDIS_URL: undefined, HUB_1C_SCHEDULE: SCHEDULE }), { db: t.db });
    await hub.runner.start();
  });

  afterAll(async () => {
    await hub?.close();
    await oneC?.close();
    await t?.drop();
  });

  it('registers a cron task on the setting’s cron', () => {
    expect(runner().accountingSyncSchedule).toBe(SCHEDULE);
  });

  it('what the cron calls syncs the dealers and then this month’s settlements, each a run', async () => {
    expect(await runner().syncAccountingNow()).toBe(2);
    expect(await scheduledRuns(t)).toEqual([
      { kind: 'dealers', trigger: 'schedule', status: 'succeeded', received: 1, from: null },
      { kind: 'settlements', trigger: 'schedule', status: 'succeeded', received: 1, from: currentMonth().from },
    ]);
  });

  it('records 1C’s refusal as failed runs and does not throw', async () => {
    oneC.failOn = { path: /Catalog_|AccumulationRegister_/, status: 500, message: 'Нет прав на чтение' };
    try {
      expect(await runner().syncAccountingNow()).toBe(2);
    } finally {
      oneC.failOn = undefined;
    }
    const runs = await scheduledRuns(t);
    expect(runs.slice(2).map((r) => [r.kind, r.status])).toEqual([
      ['dealers', 'failed'],
      ['settlements', 'failed'],
    ]);
  });

  it('has no task without the setting', async () => {
    const without = await createHub(settings(t, oneC, { REDIS_URL: undefined }), { db: t.db });
    try {
      await without.runner.start();
      expect((without.runner as InProcessRunner).accountingSyncSchedule).toBeUndefined();
      expect(await (without.runner as InProcessRunner).syncAccountingNow()).toBe(0);
    } finally {
      await without.close();
    }
  });
});
