import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { startEdiHub, type EdiHub } from '../helpers/edi-hub.ts';

/**
 * EDI interchanges through the real hub: envelope warnings are on the payload (API), control numbers
 * are remembered per partner (a second payload with the same UNB reference / ISA13 is rejected or
 * warned as the channel says; reading the same payload again is not a duplicate), and syntax-level
 * acknowledgements (CONTRL, 997) go to the outbox when the channel asks for them.
 */
const fixture = (path: string): Buffer => readFileSync(new URL(`../fixtures/edi/${path}`, import.meta.url));

/** A one-message ORDERS interchange (generated): `ref` the UNB control reference, `order` the BGM number. */
function orders(ref: string, order: string, sender = '4012345000009'): Buffer {
  const body = ["UNH+1+ORDERS:D:96A:UN:EAN008'", `BGM+220+${order}+9'`, "DTM+137:20240311:102'", `NAD+BY+${sender}::9'`, "CUX+2:EUR:9'", "LIN+1++4000862141404:EN'", "QTY+21:1'", "UNS+S'", "CNT+2:1'"];
  return Buffer.from(`UNA:+.? 'UNB+UNOC:3+${sender}:14+5412345000013:14+240311:0815+${ref}'${body.join('')}UNT+${body.length + 1}+1'UNZ+1+${ref}'`);
}

for (const [kind, createDb] of DATABASE_KINDS) {
  describe(`EDI interchanges (${kind})`, () => {
    let edi: EdiHub;
    let t: TestDatabase;
    let admin: FastifyInstance;
    const ediChannel = (name: string, config?: Record<string, unknown>) => edi.ediChannel(name, config);

    beforeAll(async () => {
      edi = await startEdiHub(createDb);
      ({ t, admin } = edi);
    });
    afterAll(() => edi?.close());

    /** Uploads a file and reads it (the reprocess endpoint runs the same intake as the job). */
    async function send(channelId: string, body: Buffer): Promise<{ payloadId: string; read: Record<string, unknown> }> {
      const response = await edi.upload(channelId, body);
      expect(response.statusCode, response.body).toBe(202);
      const { payloadId } = response.json<{ payloadId: string }>();
      return { payloadId, read: await reprocess(payloadId) };
    }
    const reprocess = async (payloadId: string): Promise<Record<string, unknown>> => (await admin.inject({ method: 'POST', url: `/v1/raw-payloads/${payloadId}/reprocess` })).json();
    const payloadView = async (payloadId: string) => (await admin.inject({ method: 'GET', url: `/v1/raw-payloads/${payloadId}` })).json<{ status: string; error: string | null; warnings: string[] }>();

    const syntaxReports = (channelId: string) => t.db.prisma.outboundDocument.findMany({ where: { channelId, kind: { in: ['edifact-contrl', 'x12-997'] } }, orderBy: { createdAt: 'asc' } });

    it('answers an interchange with a broken message with a CONTRL in the outbox and the outbox directory when the channel asks (rejections)', async () => {
      const outboxDir = mkdtempSync(join(tmpdir(), 'edi-outbox-'));
      const channelId = await ediChannel('CONTRL partner', { syntaxAcknowledgement: 'rejections', outboxDir });
      const { payloadId, read } = await send(channelId, fixture('edifact/constructed-wrong-unt-count.edi'));
      expect(read).toMatchObject({ status: 'partial', orderCount: 1 });
      const [report, ...more] = await syntaxReports(channelId);
      expect(more).toEqual([]);
      expect(report).toMatchObject({ kind: 'edifact-contrl', rawPayloadId: payloadId, orderId: null });
      expect(report!.body).toContain("UNB+UNOC:3+5412345000013+4012345000009:14+");
      expect(report!.body).toContain("UCI+IC12+4012345000009:14+4098765000010:14+7'UCM+W1+ORDERS:D:96A:UN:EAN008+4+29+UNT'");
      expect(readdirSync(outboxDir)).toContain(report!.fileName);

      // Reading the payload again answers nothing new.
      await reprocess(payloadId);
      expect(await syntaxReports(channelId)).toHaveLength(1);
      // A clean interchange gets no CONTRL in this mode.
      await send(channelId, orders('CLEAN1', 'PO-CLEAN'));
      expect(await syntaxReports(channelId)).toHaveLength(1);
      rmSync(outboxDir, { recursive: true, force: true });
    });

    it('rejects a whole interchange in a CONTRL (UCI action 4) although it made no order', async () => {
      const channelId = await ediChannel('CONTRL partner 2', { syntaxAcknowledgement: 'all' });
      const broken = fixture('edifact/constructed-wrong-unt-count.edi').toString('utf8').replace("UNT+10+R2'", "UNT+10+XX'");
      const { read } = await send(channelId, Buffer.from(broken));
      expect(read).toMatchObject({ status: 'failed', orderCount: 0 });
      const [report] = await syntaxReports(channelId);
      expect(report!.body).toContain("UCI+IC12+4012345000009:14+4098765000010:14+4'");
    });

    it('sends no CONTRL when the channel asks for none (the default)', async () => {
      const channelId = await ediChannel('Quiet partner');
      await send(channelId, fixture('edifact/constructed-wrong-unt-count.edi'));
      expect(await syntaxReports(channelId)).toEqual([]);
    });

    it('answers a bad 850 (SE count) with a 997 rejecting that set', async () => {
      const channelId = await ediChannel('997 partner', { syntaxAcknowledgement: 'rejections' });
      const { read } = await send(channelId, fixture('x12/constructed-two-sets-bad-se.edi'));
      expect(read).toMatchObject({ status: 'partial', orderCount: 1 });
      const [report] = await syntaxReports(channelId);
      expect(report).toMatchObject({ kind: 'x12-997' });
      expect(report!.body).toMatch(/^ISA\*00\* {10}\*00\* {10}\*ZZ\*5412345000013 {2}\*ZZ\*ACMEBUYER {6}\*/);
      expect(report!.body).toContain('AK1*PO*303~\nAK2*850*0002~\nAK5*A~\nAK2*850*0001~\nAK5*R*4~\nAK9*P*2*2*1~');
    });

    it('answers an 850 rejected for a bad element with a 997 naming the segment (AK3) and the element (AK4)', async () => {
      const channelId = await ediChannel('997 detail partner', { syntaxAcknowledgement: 'rejections' });
      // The node-x12 sample with one defect: the second line's quantity is "22O" (letter O), not a number.
      const broken = fixture('x12/node-x12-850.edi').toString('utf8').replace('PO1*2*220*EA', 'PO1*2*22O*EA');
      const { read } = await send(channelId, Buffer.from(broken));
      expect(read).toMatchObject({ status: 'failed', orderCount: 0 });
      const [report, ...more] = await syntaxReports(channelId);
      expect(more).toEqual([]);
      expect(report!.body).toContain('AK1*PO*1421~\nAK2*850*000000010~\nAK3*PO1*16*PO1*8~\nAK4*2*330*6*22O~\nAK5*R*5~\nAK9*R*1*1*0~\nSE*8*0001~');
    });

    it('shows interchange warnings (UNZ count and reference mismatch) on the payload in the API', async () => {
      const channelId = await ediChannel('Sloppy envelopes');
      const { payloadId, read } = await send(channelId, fixture('edifact/constructed-wrong-unz-count.edi'));
      expect(read).toMatchObject({ status: 'parsed', orderCount: 1 });
      const payload = await payloadView(payloadId);
      expect(payload.warnings).toEqual([
        expect.stringMatching(/^interchange IC13: UNZ says "3" messages, the interchange holds 1/),
        expect.stringMatching(/^interchange IC13: UNZ reference "IC99" does not match UNB control reference "IC13"/),
      ]);
      const list = await admin.inject({ method: 'GET', url: `/v1/raw-payloads?channelId=${channelId}` });
      expect(list.json<{ items: { warnings: string[] }[] }>().items[0]!.warnings).toHaveLength(2);
    });

    it('rejects a second interchange with a control number the partner already used (reject), and reading the first again is no duplicate', async () => {
      const channelId = await ediChannel('Strict partner', { duplicateControlNumbers: 'reject', syntaxAcknowledgement: 'rejections' });
      const first = await send(channelId, orders('DUP1', 'PO-A'));
      expect(first.read).toMatchObject({ status: 'parsed', orderCount: 1 });
      const second = await send(channelId, orders('DUP1', 'PO-B'));
      expect(second.read).toMatchObject({ status: 'failed', orderCount: 0 });
      const { error } = await payloadView(second.payloadId);
      expect(error).toMatch(new RegExp(`interchange control number DUP1 from partner 4012345000009:14 was already received in payload ${first.payloadId} at \\d{4}-\\d\\d-\\d\\dT`));
      expect(await t.db.prisma.order.count({ where: { channelId } })).toBe(1);
      // The partner hears it: a CONTRL rejecting the interchange as a duplicate (UCI action 4, error 26).
      const reports = await syntaxReports(channelId);
      expect(reports.map((r) => r.rawPayloadId)).toEqual([second.payloadId]);
      expect(reports[0]!.body).toContain("UCI+DUP1+4012345000009:14+5412345000013:14+4+26'");

      // The same payload read again is the same interchange, not a duplicate.
      expect(await reprocess(first.payloadId)).toMatchObject({ status: 'parsed', orderCount: 1 });
      // Another partner may use the same number.
      expect((await send(channelId, orders('DUP1', 'PO-C', '4099999000002'))).read).toMatchObject({ status: 'parsed', orderCount: 1 });
    });

    it('takes only one of two interchanges with the same control number read at the same time (reject)', async () => {
      const channelId = await ediChannel('Racing partner', { duplicateControlNumbers: 'reject' });
      const upload = async (body: Buffer) => (await edi.upload(channelId, body)).json<{ payloadId: string }>().payloadId;
      const ids = [await upload(orders('RACE1', 'PO-R1')), await upload(orders('RACE1', 'PO-R2'))];
      // Both read at once: the number is claimed before any order is taken, so one of them is the duplicate.
      const reads = await Promise.all(ids.map(reprocess));
      expect(reads.map((r) => r.status).sort()).toEqual(['failed', 'parsed']);
      expect(await t.db.prisma.order.count({ where: { channelId } })).toBe(1);
      const winner = ids[reads.findIndex((r) => r.status === 'parsed')]!;
      expect(await t.db.prisma.interchangeControl.findMany({ where: { channelId }, select: { rawPayloadId: true } })).toEqual([{ rawPayloadId: winner }]);
    });

    it('imports a duplicate control number with a warning on the payload (warn, the default)', async () => {
      const channelId = await ediChannel('Lenient partner');
      const first = await send(channelId, orders('W7', 'PO-1'));
      const second = await send(channelId, orders('W7', 'PO-2'));
      expect(second.read).toMatchObject({ status: 'parsed', orderCount: 1 });
      const payload = await payloadView(second.payloadId);
      expect(payload.warnings).toEqual([expect.stringContaining(`interchange control number W7 from partner 4012345000009:14 was already received in payload ${first.payloadId}`)]);
      expect((await payloadView(first.payloadId)).warnings).toEqual([]);
    });

    it('flags X12 control numbers (ISA13 and GS06) a partner already used', async () => {
      const channelId = await ediChannel('X12 partner', { duplicateControlNumbers: 'reject' });
      const body = fixture('x12/node-x12-850.edi');
      const first = await send(channelId, body);
      expect(first.read).toMatchObject({ status: 'parsed' });
      // The same interchange with another PO number: new content, same ISA13 and GS06.
      const again = await send(channelId, Buffer.from(body.toString('latin1').replace(/BEG\*00\*([A-Z]{2})\*([^*~]+)/, 'BEG*00*$1*$2X'), 'latin1'));
      expect(again.read).toMatchObject({ status: 'failed', orderCount: 0 });
      const { error } = await payloadView(again.payloadId);
      expect(error).toContain('interchange control number');
      expect(error).toContain('group control number');
    });
  });
}
