import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
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
      expect(first.value).toMatchObject({ contentType: 'application/edifact; charset=iso-8859-1', page: 1, totalPages: 2 });
      expect(first.value!.body).toContain('Müller Bäckerei');
      // Not stored yet (the consumer has not asked for the next page): the file is still in the inbox.
      expect(await readdir(inbox)).toContain('001-latin1.edi');

      const second = await pages.next();
      expect(second.value).toMatchObject({ contentType: 'application/edifact; charset=utf-8' });
      expect(second.value!.body).toContain('Müller Bäckerei');
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
      expect(page.body.length).toBeLessThan(2200);
      await pages.next();
      expect(await readdir(join(inbox, 'rejected'))).toHaveLength(1);
    });

    it('marks a file that is neither EDIFACT nor X12', async () => {
      const inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
      await writeFile(join(inbox, 'note.txt'), 'hello');
      const page = (await ediConnector.pull!(config({ inboxDir: inbox }), undefined).next()).value!;
      expect(page.error?.message).toMatch(/neither EDIFACT/);
    });
  });

  describe('when a partner uploads over HTTP', () => {
    const request = (headers: Record<string, string>, body = Buffer.from(unoc, 'latin1')) => ({ headers, rawBody: body });

    it('accepts the channel upload token and decodes the bytes', () => {
      expect(ediConnector.webhook!.verify(request({ authorization: `Bearer ${token}` }), config())).toEqual({ kind: 'accepted', topic: 'edi.upload' });
      const decoded = ediConnector.webhook!.decode!(request({}), config());
      expect(decoded.body).toContain('Müller');
      expect(decoded.contentType).toBe('application/edifact; charset=iso-8859-1');
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
