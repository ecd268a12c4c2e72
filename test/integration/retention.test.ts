import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelService } from '../../core/channels/channels.ts';
import { acknowledgePayload } from '../../core/orders/payload-attention.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { reprocessPayload } from '../../jobs/processors/process-payload.ts';
import { ARCHIVE_SLICE_BYTES, runRetention, type RetentionSettings } from '../../jobs/processors/retention.ts';
import type { ProcessorContext } from '../../jobs/runtime/types.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { pagedShop } from '../helpers/paged-shop.ts';

const NOW = new Date('2026-12-04T03:17:00Z');
const OLD = new Date('2026-08-01T10:00:00Z');

describe.each(DATABASE_KINDS)('retention on %s', (_kind, createDatabase) => {
  let t: TestDatabase;
  let ctx: ProcessorContext;
  let channelId: string;
  let dir: string;
  let settings: RetentionSettings;
  const ids: Record<string, string> = {};

  async function payload(name: string, rows: { id: string; broken?: boolean }[], extra = ''): Promise<string> {
    const body = JSON.stringify(rows.map((r) => ({ id: r.id, total: '10.00', ...(r.broken && { broken: true }), ...(extra && { note: extra }) })));
    const stored = await archivePayload(t.db, { channelId, kind: 'pull', source: `memory://paged/${name}`, contentType: 'application/json', body });
    await reprocessPayload(ctx, stored.id);
    ids[name] = stored.id;
    return stored.id;
  }

  beforeAll(async () => {
    t = await createDatabase();
    const kit = pagedShop();
    ctx = { db: t.db, registry: kit.registry, leaseTtlMs: 30_000 };
    channelId = (await new ChannelService(t.db, kit.registry).create({ name: 'Old shop', connectorType: 'paged', config: { token: 't' } })).id;
    dir = await mkdtemp(join(tmpdir(), 'orderhub-archive-'));
    settings = { payloadDays: 90, runDays: 90, jobDays: 14, archiveDir: join(dir, 'archive') };

    await payload('parsed', [{ id: 'R-1' }]);
    // A body larger than one slice read from the database: exported in pieces that must join.
    await payload('large', [{ id: 'R-2' }], 'x'.repeat(ARCHIVE_SLICE_BYTES + 12_345));
    await payload('failed', [{ id: 'R-3', broken: true }]);
    await payload('acknowledged', [{ id: 'R-4', broken: true }]);
    await acknowledgePayload(t.db, ids.acknowledged!, { login: 'anna.ops', userId: null, via: 'cli', ip: null }, 'handled by hand');
    ids.pending = (await archivePayload(t.db, { channelId, kind: 'webhook', source: 'order.updated', contentType: 'application/json', body: '[{"id":"R-5","total":"1.00"}]' })).id;
    await t.db.query(`UPDATE raw_payload SET received_at = $1, last_received_at = $1 WHERE channel_id = $2`, [OLD, channelId]);
    // Recent: stays whatever its state.
    await payload('recent', [{ id: 'R-6' }]);

    // Runs: three old finished ones (the newest a failure), one recent.
    const run = (status: string, at: Date) => t.db.prisma.syncRun.create({ data: { channelId, trigger: 'schedule', status, startedAt: at, finishedAt: at } });
    ids.oldRun = (await run('succeeded', new Date('2026-07-01T00:00:00Z'))).id;
    ids.lastSuccess = (await run('succeeded', new Date('2026-07-02T00:00:00Z'))).id;
    ids.lastRun = (await run('failed', new Date('2026-07-03T00:00:00Z'))).id;
  });

  afterAll(async () => {
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a dry run counts what would go and changes nothing', async () => {
    const report = await runRetention(ctx, settings, { dryRun: true, now: NOW });
    expect(report.payloads).toMatchObject({ eligible: 3, purged: 0, archive: null });
    expect(report.payloads.bytes).toBeGreaterThan(ARCHIVE_SLICE_BYTES);
    expect(report.runs).toEqual({ eligible: 1, deleted: 0 });
    expect(await t.db.prisma.rawPayload.count({ where: { bodyPurgedAt: { not: null } } })).toBe(0);
    expect(await t.db.prisma.syncRun.count({ where: { channelId } })).toBe(3);
  });

  it('exports the bodies of old final payloads to the archive, then drops them; keeps rows, order versions and everything else', async () => {
    const before = new Map((await t.db.prisma.rawPayload.findMany({ where: { channelId } })).map((p) => [p.id, p]));
    const removedJobs: number[] = [];

    const report = await runRetention(ctx, settings, { now: NOW, batchSize: 2, cleanJobs: async (ms) => (removedJobs.push(ms), { removed: 7 }) });

    const archive = join(settings.archiveDir, 'payloads-2026-12-04.ndjson.gz');
    expect(report).toMatchObject({ payloads: { eligible: 3, purged: 3, archive }, runs: { deleted: 1 }, jobs: { removed: 7 } });
    expect(removedJobs).toEqual([14 * 86_400_000]);
    const lines = gunzipSync(await readFile(archive)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id).sort()).toEqual([ids.parsed, ids.large, ids.acknowledged].sort());
    for (const line of lines) {
      const original = before.get(line.id)!;
      expect(Buffer.from(line.bodyBase64, 'base64').equals(Buffer.from(original.body))).toBe(true);
      expect(line).toMatchObject({ channelId, hash: original.hash, status: original.status, bytes: original.body.length });
    }

    for (const name of ['parsed', 'large', 'acknowledged']) {
      const row = await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: ids[name]! } });
      expect(row.body.length).toBe(0);
      expect(row).toMatchObject({ bodyPurgedAt: NOW, bodyArchive: archive, bodyBytes: before.get(row.id)!.body.length, status: before.get(row.id)!.status, hash: before.get(row.id)!.hash });
    }
    for (const name of ['failed', 'pending', 'recent']) {
      const row = await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: ids[name]! } });
      expect(row.bodyPurgedAt).toBeNull();
      expect(Buffer.from(row.body).equals(Buffer.from(before.get(row.id)!.body))).toBe(true);
    }
    // The order versions still name their payload.
    const version = await t.db.prisma.orderVersion.findFirstOrThrow({ where: { order: { externalId: 'R-1' } } });
    expect(version.rawPayloadId).toBe(ids.parsed);
    // A payload without its body cannot be read again by mistake.
    await expect(reprocessPayload(ctx, ids.parsed!)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(archive) });
    expect((await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: ids.parsed! } })).status).toBe('parsed');

    // Runs: the old one went; the channel's last run and last successful run stay.
    expect((await t.db.prisma.syncRun.findMany({ where: { channelId } })).map((r) => r.id).sort()).toEqual([ids.lastSuccess, ids.lastRun].sort());

    // Run again: nothing more to do, the archive is not rewritten.
    const again = await runRetention(ctx, settings, { now: NOW });
    expect(again.payloads).toMatchObject({ eligible: 0, purged: 0 });
  });

  it('keeps everything with 0 days', async () => {
    const report = await runRetention(ctx, { ...settings, payloadDays: 0, runDays: 0, jobDays: 0 }, { now: new Date('2030-01-01T00:00:00Z'), cleanJobs: async () => ({ removed: 99 }) });
    expect(report).toMatchObject({ payloads: { eligible: 0, purged: 0 }, runs: { eligible: 0, deleted: 0 }, jobs: null });
  });
});
