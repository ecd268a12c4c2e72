import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { payloadText, mappingInput, bodyForDisplay } from '../../core/orders/raw-archive-text.ts';
import { charsetOf, decodeBytes, hexPreview, notTextReason, sniffEncoding } from '../../lib/text-bytes.ts';

const text = "UNB+UNOC:3+SENDER+RECEIVER'NAD+BY+++Müller Bäckerei'";

describe('what stored bytes are', () => {
  it.each([
    ['UTF-8', Buffer.from(text, 'utf8'), undefined, 'utf-8'],
    ['UTF-8 with a byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]), undefined, 'utf-8'],
    ['UTF-16LE with a byte order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), undefined, 'utf-16le'],
    ['UTF-16LE without one', Buffer.from(text, 'utf16le'), undefined, 'utf-16le'],
    ['UTF-16BE without one', Buffer.from(text, 'utf16le').swap16(), undefined, 'utf-16be'],
    ['gzip', gzipSync(text), undefined, 'gzip'],
    ['a zip archive', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), undefined, 'zip'],
    ['text with a NUL byte', Buffer.from(`${text}\u0000`, 'utf8'), 'utf-8', 'binary'],
    ['Latin-2 as declared', Buffer.from([0x50, 0xe9, 0x63, 0x73, 0xb9]), 'ISO-8859-2', 'iso-8859-2'],
    ['Latin-1 undeclared', Buffer.from(text, 'latin1'), undefined, 'windows-1252'],
    ['control bytes', Buffer.from(Array.from({ length: 64 }, (_, i) => (i % 3 === 0 ? 0x02 : 0x41))), undefined, 'binary'],
    ['UTF-8 declared but not valid', Buffer.from(text, 'latin1'), 'utf-8', 'windows-1252'],
  ])('%s → %s', (_name, bytes, declared, encoding) => {
    expect(sniffEncoding(bytes, declared)).toBe(encoding);
  });

  it('decodes each text encoding back to the same text (byte order marks dropped; windows-1252 exact on every Node)', () => {
    expect(decodeBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), 'utf-16le')).toBe(text);
    expect(decodeBytes(Buffer.from(text, 'utf16le').swap16(), 'utf-16be')).toBe(text);
    expect(decodeBytes(Buffer.from([0x80, 0x41]), 'windows-1252')).toBe('€A');
    expect(() => decodeBytes(gzipSync(text), 'gzip')).toThrow(/not text/);
  });

  it('reads the charset of a content type', () => {
    expect(charsetOf('text/xml; charset="ISO-8859-2"')).toBe('ISO-8859-2');
    expect(charsetOf('application/json')).toBeUndefined();
  });
});

describe('reading a stored payload', () => {
  it('gives the mapping the decoded text, and says why a body is not text, naming its source', () => {
    const row = { kind: 'upload', contentType: 'application/edifact', source: 'file:///in/po.edi', receivedAt: null };
    expect(mappingInput({ ...row, body: Buffer.from(text, 'utf16le'), encoding: 'utf-16le' })).toEqual({ ok: true, input: { ...row, body: text } });
    expect(payloadText({ ...row, body: gzipSync(text), encoding: 'gzip' })).toEqual({
      ok: false,
      error: `${notTextReason('gzip', gzipSync(text).length)}; from file:///in/po.edi`,
    });
    expect(notTextReason('gzip', 10)).toBe('not text: looks like gzip (compressed data); decompress it and send the file itself (10 bytes)');
  });

  it('shows a body that is not text as a hex dump of its start', () => {
    const bytes = Buffer.concat([Buffer.from('UNA:+'), Buffer.alloc(300)]);
    const shown = bodyForDisplay({ body: bytes, encoding: 'binary' });
    expect(shown.text).toBe(false);
    expect(shown.body.split('\n')[0]).toBe('00000000  55 4e 41 3a 2b 00 00 00 00 00 00 00 00 00 00 00  UNA:+...........');
    expect(shown.body).toMatch(/… \(305 bytes in all\)$/);
    expect(hexPreview(Buffer.from('A'))).toBe('00000000  41                                               A');
  });
});
