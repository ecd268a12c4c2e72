import { inflateSync } from 'node:zlib';

/**
 * The text of a PDF as a reader would copy it, enough to prove what a statement says: the objects
 * read, streams inflated, each font's ToUnicode map (bfchar and bfrange, as pdfkit writes them for an
 * embedded font) applied to the hex strings of the TJ operators that follow its `Tf`. Not a general
 * PDF parser: on a PDF it does not understand it yields no text or `?`, which a test then notices.
 */
export function pdfText(pdf: Buffer): { text: string; fonts: string[]; embedded: boolean } {
  const source = pdf.toString('latin1');
  const objects = new Map<string, { dictionary: string; stream: string | undefined }>();
  for (const m of source.matchAll(/(\d+) 0 obj\s*([\s\S]*?)endobj/g)) {
    const body = m[2]!;
    const at = body.search(/stream\r?\n/);
    if (at < 0) {
      objects.set(m[1]!, { dictionary: body, stream: undefined });
      continue;
    }
    const dictionary = body.slice(0, at);
    const streamStart = m.index! + m[0].indexOf(body) + at + (body.slice(at).startsWith('stream\r\n') ? 8 : 7);
    const length = Number(/\/Length (\d+)/.exec(dictionary)?.[1] ?? 0);
    const raw = pdf.subarray(streamStart, streamStart + length);
    let stream = '';
    try {
      stream = /FlateDecode/.test(dictionary) ? inflateSync(raw).toString('latin1') : raw.toString('latin1');
    } catch {
      stream = '';
    }
    objects.set(m[1]!, { dictionary, stream });
  }

  const cmapOf = (fontObject: string): Map<string, string> => {
    const map = new Map<string, string>();
    const ref = /\/ToUnicode (\d+) 0 R/.exec(objects.get(fontObject)?.dictionary ?? '')?.[1];
    const cmap = ref ? (objects.get(ref)?.stream ?? '') : '';
    for (const [, code, unicode] of cmap.matchAll(/^<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*$/gm)) map.set(code!.toLowerCase(), fromHex(unicode!));
    for (const [, from, , list] of cmap.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*\[([^\]]*)\]/g)) {
      const first = parseInt(from!, 16);
      [...list!.matchAll(/<([0-9a-fA-F]+)>/g)].forEach(([, unicode], i) => map.set((first + i).toString(16).padStart(from!.length, '0'), fromHex(unicode!)));
    }
    return map;
  };
  // Resource name (/F1) → the font's map; pages share one resource dictionary in pdfkit's output.
  const fontsByName = new Map<string, Map<string, string>>();
  for (const { dictionary } of objects.values()) {
    const fontDict = /\/Font\s*<<([^>]*)>>/.exec(dictionary)?.[1];
    if (!fontDict) continue;
    for (const [, name, ref] of fontDict.matchAll(/\/(\w+)\s+(\d+) 0 R/g)) fontsByName.set(name!, cmapOf(ref!));
  }

  const lines: string[] = [];
  for (const { stream } of objects.values()) {
    if (!stream || !/\bTJ\b/.test(stream)) continue;
    let current = new Map<string, string>();
    for (const token of stream.matchAll(/\/(\w+)\s+[\d.]+\s+Tf|\[((?:<[0-9a-fA-F]*>|[^\]])*)\]\s*TJ/g)) {
      if (token[1]) {
        current = fontsByName.get(token[1]) ?? new Map();
        continue;
      }
      lines.push([...token[2]!.matchAll(/<([0-9a-fA-F]*)>/g)].map(([, hex]) => (hex!.match(/.{4}/g) ?? []).map((g) => current.get(g.toLowerCase()) ?? '?').join('')).join(''));
    }
  }
  const fonts = [...source.matchAll(/\/BaseFont\s*\/(?:[A-Z]{6}\+)?([\w-]+)/g)].map((m) => m[1]!);
  return { text: lines.join('\n'), fonts: [...new Set(fonts)], embedded: /\/FontFile2/.test(source) };
}

function fromHex(hex: string): string {
  const units: number[] = [];
  for (let i = 0; i < hex.length; i += 4) units.push(parseInt(hex.slice(i, i + 4), 16));
  return String.fromCharCode(...units);
}
