import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import { ChannelService } from '../../core/channels/channels.ts';
import { channelSyncStatus } from '../../core/channels/sync-status.ts';
import { syncChannel, type SyncProgress } from '../../jobs/processors/sync-channel.ts';
import type { JobLogger, ProcessorContext } from '../../jobs/runtime/types.ts';
import { describeLastRun } from '../../cli/sync-lines.ts';
import { buildTestApp } from '../api/fakes.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { goodPage, pagedShop, reportedBrokenPage, truncatedPage } from '../helpers/paged-shop.ts';

for (const [kind, createDatabase] of DATABASE_KINDS) {
  describe(`a sync run's outcome from its pages (${kind})`, () => {
    let testDb: TestDatabase;
    let ctx: ProcessorContext;
    let kit: ReturnType<typeof pagedShop>;
    let channelId: string;
    let app: FastifyInstance;

    beforeEach(async () => {
      testDb = await createDatabase();
      kit = pagedShop();
      ctx = { db: testDb.db, registry: kit.registry, leaseTtlMs: 30_000 };
      channelId = (await new ChannelService(testDb.db, kit.registry).create({ name: 'Paged shop', connectorType: 'paged', config: { token: 't' } })).id;
      ({ app } = await buildTestApp(testDb.db));
    });

    afterEach(async () => {
      await app?.close();
      await testDb.drop();
    });

    async function apiStatus() {
      const response = await app.inject({ method: 'GET', url: `/v1/channels/${channelId}/sync-status` });
      expect(response.statusCode).toBe(200);
      return response.json();
    }

    it('is failed, with every page error, when every page failed; the failure is worth a retry', async () => {
      kit.shop.pages = [reportedBrokenPage(1, 2), truncatedPage(2, 2)];

      await expect(syncChannel(ctx, channelId, 'manual')).rejects.toMatchObject({ code: 'upstream_unavailable', permanent: false, message: expect.stringContaining('2 of 2 page(s) failed') });

      const run = await testDb.db.prisma.syncRun.findFirstOrThrow({ where: { channelId } });
      expect(run).toMatchObject({ status: 'failed', pages: 2, created: 0, failed: 2, errorCode: 'invalid_data' });
      const payloads = await testDb.db.prisma.rawPayload.findMany({ where: { channelId }, orderBy: { source: 'asc' } });
      expect(payloads.map((p) => p.status)).toEqual(['failed', 'failed']);
      expect(run.errors).toEqual([
        { page: 1, source: 'memory://paged/orders?page=1', payloadId: payloads[0]!.id, code: 'invalid_data', message: 'The shop answered HTML, not JSON' },
        { page: 2, source: 'memory://paged/orders?page=2', payloadId: payloads[1]!.id, code: 'invalid_data', message: expect.stringContaining('JSON') },
      ]);

      const status = await apiStatus();
      expect(status.lastRun).toMatchObject({
        status: 'failed',
        errorCode: 'invalid_data',
        errorCount: 2,
        firstError: { page: 1, payloadId: payloads[0]!.id, message: 'The shop answered HTML, not JSON' },
      });
      expect(status.lastRun.errors).toHaveLength(2);
      expect(status.lastSuccessAt).toBeNull();
      expect(status.lastError).toMatchObject({ runId: run.id, code: 'invalid_data', message: expect.stringContaining('2 of 2 page(s) failed; first: page 1') });
      const listed = await app.inject({ method: 'GET', url: '/v1/channels' });
      expect(listed.statusCode).toBe(200);
      expect(listed.json().items.find((c: { id: string }) => c.id === channelId).lastSync).toMatchObject({
        status: 'failed',
        pages: 2,
        errorCount: 2,
        firstError: { page: 1, payloadId: payloads[0]!.id, code: 'invalid_data' },
      });
    });

    it('is partial, keeping the failed page and its error, when some pages failed; each progress line has the page’s own counts', async () => {
      kit.shop.pages = [goodPage(1, ['A', 'B'], 3), truncatedPage(2, 3), goodPage(3, ['C'], 3)];
      const progress: SyncProgress[] = [];

      const outcome = await syncChannel(ctx, channelId, 'manual', (p) => progress.push(p));

      const broken = await testDb.db.prisma.rawPayload.findFirstOrThrow({ where: { channelId, status: 'failed' } });
      expect(outcome).toMatchObject({
        status: 'partial',
        counts: { pages: 3, created: 3, failed: 1 },
        errors: [{ page: 2, source: 'memory://paged/orders?page=2', payloadId: broken.id, code: 'invalid_data' }],
      });
      expect(progress.map((p) => [p.page, p.totalPages, p.pageCounts.created, p.pageCounts.failed, p.counts.pages, p.counts.created, p.counts.failed, p.pageError?.page])).toEqual([
        [1, 3, 2, 0, 1, 2, 0, undefined],
        [2, 3, 0, 1, 2, 2, 1, 2],
        [3, 3, 1, 0, 3, 3, 1, undefined],
      ]);
      const status = await channelSyncStatus(testDb.db, channelId);
      expect(status.lastRun).toMatchObject({ status: 'partial', errorCount: 1, firstError: { page: 2, payloadId: broken.id }, counts: { pages: 3, created: 3, failed: 1 } });
      expect(status.lastSuccessAt).toBeNull();
      expect((await apiStatus()).lastRun).toMatchObject({ status: 'partial', errorCount: 1, firstError: { page: 2 } });
      const listed = await app.inject({ method: 'GET', url: '/v1/channels' });
      expect(listed.json().items.find((c: { id: string }) => c.id === channelId).lastSync).toMatchObject({ status: 'partial', created: 3, errorCount: 1, firstError: { page: 2 } });
    });

    /** A logger that keeps every line. */
    function recordingLogger() {
      const lines: { level: 'info' | 'warn' | 'error'; data: Record<string, unknown>; message: string }[] = [];
      const logger: JobLogger = {
        info: (data, message) => void lines.push({ level: 'info', data: data as Record<string, unknown>, message: message ?? '' }),
        warn: (data, message) => void lines.push({ level: 'warn', data: data as Record<string, unknown>, message: message ?? '' }),
        error: (data, message) => void lines.push({ level: 'error', data: data as Record<string, unknown>, message: message ?? '' }),
      };
      return { lines, logger };
    }

    it("keeps the connector's warnings on the run, logs them at warn level, and shows them in the API and the channel list", async () => {
      const warning = 'The store ignores modified_after/modified_before (older WooCommerce): reading every page by offset; the cursor moves only after a clean run.';
      kit.shop.pages = [{ ...goodPage(1, ['A'], 2), warning }, goodPage(2, ['B'], 2)];
      const { lines, logger } = recordingLogger();

      const outcome = await syncChannel({ ...ctx, logger }, channelId, 'manual');

      expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 2, created: 2 }, warnings: [{ page: 1, message: warning }] });
      const run = await testDb.db.prisma.syncRun.findFirstOrThrow({ where: { channelId } });
      expect(run.warnings).toEqual([{ page: 1, message: warning }]);
      const logged = lines.filter((l) => l.level === 'warn');
      expect(logged).toEqual([{ level: 'warn', data: { channelId, runId: run.id, page: 1 }, message: `sync of "Paged shop", page 1: ${warning}` }]);
      // The page's orders (their ids, totals) are not in any log line.
      expect(JSON.stringify(lines)).not.toContain('10.00');
      expect((await apiStatus()).lastRun).toMatchObject({ status: 'succeeded', warnings: [{ page: 1, message: warning }] });
      const listed = await app.inject({ method: 'GET', url: '/v1/channels' });
      expect(listed.json().items.find((c: { id: string }) => c.id === channelId).lastSync).toMatchObject({ status: 'succeeded', warnings: [{ page: 1, message: warning }] });
      expect(describeLastRun(run, run.startedAt)).toBe(`succeeded 0s ago (+2, ~0); 1 warning: page 1: ${warning.slice(0, 80)}…`);
    });

    it('is succeeded with 0 pages and 0 orders when the connector yields nothing, and says so', async () => {
      kit.shop.pages = [];
      const { lines, logger } = recordingLogger();

      const outcome = await syncChannel({ ...ctx, logger }, channelId, 'manual');

      expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 0, received: 0, created: 0, failed: 0 }, warnings: [] });
      const run = await testDb.db.prisma.syncRun.findFirstOrThrow({ where: { channelId } });
      expect(run).toMatchObject({ status: 'succeeded', pages: 0, received: 0 });
      expect(describeLastRun(run, run.startedAt)).toBe('succeeded 0s ago (0 pages, 0 orders)');
      expect(lines.at(-1)).toMatchObject({ level: 'info', message: 'sync of "Paged shop" succeeded: the source had nothing (0 pages, 0 orders)' });
    });

    it('is failed with the error when the connector throws before any page', async () => {
      kit.shop.failWith = new ConnectorError('unauthorized', 'WooCommerce answered 401: consumer key is invalid', { status: 401 });

      await expect(syncChannel(ctx, channelId, 'manual')).rejects.toMatchObject({ code: 'unauthorized', permanent: true });

      const run = await testDb.db.prisma.syncRun.findFirstOrThrow({ where: { channelId } });
      expect(run).toMatchObject({ status: 'failed', pages: 0, errorCode: 'unauthorized', error: expect.stringContaining('consumer key is invalid') });
      expect(run.errors).toEqual([{ page: null, source: null, payloadId: null, code: 'unauthorized', message: expect.stringContaining('consumer key is invalid') }]);
    });

    it('is partial, not failed, when its only page was read in part', async () => {
      kit.shop.pages = [{ ...goodPage(1, ['A']), body: JSON.stringify([{ id: 'A', total: '10.00' }, { id: 'B', total: '10.00', broken: true }]) }];

      const outcome = await syncChannel(ctx, channelId, 'manual');

      expect(await testDb.db.prisma.rawPayload.findFirstOrThrow({ where: { channelId } })).toMatchObject({ status: 'partial' });
      expect(outcome).toMatchObject({ status: 'partial', counts: { pages: 1, created: 1, failed: 1 } });
      expect(await testDb.db.prisma.syncRun.findFirstOrThrow({ where: { channelId } })).toMatchObject({ status: 'partial', pages: 1, created: 1 });
    });

    it("logs the sync's failure even when the failed run cannot be recorded, and throws the sync's failure", async () => {
      kit.shop.failWith = new ConnectorError('upstream_unavailable', 'connect ECONNREFUSED 10.0.0.9:443');
      // The run's row goes away under the sync: recording its failure throws (as with the database down).
      kit.shop.beforeFail = async () => void (await testDb.db.prisma.syncRun.deleteMany({ where: { channelId } }));
      const { lines, logger } = recordingLogger();

      await expect(syncChannel({ ...ctx, logger }, channelId, 'manual')).rejects.toMatchObject({ code: 'upstream_unavailable', message: expect.stringContaining('ECONNREFUSED') });

      const warn = lines.find((l) => l.level === 'warn');
      expect(warn).toMatchObject({ data: { channelId, code: 'upstream_unavailable', permanent: false }, message: expect.stringContaining('ECONNREFUSED') });
      const error = lines.find((l) => l.level === 'error');
      expect(error?.message).toMatch(/^could not record the failed sync run /);
      expect(lines.indexOf(warn!)).toBeLessThan(lines.indexOf(error!));
    });

    it('is succeeded, with no errors, only when every page was stored and read', async () => {
      kit.shop.pages = [goodPage(1, ['A', 'B']), goodPage(2, ['C'])];

      const outcome = await syncChannel(ctx, channelId, 'manual');

      expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 2, created: 3, failed: 0 } });
      const status = await apiStatus();
      expect(status.lastRun).toMatchObject({ status: 'succeeded', errorCount: 0, firstError: null, errors: [], error: null });
      expect(status.lastSuccessAt).toBe(status.lastRun.finishedAt);
      expect(status.lastError).toBeNull();
    });
  });
}
