import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError, charsetFromContentType, decodeLossy, decodeText, firstInvalidUtf8, xmlDeclaredEncoding } from '../../connectors/_kit/decode.ts';

const latin2 = readFileSync(new URL('../fixtures/unas/get-order-iso-8859-2.xml', import.meta.url));
const xml = (encoding: string, body: string): string => `<?xml version="1.0" encoding="${encoding}"?><r>${body}</r>`;

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('decode', () => {
  describe('when reading the declarations', () => {
    it('reads the charset parameter of Content-Type', () => {
      expect(charsetFromContentType('text/xml; charset=ISO-8859-2')).toBe('ISO-8859-2');
      expect(charsetFromContentType('application/xml;charset="windows-1250"')).toBe('windows-1250');
      expect(charsetFromContentType('text/xml')).toBeUndefined();
      expect(charsetFromContentType(undefined)).toBeUndefined();
    });

    it('reads the encoding of the XML declaration', () => {
      expect(xmlDeclaredEncoding(latin2)).toBe('ISO-8859-2');
      expect(xmlDeclaredEncoding(Buffer.from(`<?xml version='1.0' encoding='utf-8' standalone="yes"?><r/>`))).toBe('utf-8');
      expect(xmlDeclaredEncoding(Buffer.from('<r encoding="x"/>'))).toBeUndefined();
    });
  });

  describe('when the body is ISO-8859-2 with Hungarian ő ű', () => {
    it('decodes by the XML declaration when the header has no charset', () => {
      const decoded = decodeText(latin2, { contentType: 'text/xml' });
      expect(decoded.encoding).toBe('iso-8859-2');
      expect(decoded.source).toBe('declaration');
      expect(decoded.text).toContain('Kővári Győző');
      expect(decoded.text).toContain('Fűzfa utca');
      expect(decoded.text).toContain('ő ű Ő Ű');
    });

    it('decodes by the header charset, which wins over the declaration when both are single-byte', () => {
      const bytes = Buffer.from(xml('ISO-8859-2', '\u00f5\u00fb'), 'latin1'); // 0xF5 0xFB
      const decoded = decodeText(bytes, { contentType: 'text/xml; charset=windows-1250' });
      expect(decoded.text).toContain('<r>őű</r>');
      expect(decoded.source).toBe('header');
      expect(decoded.warnings[0]).toMatch(/header says windows-1250 but the XML declaration says ISO-8859-2/);
    });

    it('falls back to the declaration when the header says UTF-8 but the bytes are not UTF-8 (a common PHP default header)', () => {
      const decoded = decodeText(latin2, { contentType: 'text/xml; charset=UTF-8' });
      expect(decoded.encoding).toBe('iso-8859-2');
      expect(decoded.text).toContain('Kővári Győző');
      expect(decoded.warnings[0]).toMatch(/decoded as iso-8859-2 \(declaration\) after bytes invalid in the declared encoding utf-8 at byte \d+/);
    });

    it('prefers valid UTF-8 when the declaration says UTF-8 and the header a single-byte charset', () => {
      const bytes = Buffer.from(xml('UTF-8', 'őű'), 'utf8');
      const decoded = decodeText(bytes, { contentType: 'text/xml; charset=ISO-8859-2' });
      expect(decoded.text).toContain('<r>őű</r>');
      expect(decoded.encoding).toBe('utf-8');
    });
  });

  describe('when decoding other encodings', () => {
    it('follows WHATWG: ISO-8859-1 decodes as windows-1252, and 1250 differs from 8859-2', () => {
      expect(decodeText(Buffer.from([0x80, 0xe9]), { contentType: 'text/plain; charset=ISO-8859-1' }).text).toBe('€é');
      expect(decodeText(Buffer.from([0x8a]), { contentType: 'text/plain; charset=windows-1250' }).text).toBe('Š');
      expect(decodeText(Buffer.from([0xa9]), { contentType: 'text/plain; charset=iso-8859-2' }).text).toBe('Š');
      expect(decodeText(Buffer.from([0xf5]), { contentType: 'text/plain; charset=iso-8859-1' }).text).toBe('õ'); // the classic Hungarian mojibake
    });

    it('lets a BOM win and strips it', () => {
      const decoded = decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml('ISO-8859-2', 'ő'))]), { contentType: 'text/xml; charset=iso-8859-2' });
      expect(decoded.source).toBe('bom');
      expect(decoded.text.startsWith('<?xml')).toBe(true);
      expect(decoded.text).toContain('<r>ő</r>');
      expect(decoded.warnings).toHaveLength(2);
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<r>ő</r>', 'utf16le')]);
      expect(decodeText(utf16).text).toBe('<r>ő</r>');
    });

    it('defaults to UTF-8', () => {
      expect(decodeText(Buffer.from('<r>ő</r>')).source).toBe('default');
    });
  });

  describe('when the bytes or the charset are wrong', () => {
    it('refuses bytes invalid in the declared UTF-8 with the offset', () => {
      const error = decodeError(() => decodeText(Buffer.from([0x3c, 0x72, 0x3e, 0xc5, 0x28, 0x3c]), { contentType: 'text/xml; charset=utf-8' }));
      expect(error.code).toBe('invalid_bytes');
      expect(error.offset).toBe(3);
      expect(error.message).toBe('bytes invalid in the declared encoding utf-8 at byte 3 (c5 28 3c) (HTTP header charset=utf-8)');
    });

    it('refuses ISO-8859-2 bytes declared as UTF-8 with no other declaration', () => {
      const error = decodeError(() => decodeText(Buffer.from('<r>\u00f5</r>', 'latin1')));
      expect(error.message).toMatch(/utf-8 at byte 3 \(f5 3c 2f 72\) \(no charset declared, XML default\)/);
    });

    it('refuses an unknown charset', () => {
      expect(decodeError(() => decodeText(Buffer.from('x'), { contentType: 'text/xml; charset=klingon' })).code).toBe('unsupported_charset');
      expect(decodeError(() => decodeText(Buffer.from(xml('ISO-2022-KR', '')))).code).toBe('unsupported_charset');
    });

    it('refuses an oversized body', () => {
      expect(decodeError(() => decodeText(Buffer.alloc(11), { maxBytes: 10 })).code).toBe('too_large');
    });

    it('finds the first invalid UTF-8 sequence (overlong, surrogate, truncated)', () => {
      expect(firstInvalidUtf8(Buffer.from('ok ő 😀'))).toBe(-1);
      expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1);
      expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0);
      expect(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1);
    });

    it('renders undecodable bytes lossily for the archive', () => {
      expect(decodeLossy(Buffer.from([0x61, 0xff]), { contentType: 'text/xml; charset=utf-8' })).toBe('a\uFFFD');
    });
  });
});
