import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import xml2js from 'xml2js';
import * as kit from '../../connectors/_kit/xml.ts';
import * as common from '../../lib/xml.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/unas/${name}`, import.meta.url), 'utf8');

/** What xml2js itself does with a document (the layer under our DOCTYPE refusal). */
function rawXml2js(text: string): { error?: string; result?: unknown } {
  let out: { error?: string; result?: unknown } = {};
  new xml2js.Parser({ ...common.XML2JS_OPTIONS }).parseString(text, (error: Error | null, result: unknown) => {
    out = error ? { error: error.message } : { result };
  });
  return out;
}

describe.each([['lib/xml.ts', common.parseXml]])('xml safety (%s)', (_name, parseXml) => {
  describe('when the document declares a DOCTYPE or entities', () => {
    it('refuses an external entity (XXE) before parsing', () => {
      const result = parseXml(fixture('hostile-xxe.xml'));
      expect(result).toMatchObject({ ok: false, code: 'xml_doctype' });
      expect(JSON.stringify(result)).not.toContain('root:');
    });

    it('refuses billion laughs quickly', () => {
      const started = Date.now();
      expect(parseXml(fixture('hostile-billion-laughs.xml'))).toMatchObject({ ok: false, code: 'xml_doctype' });
      expect(Date.now() - started).toBeLessThan(200);
    });

    it('refuses a harmless-looking DOCTYPE too, in any case, but not the word inside CDATA or comments', () => {
      expect(parseXml('<!doctype r><r/>')).toMatchObject({ ok: false, code: 'xml_doctype' });
      expect(parseXml('<?xml version="1.0"?>\n<!-- c --><!DOCTYPE r SYSTEM "http://evil/x.dtd"><r/>')).toMatchObject({ ok: false, code: 'xml_doctype' });
      expect(parseXml('<r><!ENTITY x "y"></r>')).toMatchObject({ ok: false, code: 'xml_doctype' });
      expect(parseXml('<r><![CDATA[<!DOCTYPE html>]]><!-- <!ENTITY x "y"> --></r>')).toEqual({ ok: true, root: 'r', value: '<!DOCTYPE html>' });
    });
  });

  describe('when the document is broken or hostile in other ways', () => {
    it('reports the documented malformed example with its position and the offending text', () => {
      const result = parseXml(fixture('get-order-doc-malformed.xml'));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.code).toBe('xml_malformed');
      expect(result.message).toMatch(/^malformed XML: Unexpected close tag at line 13, column \d+ near ".*<Id>123<\/Name>/);
    });

    it('reports truncated XML', () => {
      expect(parseXml(fixture('truncated.xml'))).toMatchObject({ ok: false, code: 'xml_malformed', message: expect.stringMatching(/Unclosed root tag|Unexpected end/) });
    });

    it('refuses an oversized document before parsing it', () => {
      const big = `<Orders>${'<Order><Key>1</Key></Order>'.repeat(1000)}</Orders>`;
      expect(parseXml(big, { maxChars: 1000 })).toMatchObject({ ok: false, code: 'xml_too_large' });
      expect(parseXml(big).ok).toBe(true);
    });

    it('treats an empty body as an error (xml2js alone answers null)', () => {
      expect(parseXml('')).toMatchObject({ ok: false, code: 'xml_empty' });
      expect(parseXml('  \n ')).toMatchObject({ ok: false, code: 'xml_empty' });
    });

    it('refuses element names that are Object.prototype members', () => {
      expect(parseXml('<r><__proto__><x>1</x></__proto__></r>')).toMatchObject({ ok: false, code: 'xml_reserved_name' });
      expect(parseXml('<r><constructor>1</constructor></r>')).toMatchObject({ ok: false, code: 'xml_reserved_name' });
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });

    it('refuses undefined entity references', () => {
      expect(parseXml('<r>&bogus;</r>')).toMatchObject({ ok: false, code: 'xml_malformed', message: expect.stringContaining('Invalid character entity') });
    });
  });

  describe('when the document is fine', () => {
    it('keeps text exactly, merges CDATA, makes repeated elements arrays and strips a BOM', () => {
      const result = parseXml('\uFEFF<r><a>1</a><a>2</a><b> x </b><c/><d><![CDATA[y & z]]></d><e k="v">t</e>&#x151;&amp;</r>');
      expect(result).toEqual({ ok: true, root: 'r', value: { a: ['1', '2'], b: ' x ', c: '', d: 'y & z', e: { _: 't', $: { k: 'v' } }, _: 'ő&' } });
    });
  });
});

describe('what xml2js (sax) does without our refusal', () => {
  it('does not resolve an external entity: it fails on the reference', () => {
    expect(rawXml2js(fixture('hostile-xxe.xml')).error).toMatch(/Invalid character entity/);
  });

  it('does not expand internal entities (no billion laughs): it fails on the reference', () => {
    expect(rawXml2js(fixture('hostile-billion-laughs.xml')).error).toMatch(/Invalid character entity/);
  });

  it('silently accepts a DOCTYPE without references — why we refuse it ourselves', () => {
    expect(rawXml2js('<!DOCTYPE r [<!ENTITY a "b">]><r>x</r>').result).toEqual({ r: 'x' });
  });
});

describe('reading helpers', () => {
  it('xmlList, xmlText and xmlChild handle one, many, absent and attributed elements', () => {
    expect(common.xmlList(undefined)).toEqual([]);
    expect(common.xmlList('')).toEqual([]);
    expect(common.xmlList({ a: '1' })).toEqual([{ a: '1' }]);
    expect(common.xmlList(['1', '2'])).toEqual(['1', '2']);
    expect(common.xmlText({ _: 't', $: { k: 'v' } })).toBe('t');
    expect(common.xmlText({ $: { k: 'v' } })).toBe('');
    expect(common.xmlText({ child: 'x' })).toBeUndefined();
    expect(common.xmlChild({ toString: 'x' }, 'hasOwnProperty')).toBeUndefined();
  });
});

describe('parseXmlBytes (connectors)', () => {
  it('decodes by the declared charset, then parses', () => {
    const bytes = readFileSync(new URL('../fixtures/unas/get-order-iso-8859-2.xml', import.meta.url));
    const result = kit.parseXmlBytes(bytes, { contentType: 'text/xml' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.decoded.encoding).toBe('iso-8859-2');
    expect(JSON.stringify(result.value)).toContain('Kővári Győző');
  });

  it('returns a lossy text to archive when the bytes are invalid', () => {
    const result = kit.parseXmlBytes(Buffer.from([0x3c, 0x72, 0x3e, 0xff, 0x3c, 0x2f, 0x72, 0x3e]), { contentType: 'text/xml; charset=utf-8' });
    expect(result).toMatchObject({ ok: false, code: 'decode_failed', text: '<r>\uFFFD</r>' });
  });

  it('escapes XML text', () => {
    expect(kit.escapeXml(`a&b<c>"d'`)).toBe('a&amp;b&lt;c&gt;&quot;d&apos;');
  });
});
