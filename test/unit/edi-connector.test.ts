import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { ediConnector, EdiConfigSchema, type EdiConfig } from '../../connectors/edi/index.ts';
import { decodeEdiBytes } from '../../lib/edi-text.ts';

const token = 'partner-upload-token-0123456789';
const unoc = "UNA:+.? 'UNB+UNOC:3+5412345000013:14+5498765000019:14+261123:0915+42'UNH+1+ORDERS:D:96A:UN:EAN008'NAD+BY+5412345000013::9++Müller Bäckerei'UNT+3+1'UNZ+1+42'";

function config(overrides: Partial<EdiConfig> = {}): EdiConfig {
  return Value.Default(EdiConfigSchema, { ourId: '5498765000019', uploadToken: token, ...overrides }) as EdiConfig;
}

describe('EDI connector', () => {
  describe('when files are dropped into the inbox', () => {
    it('yields each finished file decoded by its declared character set, and moves it to processed/ only after it was stored', async () => {
      const inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
      await writeFile(join(inbox, '001-latin1.edi'), Buffer.from(unoc, 'latin1'));
      await writeFile(join(inbox, '002-utf8.edi'), Buffer.from(unoc.replace('UNOC', 'UNOW'), 'utf8'));
      await writeFile(join(inbox, '003-upload.edi.part'), 'still being written');
      await writeFile(join(inbox, '.hidden'), 'x');
      const pages = ediConnector.pull!(config({ inboxDir: inbox }), undefined);

      const first = await pages.next();
      expect(first.value).toMatchObject({ contentType: 'application/edifact; charset=iso-8859-1', encoding: 'iso-8859-1', page: 1, totalPages: 2 });
      // Archived as read: the bytes, not a decoding of them.
      expect(Buffer.from(first.value!.bytes!).equals(Buffer.from(unoc, 'latin1'))).toBe(true);
      // Not stored yet (the consumer has not asked for the next page): the file is still in the inbox.
      expect(await readdir(inbox)).toContain('001-latin1.edi');

      const second = await pages.next();
      expect(second.value).toMatchObject({ contentType: 'application/edifact; charset=utf-8', encoding: 'utf-8' });
      expect(Buffer.from(second.value!.bytes!).toString('utf8')).toContain('Müller Bäckerei');
      expect(await readdir(inbox)).not.toContain('001-latin1.edi');
      expect((await pages.next()).done).toBe(true);
      expect((await readdir(inbox)).sort()).toEqual(['.hidden', '003-upload.edi.part', 'processed']);
      expect(await readdir(join(inbox, 'processed'))).toHaveLength(2);
    });

    it('keeps only the start of an oversized file, with a clear error, and moves it to rejected/', async () => {
      const inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
      await writeFile(join(inbox, 'huge.edi'), Buffer.alloc(4096, 'A'));
      const pages = ediConnector.pull!(config({ inboxDir: inbox, maxFileBytes: 1024 }), undefined);
      const page = (await pages.next()).value!;
      expect(page.error).toEqual({ code: 'invalid_data', message: expect.stringMatching(/huge\.edi is 4096 bytes, above this channel's limit of 1024/) });
      expect(page.bytes!.length).toBeLessThan(2200);
      await pages.next();
      expect((await readdir(join(inbox, 'rejected'))).map((n) => n.replace(/^[\dT-]+Z-/, '')).sort()).toEqual(['huge.edi', 'huge.edi.reason.txt']);
    });

    it('moves a file by what the hub says became of it: rejected/ with a reason file when unreadable, processed/ when read, left when not archived', async () => {
      const inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
      await writeFile(join(inbox, 'a-broken.edi'), Buffer.from(unoc, 'latin1'));
      await writeFile(join(inbox, 'b-good.edi'), Buffer.from(unoc, 'latin1'));
      await writeFile(join(inbox, 'c-unstored.edi'), Buffer.from(unoc, 'latin1'));
      const at = new Date('2026-12-03T10:00:00.000Z');
      const pages = ediConnector.pull!(config({ inboxDir: inbox }), undefined, { now: () => at });
      (await pages.next()).value!.settled!({ archived: true, payloadId: 'p-1', status: 'failed', error: 'ORDERS 1: no BGM' });
      (await pages.next()).value!.settled!({ archived: true, payloadId: 'p-2', status: 'parsed' });
      (await pages.next()).value!.settled!({ archived: false, error: 'database down' });
      expect((await pages.next()).done).toBe(true);

      expect(await readdir(join(inbox, 'rejected'))).toEqual(['2026-12-03T10-00-00-000Z-a-broken.edi', '2026-12-03T10-00-00-000Z-a-broken.edi.reason.txt']);
      const reason = await readFile(join(inbox, 'rejected', '2026-12-03T10-00-00-000Z-a-broken.edi.reason.txt'), 'utf8');
      expect(reason).toBe('File: a-broken.edi\nRejected at: 2026-12-03T10:00:00.000Z\nPayload: p-1 (hub payloads show p-1)\nReason: ORDERS 1: no BGM\n');
      expect(await readdir(join(inbox, 'processed'))).toEqual(['2026-12-03T10-00-00-000Z-b-good.edi']);
      // Not archived: it stays for the next run.
      expect((await readdir(inbox)).sort()).toEqual(['c-unstored.edi', 'processed', 'rejected']);
    });

    it('says a gzip or NUL-laden file is not text, naming the file, and reads a UTF-16 export', async () => {
      const inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
      await writeFile(join(inbox, '1.edi.gz'), gzipSync(Buffer.from(unoc, 'latin1')));
      await writeFile(join(inbox, '2-nul.edi'), Buffer.concat([Buffer.from(unoc, 'latin1'), Buffer.from([0, 0, 1, 2, 3, 0, 4])]));
      await writeFile(join(inbox, '3-utf16.edi'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(unoc, 'utf16le')]));
      await writeFile(join(inbox, '4-utf16-nobom.edi'), Buffer.from(unoc.replace('UNOC', 'UNOW'), 'utf16le'));
      const pages = [];
      for await (const page of ediConnector.pull!(config({ inboxDir: inbox }), undefined)) pages.push(page);
      expect(pages[0]!.error?.message).toMatch(/^File 1\.edi\.gz: not text: looks like gzip/);
      expect(pages[0]!.encoding).toBe('gzip');
      expect(pages[1]!.error?.message).toMatch(/^File 2-nul\.edi: not text: binary data/);
      expect(pages[2]).toMatchObject({ encoding: 'utf-16le', contentType: 'application/edifact; charset=utf-16le', error: undefined });
      expect(pages[3]).toMatchObject({ encoding: 'utf-16le', error: undefined });
      expect(decodeEdiBytes(pages[3]!.bytes!).text).toContain('Müller Bäckerei');
      // Nobody reported a fate: the broken ones go to rejected/, the readable ones to processed/.
      expect(await readdir(join(inbox, 'rejected'))).toHaveLength(4);
      expect(await readdir(join(inbox, 'processed'))).toHaveLength(2);
    });

    it('skips a file taken away meanwhile and goes on with the next', async () => {
      const inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
      for (const name of ['a.edi', 'b.edi', 'c.edi']) await writeFile(join(inbox, name), Buffer.from(unoc.replace('+42', `+${name[0]}`), 'latin1'));
      const pages = ediConnector.pull!(config({ inboxDir: inbox }), undefined);
      expect((await pages.next()).value!.source).toMatch(/a\.edi$/);
      await rm(join(inbox, 'b.edi'));
      expect((await pages.next()).value!.source).toMatch(/c\.edi$/);
      expect((await pages.next()).done).toBe(true);
    });
  });

  describe('when a partner uploads over HTTP', () => {
    const request = (headers: Record<string, string>, body = Buffer.from(unoc, 'latin1')) => ({ headers, rawBody: body });

    it('accepts the channel upload token and decodes the bytes', () => {
      expect(ediConnector.webhook!.verify(request({ authorization: `Bearer ${token}` }), config())).toEqual({ kind: 'accepted', topic: 'edi.upload' });
      const decoded = ediConnector.webhook!.decode!(request({}), config());
      expect(decoded).toEqual({ contentType: 'application/edifact; charset=iso-8859-1', encoding: 'iso-8859-1' });
      expect(ediConnector.webhook!.decode!(request({}, gzipSync(Buffer.from(unoc))), config())).toEqual({ contentType: 'application/octet-stream' });
    });

    it('proves a streamed upload by its token header alone, and decodes it from its start plus what the hub learnt of all of it', () => {
      expect(ediConnector.webhook!.verifyUpload!({ headers: { authorization: `Bearer ${token}` } }, config())).toEqual({ kind: 'accepted', topic: 'edi.upload' });
      expect(ediConnector.webhook!.verifyUpload!({ headers: { authorization: 'Bearer nope' } }, config()).kind).toBe('rejected');
      // The start is valid UTF-8, the whole file is not: the UNB declaration (UNOC) decides, as it would over the whole file.
      const start = Buffer.from(unoc, 'utf8');
      expect(ediConnector.webhook!.decode!(request({}, start), config(), { size: 10_000_000, encoding: 'windows-1252', utf8: false })).toEqual({
        contentType: 'application/edifact; charset=iso-8859-1',
        encoding: 'iso-8859-1',
      });
      expect(ediConnector.webhook!.decode!(request({}, start), config(), { size: 10_000_000, encoding: 'utf-8', utf8: true })).toEqual({
        contentType: 'application/edifact; charset=utf-8',
        encoding: 'utf-8',
      });
      // A NUL far into the file makes all of it binary, whatever its start looks like.
      expect(ediConnector.webhook!.decode!(request({}, start), config(), { size: 10_000_000, encoding: 'binary', utf8: false })).toEqual({ contentType: 'application/octet-stream' });
    });

    it('rejects a wrong token and an oversized file', () => {
      expect(ediConnector.webhook!.verify(request({ authorization: 'Bearer nope' }), config()).kind).toBe('rejected');
      expect(ediConnector.webhook!.verify(request({ authorization: `Bearer ${token}` }, Buffer.alloc(2048)), config({ maxFileBytes: 1024 })).kind).toBe('rejected');
    });
  });

  it('prefers valid UTF-8 over a wrong UNOC declaration (common in the wild)', () => {
    const decoded = decodeEdiBytes(Buffer.from(unoc, 'utf8'));
    expect(decoded).toMatchObject({ charset: 'utf-8', declared: 'UNOC' });
    expect(decoded.text).toContain('Müller');
  });

  it('checks that it has a way to receive files', async () => {
    expect((await ediConnector.check(config({ uploadToken: undefined }))).ok).toBe(false);
    expect((await ediConnector.check(config({ inboxDir: '/nonexistent/inbox' }))).message).toMatch(/cannot be read: ENOENT/);
    expect((await ediConnector.check(config())).ok).toBe(true);
  });
});

describe('EDI inbox with a huge file', () => {
  it('never reads more than the start of an oversized file', async () => {
    const inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
    // A sparse 200 MB file: reading it whole would show in memory; the connector must not.
    const { open } = await import('node:fs/promises');
    const handle = await open(join(inbox, 'huge.edi'), 'w');
    await handle.truncate(200 * 1024 * 1024);
    await handle.close();
    const before = process.memoryUsage().arrayBuffers;
    const page = (await ediConnector.pull!(config({ inboxDir: inbox, maxFileBytes: 1024 * 1024 }), undefined).next()).value!;
    expect(page.error?.message).toMatch(/huge\.edi is 209715200 bytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 * 1024);
  });
});
