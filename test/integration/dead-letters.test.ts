import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import { ChannelService } from '../../core/channels/channels.ts';
import { BullmqRunner } from '../../jobs/runtime/bullmq-runner.ts';
import { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import type { JobLogger, PayloadProcessedEvent, ProcessorContext, SyncFinishedEvent } from '../../jobs/runtime/types.ts';
import { createTestPostgres, REDIS_TEST_URL, type TestDatabase } from '../helpers/databases.ts';
import { goodPage, pagedShop } from '../helpers/paged-shop.ts';

/** Dead letters: jobs that failed for good are logged, listed with their error and attempts, and run again on request. */
describe('failed jobs (BullMQ on the shared Redis, a queue prefix of its own)', () => {
  let t: TestDatabase;
  let ctx: ProcessorContext;
  let kit: ReturnType<typeof pagedShop>;
  let channelId: string;
  let runner: BullmqRunner;
  let prefix: string;
  const lines: { level: string; data: Record<string, unknown>; message: string }[] = [];

  beforeEach(async () => {
    t = await createTestPostgres();
    kit = pagedShop();
    const logger: JobLogger = {
      info: (data, message) => void lines.push({ level: 'info', data: data as Record<string, unknown>, message: message ?? '' }),
      warn: (data, message) => void lines.push({ level: 'warn', data: data as Record<string, unknown>, message: message ?? '' }),
      error: (data, message) => void lines.push({ level: 'error', data: data as Record<string, unknown>, message: message ?? '' }),
    };
    ctx = { db: t.db, registry: kit.registry, leaseTtlMs: 30_000, logger };
    channelId = (await new ChannelService(t.db, kit.registry).create({ name: 'Flaky shop', connectorType: 'paged', config: { token: 't' } })).id;
    prefix = `orderhub-test-${randomBytes(5).toString('hex')}`;
    runner = new BullmqRunner({ ctx, redisUrl: REDIS_TEST_URL, prefix, workers: true, schedules: false, retry: { attempts: 2, backoffMs: 20 } });
    await runner.start();
  });

  afterEach(async () => {
    await runner.stop();
    const cleanup = new BullmqRunner({ ctx, redisUrl: REDIS_TEST_URL, prefix, workers: false, schedules: false });
    await cleanup.queue.obliterate({ force: true });
    await cleanup.payloadQueue.obliterate({ force: true });
    await cleanup.stop();
    await t.drop();
    lines.length = 0;
  });

  function nextSync(final: (e: SyncFinishedEvent) => boolean): Promise<SyncFinishedEvent> {
    return new Promise((resolve) => {
      const off = runner.onSyncFinished((e) => {
        if (e.final && final(e)) {
          off();
          resolve(e);
        }
      });
    });
  }

  function nextPayload(payloadId: string): Promise<PayloadProcessedEvent> {
    return new Promise((resolve) => {
      const off = runner.onPayloadProcessed((e) => {
        if (e.final && e.payloadId === payloadId) {
          off();
          resolve(e);
        }
      });
    });
  }

  it('logs each failure, lists the jobs that failed for good, and runs one or all of them again', async () => {
    kit.shop.failWith = new ConnectorError('upstream_unavailable', 'connect ECONNREFUSED 10.0.0.9:443');
    const syncFailed = nextSync((e) => e.error !== undefined);
    await runner.requestSync(channelId, 'manual');
    await syncFailed;
    const payloadId = randomUUID();
    const payloadFailed = nextPayload(payloadId);
    await runner.enqueuePayload(payloadId);
    expect((await payloadFailed).error).toMatchObject({ code: 'not_found' });

    const failed = await runner.failedJobs();
    expect(failed.note).toBeNull();
    const sync = failed.items.find((j) => j.queue === 'sync-channel')!;
    const payload = failed.items.find((j) => j.queue === 'process-payload')!;
    expect(sync).toMatchObject({ name: 'sync', channelId, payloadId: null, attemptsMade: 2, attempts: 2, error: expect.stringContaining('ECONNREFUSED') });
    expect(payload).toMatchObject({ id: `process-payload:payload-${payloadId}`, payloadId, attemptsMade: 1, attempts: 2, error: expect.stringContaining(`Raw payload ${payloadId} does not exist`) });

    // Every failed attempt was logged by the worker's `failed` event: a warning while retries remain, an error at the end.
    const logged = lines.filter((l) => l.data.queue !== undefined);
    expect(logged.map((l) => [l.level, l.data.queue, l.data.final])).toEqual(
      expect.arrayContaining([
        ['warn', 'sync', false],
        ['error', 'sync', true],
        ['error', 'payload', true],
      ]),
    );
    expect(logged.find((l) => l.data.queue === 'payload')).toMatchObject({ data: { payloadId, code: 'not_found', attempt: 1 }, message: expect.stringContaining('no more retries') });

    // The payload arrives after all: run its job again.
    await t.db.prisma.rawPayload.create({ data: { id: payloadId, channelId, kind: 'webhook', source: 'order.created', contentType: 'application/json', body: Buffer.from('[{"id":"DL-1","total":"5.00"}]'), hash: 'dl-1' } });
    const payloadDone = nextPayload(payloadId);
    await runner.retryFailedJob(payload.id);
    expect((await payloadDone).outcome).toMatchObject({ status: 'parsed', orderCount: 1 });
    await expect(runner.retryFailedJob(payload.id)).rejects.toMatchObject({ code: 'not_found' });

    // The shop is back: run every failed job again.
    kit.shop.failWith = undefined;
    kit.shop.pages = [goodPage(1, ['DL-2'])];
    const syncDone = nextSync((e) => e.outcome !== undefined);
    expect(await runner.retryAllFailedJobs()).toBe(1);
    expect((await syncDone).outcome).toMatchObject({ status: 'succeeded', counts: { created: 1 } });
    expect((await runner.failedJobs()).items).toEqual([]);

    // Retention: finished jobs older than 0 ms are removed (the completed sync; a payload job leaves on completion).
    expect((await runner.cleanFinishedJobs(0)).removed).toBe(1);
    expect(await runner.queue.getCompletedCount()).toBe(0);
  });
});

describe('failed jobs in-process', () => {
  it('are none: the runner keeps no failed jobs, and says why', async () => {
    const t = await createTestPostgres();
    try {
      const runner = new InProcessRunner({ ctx: { db: t.db, registry: pagedShop().registry }, schedules: false });
      const list = await runner.failedJobs();
      expect(list.items).toEqual([]);
      expect(list.note).toContain('keep no failed jobs');
      await expect(runner.retryFailedJob('sync-channel:x')).rejects.toMatchObject({ code: 'not_found' });
      expect(await runner.retryAllFailedJobs()).toBe(0);
      await runner.stop();

      // The daily retention job is one of its schedules when it has retention settings.
      const scheduled = new InProcessRunner({
        ctx: { db: t.db, registry: pagedShop().registry },
        schedules: true,
        distributionTimer: false,
        retention: { payloadDays: 90, runDays: 90, jobDays: 14, archiveDir: '/nonexistent', schedule: '17 3 * * *' },
      });
      await scheduled.start();
      expect(scheduled.retentionScheduled).toBe(true);
      await scheduled.stop();
    } finally {
      await t.drop();
    }
  });
});
