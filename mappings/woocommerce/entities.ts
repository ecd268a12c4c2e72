/**
 * Decodes the HTML entities WordPress puts into names and meta (`&ndash;`, `&times;`, `&#36;`,
 * `&#8211;`, `&amp;`). Only for display: matching keeps the raw text.
 */
const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  ndash: '\u2013',
  mdash: '\u2014',
  times: '\u00d7',
  hellip: '\u2026',
  lsquo: '\u2018',
  rsquo: '\u2019',
  sbquo: '\u201a',
  ldquo: '\u201c',
  rdquo: '\u201d',
  bdquo: '\u201e',
  laquo: '\u00ab',
  raquo: '\u00bb',
  euro: '\u20ac',
  pound: '\u00a3',
  yen: '\u00a5',
  cent: '\u00a2',
  copy: '\u00a9',
  reg: '\u00ae',
  trade: '\u2122',
  deg: '\u00b0',
  frac12: '\u00bd',
  middot: '\u00b7',
  bull: '\u2022',
  szlig: '\u00df',
  aelig: '\u00e6',
  AElig: '\u00c6',
  oslash: '\u00f8',
  Oslash: '\u00d8',
  eth: '\u00f0',
  thorn: '\u00fe',
  iexcl: '\u00a1',
  iquest: '\u00bf',
  sect: '\u00a7',
  para: '\u00b6',
};

// Accented Latin letters (&aacute; &Ouml; &ntilde; …), built from combining marks instead of a long table.
const MARKS: Record<string, string> = { acute: '\u0301', grave: '\u0300', circ: '\u0302', uml: '\u0308', tilde: '\u0303', ring: '\u030a', cedil: '\u0327' };
for (const letter of 'aeiouyncAEIOUYNC') {
  for (const [mark, combining] of Object.entries(MARKS)) {
    const composed = `${letter}${combining}`.normalize('NFC');
    if (composed.length === 1) NAMED[`${letter}${mark}`] = composed;
  }
}

export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z][a-z0-9]*);/gi, (match, entity: string) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' || entity[1] === 'X' ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
      if (!Number.isFinite(code) || code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return match;
      return String.fromCodePoint(code);
    }
    return NAMED[entity] ?? NAMED[entity.toLowerCase()] ?? match;
  });
}
