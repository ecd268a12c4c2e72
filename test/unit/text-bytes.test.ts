import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { payloadText, mappingInput, bodyForDisplay } from '../../core/orders/raw-archive-text.ts';
import { BodySniffer, charsetOf, decodeBytes, hexPreview, notTextReason, sniffEncoding } from '../../lib/text-bytes.ts';
import { sanitizeFileName, uploadedFileName } from '../../lib/file-name.ts';

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

/**
 * An upload is sniffed as it streams in (BodySniffer): whatever the cut into pieces, it must say what
 * sniffEncoding says of the whole body, including what only shows far past the start (a NUL, a byte
 * invalid in UTF-8 or in the declared charset, a character split between two pieces).
 */
describe('sniffing a body that arrives in pieces', () => {
  const utf8Text = Buffer.from(`UNA:+.? 'UNB+UNOC:3+S+R'${"LIN+1++Dübelő 😀 €'".repeat(3000)}`, 'utf8');
  const late = (bytes: number[]) => Buffer.concat([utf8Text, Buffer.from(bytes), Buffer.from("UNZ+1+1'")]);
  const bodies: [string, Buffer, string | undefined][] = [
    ['UTF-8 with multi-byte characters', utf8Text, undefined],
    ['UTF-8 declared as iso-8859-2', utf8Text, 'iso-8859-2'],
    ['a NUL far past the start', late([0x00]), undefined],
    ['a byte invalid in UTF-8 far past the start (windows-1252)', late([0xe9]), undefined],
    ['iso-8859-7 declared, with a byte it does not define far past the start', late([0xae]), 'iso-8859-7'],
    ['iso-8859-7 declared, every byte defined', late([0xe1]), 'iso-8859-7'],
    ['Shift_JIS declared', Buffer.from([0x82, 0xa0, 0x41, 0x42, 0x82, 0xa2]), 'shift_jis'],
    ['UTF-16LE with a byte order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("UNA:+.? 'UNB+UNOC:3'".repeat(500), 'utf16le')]), undefined],
    ['UTF-16BE without one', Buffer.from("UNA:+.? 'UNB+UNOC:3'".repeat(500), 'utf16le').swap16(), undefined],
    ['UTF-16LE cut short in a character (invalid)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('ab'.repeat(5000), 'utf16le'), Buffer.from([0x41])]), undefined],
    ['a UTF-8 byte order mark, then invalid bytes', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8Text, Buffer.from([0xc3])]), undefined],
    ['gzip', gzipSync(utf8Text), undefined],
    ['empty', Buffer.alloc(0), undefined],
  ];

  for (const [what, body, declared] of bodies) {
    it(`says what sniffEncoding says of the whole: ${what}`, () => {
      const whole = sniffEncoding(body, declared);
      for (const size of [1, 2, 3, 7, 4096, 65_537, body.length || 1]) {
        const sniffer = new BodySniffer([declared]);
        for (let at = 0; at < body.length; at += size) sniffer.push(body.subarray(at, at + size));
        expect([size, sniffer.encoding(declared)]).toEqual([size, whole]);
        expect(sniffer.size).toBe(body.length);
        expect(sniffer.head.equals(body.subarray(0, BodySniffer.HEAD_BYTES))).toBe(true);
      }
    });
  }

  it('tells whether the whole body is UTF-8, for a connector that sees only its start', () => {
    const sniffer = new BodySniffer();
    sniffer.push(utf8Text.subarray(0, 100_001));
    sniffer.push(Buffer.concat([utf8Text.subarray(100_001), Buffer.from([0xff])]));
    expect(sniffer.validUtf8).toBe(false);
    const clean = new BodySniffer();
    clean.push(utf8Text.subarray(0, 3));
    clean.push(utf8Text.subarray(3));
    expect(clean.validUtf8).toBe(true);
  });
});

describe('the name an upload was sent with', () => {
  it('takes it from Content-Disposition (filename* first) or X-File-Name, without its path', () => {
    expect(uploadedFileName({ 'content-disposition': 'attachment; filename="ORDERS_0412.edi"' })).toBe('ORDERS_0412.edi');
    expect(uploadedFileName({ 'content-disposition': `attachment; filename="fallback.edi"; filename*=UTF-8''Bestellung%20M%C3%BCller.edi` })).toBe('Bestellung Müller.edi');
    expect(uploadedFileName({ 'content-disposition': 'attachment; filename=plain.edi' })).toBe('plain.edi');
    expect(uploadedFileName({ 'content-disposition': 'attachment; filename="C:\\\\in\\\\x.edi"' })).toBe('x.edi');
    expect(uploadedFileName({ 'x-file-name': '../../etc/passwd' })).toBe('passwd');
    expect(uploadedFileName({ 'x-file-name': 'a%2Fb%20c.edi' })).toBe('b c.edi');
    expect(uploadedFileName({ 'content-disposition': 'attachment; filename="d.edi"', 'x-file-name': 'x.edi' })).toBe('d.edi');
    expect(uploadedFileName({ 'content-disposition': 'attachment' })).toBeUndefined();
    expect(uploadedFileName({})).toBeUndefined();
  });

  it('drops control characters and bounds its length; nothing usable is no name', () => {
    expect(sanitizeFileName('bad\u0000name\r\n.edi')).toBe('badname.edi');
    expect(sanitizeFileName('dir/')).toBeUndefined();
    expect(sanitizeFileName('..')).toBeUndefined();
    const long = sanitizeFileName(`${'ö'.repeat(300)}.edi`)!;
    expect(Array.from(long)).toHaveLength(200);
    expect(long.endsWith('…')).toBe(true);
  });
});
