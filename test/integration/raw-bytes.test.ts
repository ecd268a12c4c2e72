import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { ChannelService } from '../../core/channels/channels.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import type { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import type { PayloadProcessedEvent } from '../../jobs/runtime/types.ts';
import { asAdmin } from '../helpers/auth.ts';
import { goodPage, pagedShop } from '../helpers/paged-shop.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { nextProcessedPayload } from '../helpers/payload-events.ts';

const fixture = (path: string) => readFile(new URL(`../fixtures/${path}`, import.meta.url));
const TOKEN = 'partner-upload-token-0123456789';

/**
 * The raw archive keeps bytes: whatever a partner sends (NUL bytes, gzip, a UTF-16 export) is
 * archived and answered 202; what is not text is failed with a clear error, never a 500; an inbox
 * file the hub cannot read goes to rejected/ with a reason and never blocks the next file.
 */
describe('raw archive of bytes', () => {
  let testDb: TestDatabase;
  let hub: Hub;
  let app: FastifyInstance;
  let runner: InProcessRunner;
  let order: Buffer;

  beforeAll(async () => {
    testDb = await createTestPostgres();
    hub = await createHub(loadConfig({ DATABASE_URL: testDb.url }), { db: testDb.db, retry: { attempts: 1, backoffMs: 10 } });
    runner = hub.runner as InProcessRunner;
    await runner.start();
    ({ app } = await asAdmin(await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions }), hub.db));
    order = await fixture('edi/edifact/constructed-full-d96a.edi');
  });

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await testDb?.drop();
  });

  const processed = (): Promise<PayloadProcessedEvent> => nextProcessedPayload(runner);

  async function ediChannel(name: string, config: Record<string, unknown> = {}): Promise<string> {
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: { name, connectorType: 'edi', config: { ourId: '4098765000010', uploadToken: TOKEN, ...config } } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: string }>().id;
  }

  async function upload(channelId: string, body: Buffer) {
    const done = processed();
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channelId}/files`, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/edifact' }, payload: body });
    expect(response.statusCode, response.body).toBe(202);
    const event = await done;
    const detail = await app.inject({ method: 'GET', url: `/v1/raw-payloads/${response.json<{ payloadId: string }>().payloadId}` });
    return { event, detail: detail.json() };
  }

  describe('when a partner uploads a file', () => {
    it('archives a file with NUL bytes as it came, answers 202 and fails it as not text; the API shows the encoding and the bytes', async () => {
      const channelId = await ediChannel('NUL partner');
      const body = Buffer.concat([order.subarray(0, 40), Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00]), order.subarray(40)]);
      const { event, detail } = await upload(channelId, body);
      expect(event.outcome).toMatchObject({ status: 'failed', errorCode: 'invalid_data' });
      expect(detail).toMatchObject({ status: 'failed', encoding: 'binary', text: false, bytes: body.length, contentType: 'application/octet-stream' });
      expect(detail.error).toMatch(/^not text: binary data \(NUL or control bytes, no text encoding fits\) \(\d+ bytes\); from edi\.upload$/);
      expect(Buffer.from(detail.bodyBase64, 'base64').equals(body)).toBe(true);
      expect(detail.body).toMatch(/^00000000 {2}55 4e 41 3a/);
      const stored = await testDb.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: detail.id } });
      expect(Buffer.from(stored.body).equals(body)).toBe(true);
    });

    it('fails a gzip file with an error that says so', async () => {
      const channelId = await ediChannel('Gzip partner');
      const { detail } = await upload(channelId, gzipSync(order));
      expect(detail).toMatchObject({ status: 'failed', encoding: 'gzip', text: false });
      expect(detail.error).toMatch(/^not text: looks like gzip \(compressed data\); decompress it and send the file itself/);
    });

    it('reads a UTF-16 export (with or without a byte order mark) like the same file in UTF-8', async () => {
      const utf8 = await upload(await ediChannel('UTF-8 partner'), order);
      expect(utf8.detail).toMatchObject({ status: 'parsed', encoding: 'utf-8', text: true, body: order.toString('utf8') });
      const text = order.toString('utf8');
      const withBom = await upload(await ediChannel('UTF-16 partner'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
      expect(withBom.detail).toMatchObject({ status: 'parsed', encoding: 'utf-16le', text: true, body: text, orderCount: utf8.detail.orderCount });
      const bigEndian = Buffer.from(text, 'utf16le').swap16();
      const withoutBom = await upload(await ediChannel('UTF-16BE partner'), bigEndian);
      expect(withoutBom.detail).toMatchObject({ status: 'parsed', encoding: 'utf-16be', body: text, orderCount: utf8.detail.orderCount });
      expect(utf8.detail.orderCount).toBeGreaterThan(0);
    });
  });

  it('archives a webhook body with a NUL byte, answers 202 and fails it as not text', async () => {
    const key = 'store-key-raw-bytes-0123456789';
    const store = await app.inject({ method: 'POST', url: '/v1/channels', payload: { name: 'NUL store', connectorType: 'pos', config: { storeCode: 'NUL-01', apiKey: key } } });
    const body = Buffer.from('{"receiptId":"R-1","terminalId":"T1"}\u0000', 'utf8');
    const done = processed();
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${store.json<{ id: string }>().id}/webhook`, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: body });
    expect(response.statusCode, response.body).toBe(202);
    expect((await done).outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/^not text: binary data/) });
    const stored = await testDb.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: response.json<{ payloadId: string }>().payloadId } });
    expect(stored).toMatchObject({ kind: 'webhook', encoding: 'binary', status: 'failed' });
    expect(Buffer.from(stored.body).equals(body)).toBe(true);
  });

  describe('when files are dropped into the inbox', () => {
    it('imports the valid file after a broken one in the same run, moves the broken ones to rejected/ with a reason file naming the payload', async () => {
      const inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
      const channelId = await ediChannel('Inbox partner', { inboxDir: inbox });
      await writeFile(join(inbox, '1-nul.edi'), Buffer.concat([order, Buffer.from([0, 0, 0])]));
      await writeFile(join(inbox, '2-archive.edi.gz'), gzipSync(order));
      await writeFile(join(inbox, '3-not-edi.txt'), 'Dear partner, see attachment.');
      await writeFile(join(inbox, '4-good.edi'), order);

      const outcome = await syncChannel(hub.context, channelId, 'manual');
      expect(outcome).toMatchObject({ status: 'partial', counts: { pages: 4, created: expect.any(Number) } });
      expect((outcome as { counts: { created: number } }).counts.created).toBeGreaterThan(0);
      expect((outcome as { errors: { source: string; message: string }[] }).errors.map((e) => [e.source.replace(/^.*\//, ''), e.message])).toEqual([
        ['1-nul.edi', expect.stringMatching(/^File 1-nul\.edi: not text: binary data/)],
        ['2-archive.edi.gz', expect.stringMatching(/^File 2-archive\.edi\.gz: not text: looks like gzip/)],
        ['3-not-edi.txt', 'File 3-not-edi.txt is neither EDIFACT (UNA/UNB) nor X12 (ISA).'],
      ]);

      expect(await readdir(inbox)).toEqual(['processed', 'rejected']);
      expect((await readdir(join(inbox, 'processed'))).map(unstamped)).toEqual(['4-good.edi']);
      const rejected = await readdir(join(inbox, 'rejected'));
      expect(rejected.map(unstamped).sort()).toEqual([
        '1-nul.edi', '1-nul.edi.reason.txt', '2-archive.edi.gz', '2-archive.edi.gz.reason.txt', '3-not-edi.txt', '3-not-edi.txt.reason.txt',
      ]);
      const reasonFile = rejected.find((n) => n.endsWith('2-archive.edi.gz.reason.txt'))!;
      const reason = await readFile(join(inbox, 'rejected', reasonFile), 'utf8');
      const payload = await testDb.db.prisma.rawPayload.findFirstOrThrow({ where: { channelId, encoding: 'gzip' } });
      expect(reason).toMatch(new RegExp(`^File: 2-archive\\.edi\\.gz\\nRejected at: \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\nPayload: ${payload.id} \\(hub payloads show ${payload.id}\\)\\nReason: File 2-archive\\.edi\\.gz: not text: looks like gzip`));
      expect(payload).toMatchObject({ status: 'failed', kind: 'pull' });
      expect(Buffer.from(payload.body).equals(gzipSync(order))).toBe(true);
    });

    it('takes a UTF-16 file from the inbox like its UTF-8 twin', async () => {
      const inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
      const channelId = await ediChannel('UTF-16 inbox partner', { inboxDir: inbox });
      await writeFile(join(inbox, 'export.edi'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(order.toString('utf8'), 'utf16le')]));
      expect(await syncChannel(hub.context, channelId, 'manual')).toMatchObject({ status: 'succeeded' });
      expect(await testDb.db.prisma.rawPayload.findFirstOrThrow({ where: { channelId } })).toMatchObject({ encoding: 'utf-16le', status: 'parsed' });
    });
  });

  it('reports a page that cannot be archived, tells the connector, goes on with the next page, and keeps the cursor before it', async () => {
    const kit = pagedShop();
    const ctx = { db: testDb.db, registry: kit.registry, leaseTtlMs: 30_000 };
    const channelId = (await new ChannelService(testDb.db, kit.registry).create({ name: 'Unarchivable page shop', connectorType: 'paged', config: { token: 't' } })).id;
    const fates: unknown[] = [];
    // PostgreSQL text cannot hold a NUL: this page's source makes the archive refuse it.
    const unstorable = { ...goodPage(2, ['U2']), source: 'memory://paged/orders?page=2\u0000', settled: (fate: unknown) => void fates.push(fate) };
    kit.shop.pages = [goodPage(1, ['U1']), unstorable, { ...goodPage(3, ['U3']), settled: (fate: unknown) => void fates.push(fate) }];
    const outcome = await syncChannel(ctx, channelId, 'manual');
    expect(outcome).toMatchObject({ status: 'partial', counts: { pages: 3, created: 2, failed: 1 } });
    expect((outcome as { errors: unknown[] }).errors).toEqual([
      { page: 2, source: 'memory://paged/orders?page=2\\0', payloadId: null, code: 'internal', message: expect.stringMatching(/^memory:\/\/paged\/orders\?page=2\\0 could not be archived: /) },
    ]);
    expect(fates).toEqual([{ archived: false, error: expect.stringContaining('could not be archived') }, { archived: true, payloadId: expect.any(String), status: 'parsed', error: undefined }]);
    expect((await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).syncState).toEqual({ cursor: 1 });
  });

  it('hashes the bytes: a text archived before the change and the same bytes now are one payload', async () => {
    const channelId = await ediChannel('Hash partner');
    const first = await archivePayload(testDb.db, { channelId, kind: 'pull', body: 'Grüße' });
    const again = await archivePayload(testDb.db, { channelId, kind: 'pull', body: Buffer.from('Grüße', 'utf8') });
    expect(again).toMatchObject({ id: first.id, duplicate: true, encoding: 'utf-8' });
    const latin2 = await archivePayload(testDb.db, { channelId, kind: 'pull', contentType: 'text/xml; charset=ISO-8859-2', body: Buffer.from([0x50, 0xe9, 0x63, 0x73]) });
    expect(latin2.encoding).toBe('iso-8859-2');
  });
});

function unstamped(name: string): string {
  return name.replace(/^\d{4}-\d\d-\d\dT[\d-]+Z-/, '');
}
