import xml2js from 'xml2js';

/**
 * Safe XML → object parsing (pure: string in, object out, no I/O), shared by mappings and
 * connectors (connectors/_kit/xml.ts adds decoding of bytes).
 *
 * What it guarantees, whatever the input:
 * - No DOCTYPE and no ENTITY declaration is accepted: the document is refused before parsing. xml2js
 *   (sax 1.x, strict) does not resolve external entities (no XXE) nor expand internal ones (no
 *   "billion laughs"): it fails on the first reference with "Invalid character entity" — but a
 *   DOCTYPE without references is silently accepted, and a parser swap must not silently open the
 *   door. test/unit/xml-safety.test.ts proves both layers.
 * - Element names that are Object.prototype members (`__proto__`, `constructor`, `toString`, …) are
 *   refused: xml2js keys children by name on plain objects and turns such names into odd arrays
 *   (`constructor: [Function, "1"]`), which downstream code would misread.
 * - A size limit (characters, default 32 Mi) is checked before any work.
 * - An empty document is an error (xml2js answers `null` for it).
 * - Parse errors carry the position and an excerpt of the text around it
 *   ("Unexpected close tag at line 1, column 29 near …<Id>123</Name>…").
 *
 * Shape of the result (XML2JS_OPTIONS): `explicitArray: false` — a child element that occurs once is
 * a value, several times an array; read lists with `xmlList()` so one and many look alike. Text is
 * kept exactly (no trim, no whitespace normalisation; CDATA merged into the text); whitespace-only
 * text between child elements is dropped; an empty element is `''`; an element with attributes is
 * `{ _: text, $: { name: value } }` — read text with `xmlText()`, which handles both forms.
 */

export const XML_DEFAULT_MAX_CHARS = 32 * 1024 * 1024;

/** Frozen: every parse builds its own Parser from a copy (no shared mutable options). */
export const XML2JS_OPTIONS: Readonly<xml2js.ParserOptions> = Object.freeze({
  strict: true,
  async: false,
  explicitRoot: true,
  explicitArray: false,
  explicitCharkey: false,
  charkey: '_',
  attrkey: '$',
  trim: false,
  normalize: false,
  normalizeTags: false,
  includeWhiteChars: false,
  emptyTag: '',
  mergeAttrs: false,
  xmlns: false,
  explicitChildren: false,
  validator: undefined,
});

export type XmlErrorCode = 'xml_empty' | 'xml_too_large' | 'xml_doctype' | 'xml_reserved_name' | 'xml_malformed';

export type XmlParseResult =
  /** `root` is the name of the document element, `value` its content. */
  | { ok: true; root: string; value: unknown }
  | { ok: false; code: XmlErrorCode; message: string };

export interface XmlParseOptions {
  /** Characters (UTF-16 code units). Default XML_DEFAULT_MAX_CHARS. */
  maxChars?: number;
}

const RESERVED_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * The first DOCTYPE/ENTITY declaration outside comments and CDATA sections, or undefined. A single
 * forward scan: comments and CDATA are skipped whole, so text inside them never triggers a refusal.
 */
export function findDeclaration(text: string): { kind: 'DOCTYPE' | 'ENTITY'; index: number } | undefined {
  let at = text.indexOf('<!');
  while (at !== -1) {
    if (text.startsWith('<!--', at)) {
      const end = text.indexOf('-->', at + 4);
      if (end === -1) return undefined;
      at = text.indexOf('<!', end + 3);
      continue;
    }
    if (text.startsWith('<![CDATA[', at)) {
      const end = text.indexOf(']]>', at + 9);
      if (end === -1) return undefined;
      at = text.indexOf('<!', end + 3);
      continue;
    }
    const word = text.slice(at + 2, at + 9).toUpperCase();
    if (word.startsWith('DOCTYPE')) return { kind: 'DOCTYPE', index: at };
    if (word.startsWith('ENTITY')) return { kind: 'ENTITY', index: at };
    at = text.indexOf('<!', at + 2);
  }
  return undefined;
}

/** The first element name that is an Object.prototype member (outside comments/CDATA), or undefined. */
export function findReservedElementName(text: string): string | undefined {
  const stripped = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const tag = /<\/?([A-Za-z_][\w.:-]*)/g;
  for (let match = tag.exec(stripped); match; match = tag.exec(stripped)) {
    const name = match[1] as string;
    if (RESERVED_NAMES.has(name)) return name;
  }
  return undefined;
}

function excerptAt(text: string, line: number, column: number): string {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < line && i < lines.length; i++) offset += (lines[i] as string).length + 1;
  offset += column;
  const start = Math.max(0, offset - 40);
  const snippet = text.slice(start, Math.min(text.length, offset + 20)).replace(/\s+/g, ' ');
  return `${start > 0 ? '…' : ''}${snippet}${offset + 20 < text.length ? '…' : ''}`;
}

/** sax messages are "Reason\nLine: 0\nColumn: 29\nChar: >" with a 0-based line. */
function describeSaxError(error: Error, text: string): string {
  const [reason = 'parse error', ...rest] = String(error.message).split('\n');
  const line = Number(/Line: (\d+)/.exec(rest.join('\n'))?.[1]);
  const column = Number(/Column: (\d+)/.exec(rest.join('\n'))?.[1]);
  if (!Number.isFinite(line) || !Number.isFinite(column)) return reason;
  return `${reason} at line ${line + 1}, column ${column} near "${excerptAt(text, line, column)}"`;
}

/** Parses an XML document under the rules above. Never throws. */
export function parseXml(input: string, options: XmlParseOptions = {}): XmlParseResult {
  const maxChars = options.maxChars ?? XML_DEFAULT_MAX_CHARS;
  if (typeof input !== 'string') return { ok: false, code: 'xml_empty', message: 'no XML text' };
  if (input.length > maxChars) {
    return { ok: false, code: 'xml_too_large', message: `XML document of ${input.length} characters exceeds the limit of ${maxChars}` };
  }
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (text.trim() === '') return { ok: false, code: 'xml_empty', message: 'empty XML document' };
  const declaration = findDeclaration(text);
  if (declaration) {
    return {
      ok: false,
      code: 'xml_doctype',
      message: `XML with a ${declaration.kind} declaration is refused (external entities / entity expansion) at character ${declaration.index}`,
    };
  }
  const reserved = findReservedElementName(text);
  if (reserved) return { ok: false, code: 'xml_reserved_name', message: `XML element name <${reserved}> is refused (reserved object property name)` };

  const parser = new xml2js.Parser({ ...XML2JS_OPTIONS });
  let outcome: XmlParseResult | undefined;
  try {
    // async: false → the callback runs before parseString returns.
    parser.parseString(text, (error: Error | null, result: unknown) => {
      if (outcome) return; // xml2js may report a second error after the first one
      if (error) {
        outcome = { ok: false, code: 'xml_malformed', message: `malformed XML: ${describeSaxError(error, text)}` };
        return;
      }
      if (!result || typeof result !== 'object') {
        outcome = { ok: false, code: 'xml_empty', message: 'empty XML document' };
        return;
      }
      const [root] = Object.keys(result);
      outcome = root === undefined ? { ok: false, code: 'xml_empty', message: 'XML document without an element' } : { ok: true, root, value: (result as Record<string, unknown>)[root] };
    });
  } catch (error) {
    outcome ??= { ok: false, code: 'xml_malformed', message: `malformed XML: ${describeSaxError(error as Error, text)}` };
  }
  return outcome ?? { ok: false, code: 'xml_malformed', message: 'malformed XML: the parser gave no result' };
}

// ---- reading the parsed value -------------------------------------------------------------------------------

export type XmlObject = Record<string, unknown>;

export function isXmlObject(value: unknown): value is XmlObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One or many occurrences of an element as a list (absent or `''` → []). */
export function xmlList(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

/** A child element of an element (undefined when the node is text or the child is absent). */
export function xmlChild(node: unknown, name: string): unknown {
  if (!isXmlObject(node) || !Object.prototype.hasOwnProperty.call(node, name)) return undefined;
  return node[name];
}

/**
 * The text of an element: plain text, or `_` of an element that also has attributes. An element that
 * occurs several times gives its first text. Structure (child elements) is not text: undefined.
 */
export function xmlText(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return xmlText(node[0]);
  if (isXmlObject(node)) {
    const text = node._;
    if (typeof text === 'string') return text;
    if (Object.keys(node).every((k) => k === '$')) return '';
  }
  return undefined;
}
