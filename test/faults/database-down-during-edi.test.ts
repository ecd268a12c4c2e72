import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { openDatabase, type Database } from '../../core/db/database.ts';
import { migrate } from '../../core/db/migrate.ts';
import { PAYLOAD_CHUNK_ORDERS } from '../../core/orders/payload-processing.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import type { PayloadProcessedEvent } from '../../jobs/runtime/types.ts';
import { makeUser, type TestUser } from '../helpers/auth.ts';
import { OwnPostgres } from '../helpers/own-postgres.ts';
import { parseMetrics } from '../helpers/prometheus.ts';

const UPLOAD_TOKEN = 'partner-upload-token-0123456789';
/** About 1.7 MB: four chunks of PAYLOAD_CHUNK_ORDERS, each its own transaction. */
const MESSAGES = 2_000;

/**
 * One ORDERS interchange of `count` messages, as bench/edi builds them: the constructed fixture's
 * message (verbatim but for its message reference and BGM document number, unique per copy) in the
 * fixture's own UNA/UNB envelope, the UNZ counting them.
 */
function ordersInterchange(count: number): string {
  const fixture = readFileSync(new URL('../fixtures/edi/edifact/constructed-full-d96a.edi', import.meta.url), 'utf8').replace(/\r?\n/g, '');
  const start = fixture.indexOf('UNH+');
  const message = fixture.slice(start, fixture.indexOf("'", fixture.indexOf('UNT+', start)) + 1);
  const envelope = fixture.slice(0, start);
  const parts = [envelope.replace("'UNB", "'\nUNB")];
  for (let n = 1; n <= count; n++) {
    parts.push(
      message
        .replace(/^UNH\+[^+]*\+/, `UNH+M${n}+`)
        .replace(/UNT\+(\d+)\+[^']*'$/, `UNT+$1+M${n}'`)
        .replace(/BGM\+220\+[^+]*\+/, `BGM+220+PO-${n}+`),
    );
  }
  parts.push(`UNZ+${count}+IC0042'`);
  return `${parts.join('\n')}\n`;
}

/**
 * PostgreSQL goes away (its own server, `pg_ctl -m immediate`) in the middle of a large EDI import,
 * after some chunks are committed and before the last, and comes back: the upload was answered
 * before, the import notices (a failed try, retried), and then ends by itself with every message
 * of the file exactly one order, once, and the payload parsed with the file's count.
 */
describe('PostgreSQL down during a large EDI import (its own server, stopped between chunks)', () => {
  let pg: OwnPostgres;
  let db: Database;
  let hub: Hub;
  let app: FastifyInstance;
  let channelId: string;
  let monitoring: TestUser;
  /** What the hub warned about: a try that failed and will be retried says so. */
  const warnings: string[] = [];

  beforeAll(async () => {
    pg = await OwnPostgres.start();
    db = await openDatabase({ url: pg.url });
    await migrate(db);
    // In-process jobs (no Redis): a failed try is retried with backoff, long enough to outlast a restart.
    hub = await createHub(loadConfig({ DATABASE_URL: pg.url }), { db, schedules: false, retry: { attempts: 8, backoffMs: 200 }, logger: { info() {}, error() {}, warn: (_data, message) => warnings.push(message ?? '') } });
    await hub.runner.start();
    app = await buildApp({ db, catalog: hub.catalog, actions: hub.actions });
    monitoring = await makeUser(db, { login: 'prometheus', roles: ['monitoring'] });
    channelId = (await hub.channels.create({ name: 'Partner', connectorType: 'edi', config: { ourId: '4098765000010', uploadToken: UPLOAD_TOKEN } })).id;
  }, 120_000);

  afterAll(async () => {
    await pg?.up().catch(() => undefined);
    await app?.close();
    await hub?.close();
    await db?.close();
    await pg?.destroy();
  });

  const orderCount = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "order" WHERE channel_id = $1`, [channelId]))[0]!.n;

  it('answers the upload, notices the outage mid-import, and ends with every message exactly one order', async () => {
    const file = Buffer.from(ordersInterchange(MESSAGES), 'utf8');
    const events: PayloadProcessedEvent[] = [];
    const off = hub.runner.onPayloadProcessed((event) => events.push(event));
    try {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/files`,
        headers: { authorization: `Bearer ${UPLOAD_TOKEN}`, 'content-type': 'application/edifact', 'content-disposition': 'attachment; filename="ORDERS_2000.edi"' },
        payload: file,
      });
      // Answered (archived) while the database is still up.
      expect(response.statusCode, response.body).toBe(202);
      const { payloadId, duplicate } = response.json<{ payloadId: string; duplicate: boolean }>();
      expect(duplicate).toBe(false);

      // Some chunks are in, not all: the database goes.
      await vi.waitFor(async () => expect(await orderCount()).toBeGreaterThanOrEqual(PAYLOAD_CHUNK_ORDERS), { timeout: 60_000, interval: 50 });
      await pg.down();
      // It went before the import ended.
      expect(events.filter((e) => e.final)).toEqual([]);

      // The import notices: its try fails, not for good (it is retried).
      await vi.waitFor(() => expect(events.find((e) => e.payloadId === payloadId && e.error)).toBeDefined(), { timeout: 30_000, interval: 50 });
      const noticed = events.find((e) => e.payloadId === payloadId && e.error)!;
      expect(noticed.final).toBe(false);
      expect(warnings.some((w) => w.startsWith(`reading payload ${payloadId} failed (attempt 1 of 8), retrying`))).toBe(true);

      await pg.up();
      // Nobody does anything: the retry reads the file again and finishes it.
      await vi.waitFor(
        async () => expect(events.find((e) => e.payloadId === payloadId && e.final), `not finished yet: ${await orderCount()} orders, ${events.length} tries ended`).toBeDefined(),
        { timeout: 100_000, interval: 250 },
      );
      const last = events.find((e) => e.payloadId === payloadId && e.final)!;
      expect(last.error).toBeUndefined();
      expect(last.outcome).toMatchObject({ status: 'parsed', orderCount: MESSAGES, errorCount: 0 });
      // Chunks committed before the outage come back unchanged; none is taken twice.
      expect(last.outcome!.counts.created + last.outcome!.counts.unchanged).toBe(MESSAGES);
      expect(last.outcome!.counts).toMatchObject({ updated: 0, stale: 0, rejected: 0 });

      const payload = await db.prisma.rawPayload.findUniqueOrThrow({ where: { id: payloadId }, select: { status: true, orderCount: true, error: true, receivedCount: true } });
      expect(payload).toEqual({ status: 'parsed', orderCount: MESSAGES, error: null, receivedCount: 1 });
      const orders = await db.prisma.order.findMany({ where: { channelId }, select: { externalId: true, version: true } });
      expect(orders).toHaveLength(MESSAGES);
      expect(new Set(orders.map((o) => o.externalId)).size).toBe(MESSAGES);
      expect(orders.map((o) => o.externalId.replace(/^.*:/, '')).sort()).toEqual(Array.from({ length: MESSAGES }, (_, i) => `PO-${i + 1}`).sort());
      // One version each, read from this payload: a chunk read again made no second version.
      expect(orders.every((o) => o.version === 1)).toBe(true);
      expect(await db.prisma.orderVersion.count({ where: { order: { channelId } } })).toBe(MESSAGES);
      // Each order's steps ran once (its stock step for version 1), none left failed.
      const steps = await db.query<{ step: string; outcome: string; n: number }>(
        `SELECT s.step, s.outcome, count(*)::int AS n FROM order_step s JOIN "order" o ON o.id = s.order_id WHERE o.channel_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
        [channelId],
      );
      expect(steps.filter((s) => s.outcome === 'failed' || s.outcome === 'pending')).toEqual([]);
      expect(steps.find((s) => s.step === 'stock')?.n).toBe(MESSAGES);

      // /metrics tells it as it was: one upload accepted; the payload read after at least one retried try.
      const metrics = parseMetrics((await app.inject({ url: '/metrics', headers: monitoring.headers })).body);
      expect(metrics.value('orderhub_webhooks_total', { channel: channelId, result: 'accepted' })).toBe(1);
      expect(metrics.value('orderhub_payloads_processed_total', { outcome: 'parsed' })).toBe(1);
      expect(metrics.value('orderhub_payloads_processed_total', { outcome: 'retry' })).toBe(events.filter((e) => e.error).length);
      expect(metrics.value('orderhub_payloads_processed_total', { outcome: 'failed' })).toBeUndefined();
    } finally {
      off();
    }
    // About 20 s on a quiet machine; the rest is room for a busy one (the order steps set the pace).
  }, 120_000);

  it('answers 503 to an upload still arriving when PostgreSQL goes, stores nothing of it, and goes on (the process does not crash)', async () => {
    const before = await db.prisma.rawPayload.count({ where: { channelId } });
    const body = new PassThrough();
    const answer = app.inject({
      method: 'POST',
      url: `/v1/channels/${channelId}/files`,
      headers: { authorization: `Bearer ${UPLOAD_TOKEN}`, 'content-type': 'application/edifact' },
      payload: body,
    });
    body.write(ordersInterchange(3).slice(0, 200));
    // The archive's transaction is open (its row inserted), waiting for the rest of the file.
    await vi.waitFor(
      async () => {
        const [open] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE 'INSERT INTO raw_payload%'`);
        expect(open!.n).toBe(1);
      },
      { timeout: 30_000, interval: 50 },
    );
    await pg.down();
    body.end(ordersInterchange(3).slice(200));
    const response = await answer;
    expect(response.statusCode, response.body).toBe(503);
    expect(response.json().error.code).toBe('upstream_unavailable');

    await pg.up();
    // Nothing of it was stored; the next upload is taken as usual.
    expect(await db.prisma.rawPayload.count({ where: { channelId } })).toBe(before);
    const next = await app.inject({
      method: 'POST',
      url: `/v1/channels/${channelId}/files`,
      headers: { authorization: `Bearer ${UPLOAD_TOKEN}`, 'content-type': 'application/edifact' },
      payload: Buffer.from(ordersInterchange(3).replaceAll('IC0042', 'IC0043')),
    });
    expect(next.statusCode, next.body).toBe(202);
  }, 60_000);
});
