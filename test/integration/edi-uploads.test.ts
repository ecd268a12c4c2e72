import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { ARCHIVE_PIECE_BYTES } from '../../core/orders/raw-archive.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { EDI_UPLOAD_TOKEN, startEdiHub, type EdiHub } from '../helpers/edi-hub.ts';
import { parseMetrics } from '../helpers/prometheus.ts';

/**
 * EDI uploads through the real hub. Pushes are limited by their channel, not by one number for the whole API: an EDI channel takes
 * files up to its maxFileBytes (64 MiB by default, above the 10 MiB default for webhooks); a file
 * above its channel's limit is refused with a 413 that names the limit, and, when the partner's
 * upload token proves who sent it, the refusal is a failed payload ops can see, keeping the start.
 */
for (const [kind, createDb] of DATABASE_KINDS) {
  describe(`EDI uploads (${kind})`, () => {
    let edi: EdiHub;
    let t: TestDatabase;
    let admin: FastifyInstance;
    const ediChannel = (name: string, config?: Record<string, unknown>) => edi.ediChannel(name, config);
    const upload = (channelId: string, body: Buffer, token?: string) => edi.upload(channelId, body, token);

    /** A real HTTP upload sent in parts: what the partner's client does with a large file. */
    async function streamUpload(channelId: string, headers: Record<string, string> = {}) {
      const url = new URL(`/v1/channels/${channelId}/files`, await edi.baseUrl());
      const req = httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${EDI_UPLOAD_TOKEN}`, 'content-type': 'application/edifact', ...headers } });
      const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
        req.on('response', (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        });
        req.on('error', reject);
      });
      const send = async (bytes: Buffer) => {
        // Odd-sized writes, waiting for the server to take each (backpressure), as a real client does.
        for (let at = 0; at < bytes.length; at += 65_521) {
          if (!req.write(bytes.subarray(at, at + 65_521))) await once(req, 'drain');
        }
      };
      return {
        send,
        async end(rest: Buffer) {
          await send(rest);
          req.end();
          return answered;
        },
        breakOff() {
          answered.catch(() => undefined);
          req.destroy();
        },
      };
    }
    /** Server sessions writing an upload's piece right now, or idle inside the archive's transaction after one. */
    const piecesBeingWritten = async () =>
      (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'UPDATE raw_payload SET body = body ||%' AND xact_start IS NOT NULL`))[0]!.n;
    const openArchiveTransactions = piecesBeingWritten;
    /** Asks until the condition holds (the server works on its own time), failing after a while. */
    async function until(condition: () => Promise<boolean>) {
      for (let tries = 0; tries < 600; tries++) {
        if (await condition()) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the condition never held');
    }

    beforeAll(async () => {
      edi = await startEdiHub(createDb);
      ({ t, admin } = edi);
    });
    afterAll(() => edi?.close());

    it("takes a file above the webhooks' 10 MiB default when the channel's own limit (64 MiB by default) allows it", async () => {
      const channelId = await ediChannel('Big partner');
      const body = Buffer.alloc(11 * 1024 * 1024, 0x41);
      body.write("UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+261203:1200+REF1'");
      const response = await upload(channelId, body);
      expect(response.statusCode, response.body).toBe(202);
      const payload = await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: response.json<{ payloadId: string }>().payloadId } });
      expect(payload.body.length).toBe(body.length);
    });

    it("refuses a file above its channel's limit with a 413 naming the limit, and records the refusal with the file's start", async () => {
      const channelId = await ediChannel('Small partner', { maxFileBytes: 4096 });
      const body = Buffer.from(`UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+261203:1200+REF2'${'LIN+1++4000862141404:SRV'.repeat(400)}`);
      expect(body.length).toBeGreaterThan(4096);
      const response = await upload(channelId, body);
      expect(response.statusCode).toBe(413);
      const error = response.json<{ error: { code: string; message: string; details: { reason: string; limit: number; payloadId: string } } }>().error;
      expect(error).toMatchObject({ code: 'invalid_data', details: { reason: 'too_large', limit: 4096 } });
      expect(error.message).toContain('the limit is 4096 bytes');

      const payload = await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: error.details.payloadId } });
      expect(payload).toMatchObject({ channelId, kind: 'upload', status: 'failed', errorCode: 'invalid_data' });
      expect(payload.error).toContain('the limit is 4096 bytes');
      // Why first (so reading it again can never import part of a refused file), then the file's start.
      expect(Buffer.from(payload.body).toString('utf8')).toMatch(/^Refused: \d+ bytes or more, above the channel's limit of 4096 bytes\. Its first 2048 bytes follow\.\nUNA:\+\.\? 'UNB\+UNOC:3\+SENDER\+RECEIVER\+261203:1200\+REF2'/);
      const again = await admin.inject({ method: 'POST', url: `/v1/raw-payloads/${payload.id}/reprocess` });
      expect(again.statusCode, again.body).toBe(200);
      expect(await t.db.prisma.order.count({ where: { channelId } })).toBe(0);
      expect(payload.body.length).toBeLessThan(2048 + 200);
      // Ops see it with the other failed payloads.
      const failed = await admin.inject({ method: 'GET', url: `/v1/raw-payloads?channelId=${channelId}&status=failed` });
      expect(failed.json<{ items: { id: string }[] }>().items.map((p) => p.id)).toContain(payload.id);

      // A file within the limit is still taken.
      expect((await upload(channelId, Buffer.from("UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+261203:1200+REF3'"))).statusCode).toBe(202);
    });

    it('refuses a sender without the upload token before reading its file, whatever its size, and records nothing', async () => {
      const channelId = await ediChannel('Guarded partner', { maxFileBytes: 2048 });
      const response = await upload(channelId, Buffer.alloc(5000, 0x41), 'wrong-token-wrong-token-wrong');
      expect(response.statusCode).toBe(401);
      expect(await t.db.prisma.rawPayload.count({ where: { channelId } })).toBe(0);
    });

    it('streams a file of two and a half archive pieces into the archive byte for byte, pieces stored while the upload is still arriving; the same file again is a duplicate', async () => {
      const channelId = await ediChannel('Streaming partner');
      // Multi-byte characters everywhere, so a piece or chunk boundary inside one would show.
      const line = "LIN+1++Dübelő 4000862141404:SRV'\n";
      const body = Buffer.from(`UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+261203:1200+BIG1'\n${line.repeat(Math.ceil((ARCHIVE_PIECE_BYTES * 2.5) / Buffer.byteLength(line)))}`, 'utf8');
      const request = await streamUpload(channelId, { 'content-disposition': 'attachment; filename="C:\\\\exports\\\\ORDERS_0412.edi"' });
      // More than a piece sent, the rest not yet: on PostgreSQL the archive already wrote a piece (in its open transaction).
      await request.send(body.subarray(0, ARCHIVE_PIECE_BYTES + 12_345));
      if (t.db.kind === 'postgres') await until(async () => (await piecesBeingWritten()) > 0);
      const response = await request.end(body.subarray(ARCHIVE_PIECE_BYTES + 12_345));
      expect(response.status, response.text).toBe(202);
      const { payloadId, duplicate } = JSON.parse(response.text) as { payloadId: string; duplicate: boolean };
      expect(duplicate).toBe(false);
      const [stored] = await t.db.query<{ size: number; digest: string; hash: string; source: string; content_type: string; encoding: string }>(
        `SELECT octet_length(body)::int AS size, encode(sha256(body), 'hex') AS digest, hash, source, content_type, encoding FROM raw_payload WHERE id = $1`,
        [payloadId],
      );
      const digest = createHash('sha256').update(body).digest('hex');
      expect(stored).toEqual({ size: body.length, digest, hash: digest, source: 'ORDERS_0412.edi', content_type: 'application/edifact; charset=utf-8', encoding: 'utf-8' });

      const again = await upload(channelId, body);
      expect(again.statusCode, again.body).toBe(202);
      expect(again.json()).toEqual({ payloadId, duplicate: true });
      expect(await t.db.prisma.rawPayload.count({ where: { channelId } })).toBe(1);
      expect(await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: payloadId }, select: { receivedCount: true } })).toEqual({ receivedCount: 2 });
    });

    it('counts uploads in orderhub_webhooks_total by result, as webhooks are counted', async () => {
      const channelId = await ediChannel('Counted partner', { maxFileBytes: 4096 });
      const file = Buffer.from("UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+261203:1200+CNT1'");
      expect((await upload(channelId, file)).statusCode).toBe(202);
      expect((await upload(channelId, file)).statusCode).toBe(202);
      expect((await upload(channelId, file, 'wrong-token-wrong-token-wrong')).statusCode).toBe(401);
      expect((await upload(channelId, Buffer.alloc(5000, 0x41))).statusCode).toBe(413);
      const metrics = parseMetrics((await edi.hub.actions.metrics!()).body);
      const counted = Object.fromEntries(metrics.samples('orderhub_webhooks_total', { channel: channelId }).map((s) => [s.labels.result, s.value]));
      expect(counted).toEqual({ accepted: 1, duplicate: 1, rejected: 1, too_large: 1 });
    });

    it('stores nothing of a file whose sender goes away mid-upload, and goes on answering', async () => {
      const channelId = await ediChannel('Vanishing partner');
      const request = await streamUpload(channelId, { 'content-length': String(3 * ARCHIVE_PIECE_BYTES) });
      await request.send(Buffer.alloc(ARCHIVE_PIECE_BYTES + 1000, 0x41));
      if (t.db.kind === 'postgres') await until(async () => (await piecesBeingWritten()) > 0);
      request.breakOff();
      // The archive's transaction ends (rolled back) once the server sees the connection gone.
      if (t.db.kind === 'postgres') await until(async () => (await openArchiveTransactions()) === 0);
      const small = Buffer.from("UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+261203:1200+NEXT'");
      const next = await upload(channelId, small);
      expect(next.statusCode, next.body).toBe(202);
      const stored = await t.db.query<{ id: string; size: number }>(`SELECT id, octet_length(body)::int AS size FROM raw_payload WHERE channel_id = $1`, [channelId]);
      expect(stored).toEqual([{ id: next.json<{ payloadId: string }>().payloadId, size: small.length }]);
    });

    it('names the file in the payload, its errors, the API and the list', async () => {
      const channelId = await ediChannel('Named partner');
      const body = Buffer.concat([Buffer.from("UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+261203:1200+NUL1'"), Buffer.from([0x00, 0x01, 0xff])]);
      const response = await edi.upload(channelId, body, undefined, { 'x-file-name': '../../inbox/ORDERS%200413.edi' });
      expect(response.statusCode, response.body).toBe(202);
      const { payloadId } = response.json<{ payloadId: string }>();
      await admin.inject({ method: 'POST', url: `/v1/raw-payloads/${payloadId}/reprocess` });
      const shown = (await admin.inject({ method: 'GET', url: `/v1/raw-payloads/${payloadId}` })).json<{ source: string; error: string; encoding: string; bodyBase64: string }>();
      expect(shown).toMatchObject({ source: 'ORDERS 0413.edi', encoding: 'binary' });
      expect(shown.error).toMatch(/^not text: .*; from ORDERS 0413\.edi$/);
      expect(Buffer.from(shown.bodyBase64, 'base64').equals(body)).toBe(true);
      const listed = (await admin.inject({ method: 'GET', url: `/v1/raw-payloads?channelId=${channelId}` })).json<{ items: { source: string }[] }>();
      expect(listed.items.map((p) => p.source)).toEqual(['ORDERS 0413.edi']);
    });

    it('skips an interchange of messages that are not orders (PAORES) with the reason, not as a failure', async () => {
      const channelId = await ediChannel('Mixed partner');
      const body = readFileSync(new URL('../fixtures/edi/edifact/php-edifact-multi.edi', import.meta.url));
      const response = await upload(channelId, body);
      expect(response.statusCode, response.body).toBe(202);
      const { payloadId } = response.json<{ payloadId: string }>();
      const read = await admin.inject({ method: 'POST', url: `/v1/raw-payloads/${payloadId}/reprocess` });
      expect(read.json()).toMatchObject({ status: 'skipped', orderCount: 0 });
      const payload = await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: payloadId } });
      expect(payload).toMatchObject({ status: 'skipped', errorCode: null });
      expect(payload.error).toContain('message 1: skipped: PAORES is not an order message');
      // Not among the payloads that need attention.
      const errors = await admin.inject({ method: 'GET', url: `/v1/raw-payloads?channelId=${channelId}&status=errors` });
      expect(errors.json<{ items: unknown[] }>().items).toEqual([]);
    });
  });
}
