import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { startEdiHub, type EdiHub } from '../helpers/edi-hub.ts';

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

    it('records nothing for an oversized file from a sender without the upload token', async () => {
      const channelId = await ediChannel('Guarded partner', { maxFileBytes: 2048 });
      const response = await upload(channelId, Buffer.alloc(5000, 0x41), 'wrong-token-wrong-token-wrong');
      expect(response.statusCode).toBe(413);
      expect(response.json<{ error: { details: Record<string, unknown> } }>().error.details).toEqual({ reason: 'too_large', limit: 2048 });
      expect(await t.db.prisma.rawPayload.count({ where: { channelId } })).toBe(0);
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
