import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderLifecycle } from '../../core/flows/order-lifecycle.ts';
import type { Principal } from '../../core/identity/principal.ts';
import { UserService } from '../../core/identity/user-service.ts';
import { getExchange } from '../../core/onec/exchange-log.ts';
import { ExchangeStore, type ExchangeType } from '../../core/onec/exchange-store.ts';
import { OnecExchange } from '../../core/onec/onec-exchange.ts';
import type { OnecExchangePorts } from '../../core/onec/ports.ts';
import { ARCHIVE_SLICE_BYTES, runRetention, type RetentionSettings } from '../../jobs/processors/retention.ts';
import { createRegistry } from '../../jobs/registry.ts';
import { makeUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

const NOW = new Date('2026-12-04T03:17:00Z');
/** Older than the payload retention (30 days), younger than the run retention (365). */
const OLD = new Date('2026-08-01T10:00:00Z');
/** Older than both. */
const ANCIENT = new Date('2025-06-01T10:00:00Z');
const RECENT = new Date('2026-12-01T10:00:00Z');

/** Bytes that are no text and whose lengths are no multiple of 3: the base64 of the chunks must still join. */
function bytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

/**
 * Retention of the 1C exchange on real PostgreSQL: an old file's chunks are exported to the archive
 * (readable, the same bytes) and deleted, its row kept and marked purged; a recent file keeps its
 * bytes; a session older than the run retention goes with its files once their bytes are exported;
 * a reimport of a purged file is refused saying so.
 */
describe('retention of the 1C exchange', { timeout: 60_000 }, () => {
  let t: TestDatabase;
  let dir: string;
  let settings: RetentionSettings;
  let principal: Principal;
  const ctx = () => ({ db: t.db, registry: createRegistry() });
  const sent = new Map<string, Buffer>();
  const ids: Record<string, string> = {};

  async function file(type: ExchangeType, at: Date, name: string, chunks: Buffer[], status: 'imported' | 'failed' | 'received'): Promise<{ sessionId: string; fileId: string }> {
    const store = new ExchangeStore(t.db, () => at);
    const { session } = await store.open(principal, type, null, 60);
    let fileId = '';
    for (const chunk of chunks) fileId = (await store.appendChunk(session.id, name, chunk)).id;
    if (status === 'imported') await store.updateFile(fileId, { status, imported: true, position: 12 });
    if (status === 'failed') await store.updateFile(fileId, { status, error: 'line 3: not CommerceML' });
    await store.finish(session.id, status === 'failed' ? 'failed' : 'succeeded');
    sent.set(fileId, Buffer.concat(chunks));
    return { sessionId: session.id, fileId };
  }

  beforeAll(async () => {
    t = await createTestPostgres();
    dir = await mkdtemp(join(tmpdir(), 'orderhub-onec-archive-'));
    settings = { payloadDays: 30, runDays: 365, jobDays: 0, archiveDir: join(dir, 'archive') };
    const user = await makeUser(t.db, { login: 'onec', roles: ['integration'] });
    principal = { userId: await new UserService(t.db).idOf(user.login), login: user.login } as Principal;

    // An imported catalogue of three chunks, one larger than a slice read from the database.
    const imported = await file('catalog', OLD, 'import.xml', [bytes(1_000_001, 1), bytes(ARCHIVE_SLICE_BYTES + 5, 2), bytes(7, 3)], 'imported');
    ids.importedSession = imported.sessionId;
    ids.imported = imported.fileId;
    ids.failed = (await file('sale', OLD, 'orders.xml', [bytes(10, 4)], 'failed')).fileId;
    const ancient = await file('catalog', ANCIENT, 'offers.xml', [bytes(20, 5), bytes(4, 6)], 'imported');
    ids.ancientSession = ancient.sessionId;
    ids.ancient = ancient.fileId;
    ids.recent = (await file('catalog', RECENT, 'import.xml', [bytes(50, 7)], 'imported')).fileId;
  });

  afterAll(async () => {
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts in a dry run and changes nothing', async () => {
    const report = await runRetention(ctx(), settings, { dryRun: true, now: NOW });
    expect(report.exchange).toEqual({ files: { eligible: 3, bytes: 1_000_001 + ARCHIVE_SLICE_BYTES + 5 + 7 + 10 + 24, purged: 0, archive: null }, sessions: { eligible: 1, deleted: 0 } });
    expect(await t.db.query(`SELECT 1 FROM onec_exchange_file WHERE bytes_purged_at IS NOT NULL`)).toEqual([]);
  });

  describe('when it runs', () => {
    let archive: string;

    beforeAll(async () => {
      const report = await runRetention(ctx(), settings, { now: NOW, batchSize: 2 });
      archive = join(settings.archiveDir, 'onec-exchange-2026-12-04.ndjson.gz');
      expect(report.exchange).toEqual({ files: { eligible: 3, bytes: expect.any(Number), purged: 3, archive }, sessions: { eligible: 1, deleted: 1 } });
    });

    it('exports the old files to the archive, one line each with the same bytes', async () => {
      const lines = gunzipSync(await readFile(archive)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => l.id).sort()).toEqual([ids.imported, ids.failed, ids.ancient].sort());
      for (const line of lines) {
        const original = sent.get(line.id)!;
        expect(Buffer.from(line.bytesBase64, 'base64').equals(original)).toBe(true);
        expect(line).toMatchObject({ bytes: original.byteLength });
      }
      expect(lines.find((l) => l.id === ids.imported)).toMatchObject({ sessionId: ids.importedSession, sessionType: 'catalog', login: 'onec', name: 'import.xml', status: 'imported', chunks: 3 });
    });

    it('deletes their chunks and keeps the rows, marked purged, in the exchange log', async () => {
      const chunks = await t.db.query<{ file_id: string }>(`SELECT DISTINCT file_id FROM onec_exchange_file_chunk`);
      expect(chunks.map((c) => c.file_id)).toEqual([ids.recent]);
      const log = await getExchange(t.db, ids.importedSession!);
      expect(log.fileList).toEqual([
        expect.objectContaining({ id: ids.imported, name: 'import.xml', status: 'imported', size: sent.get(ids.imported!)!.byteLength, chunks: 3, bytesPurgedAt: NOW.toISOString(), bytesArchive: archive }),
      ]);
      expect(log.bytes).toBe(sent.get(ids.imported!)!.byteLength);
    });

    it('keeps the recent file’s bytes', async () => {
      const store = new ExchangeStore(t.db);
      expect((await store.wholeFile(ids.recent!)).equals(sent.get(ids.recent!)!)).toBe(true);
      expect(await store.fileById(ids.recent!)).toMatchObject({ bytesPurgedAt: null, bytesArchive: null });
    });

    it('deletes the session older than the run retention with its files, after their bytes were exported', async () => {
      expect(await t.db.query(`SELECT id FROM onec_exchange_session WHERE id = $1`, [ids.ancientSession])).toEqual([]);
      expect(await t.db.query(`SELECT id FROM onec_exchange_file WHERE id = $1`, [ids.ancient])).toEqual([]);
      expect(await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM onec_exchange_session`)).toEqual([{ n: 3 }]);
    });

    it('refuses to reimport a purged file, saying it was purged and where the bytes are', async () => {
      const exchange = new OnecExchange(t.db, {} as OnecExchangePorts, { lifecycle: new OrderLifecycle(t.db) });
      const refused = exchange.reimport(ids.imported!);
      await expect(refused).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('its bytes were purged by retention on 2026-12-04T03:17:00.000Z') });
      await expect(exchange.reimport(ids.imported!)).rejects.toThrow(archive);
      // Nothing about the file changed.
      expect(await new ExchangeStore(t.db).fileById(ids.imported!)).toMatchObject({ status: 'imported', position: 12 });
    });

    it('does nothing more when run again', async () => {
      const again = await runRetention(ctx(), settings, { now: NOW });
      expect(again.exchange).toEqual({ files: { eligible: 0, bytes: 0, purged: 0, archive: null }, sessions: { eligible: 0, deleted: 0 } });
    });
  });

  it('keeps the bytes and the sessions with 0 days', async () => {
    const report = await runRetention(ctx(), { ...settings, payloadDays: 0, runDays: 0 }, { now: new Date('2030-01-01T00:00:00Z') });
    expect(report.exchange).toEqual({ files: { eligible: 0, bytes: 0, purged: 0, archive: null }, sessions: { eligible: 0, deleted: 0 } });
    expect((await new ExchangeStore(t.db).wholeFile(ids.recent!)).equals(sent.get(ids.recent!)!)).toBe(true);
  });
});
