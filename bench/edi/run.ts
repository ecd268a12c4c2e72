/**
 * bench/edi: MB/s parsing one large multi-message ORDERS interchange (built from the fixtures), for
 * our tokenizer alone, tokenizer + envelope checks + ORDERS mapping, and — beside them, same run, same
 * text — the npm `edifact` package (tdecaluwe/node-edifact) Reader, which tokenizes and validates
 * segments but maps nothing. Then checks the reference on the FORMATS.md §4 gotchas.
 *
 *   npx tsx bench/edi/run.ts                      # ~30 MB
 *   BENCH_EDI_MB=50 npx tsx bench/edi/run.ts
 *   BENCH_EDIFACT_PATH=/tmp/x/node_modules/edifact npx tsx bench/edi/run.ts   # another copy of the reference
 *
 * The reference is the `edifact` devDependency, imported by default (BENCH_EDIFACT_PATH, when set, is
 * tried first); it is loaded with a dynamic import and its column is skipped only when it is absent.
 * The mapping row is the streaming `mapEdifactPayload`: segments are dropped as each message is mapped.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { EdifactTokenizer, tokenize, type Segment } from '../../mappings/edi/edifact/tokenizer.ts';
import { mapEdifactPayload } from '../../mappings/edi/edifact/index.ts';
import { buildInterchange } from './interchange.ts';

const TARGET_MB = Number(process.env.BENCH_EDI_MB ?? 30);
const RUNS = Number(process.env.BENCH_EDI_RUNS ?? 3);
const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/edi/edifact/${name}`, import.meta.url), 'utf8');

function best(fn: () => number): { seconds: number; count: number } {
  let seconds = Infinity;
  let count = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    count = fn();
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    if (t < seconds) seconds = t;
  }
  return { seconds, count };
}

interface ReferenceReader {
  parse(document: string): Array<{ name: string; elements: string[][] }>;
}
type ReaderCtor = new (options?: Record<string, unknown>) => ReferenceReader;

async function loadReference(): Promise<{ Reader: ReaderCtor; version: string } | string> {
  const specifiers = [process.env.BENCH_EDIFACT_PATH, 'edifact'].filter((s): s is string => Boolean(s));
  for (const specifier of specifiers) {
    try {
      const mod = (await import(specifier.startsWith('/') ? `${specifier}/index.js` : specifier)) as { default?: { Reader?: ReaderCtor }; Reader?: ReaderCtor };
      const Reader = mod.Reader ?? mod.default?.Reader;
      if (!Reader) continue;
      let version = '?';
      try {
        const manifest = specifier.startsWith('/') ? `${specifier}/package.json` : new URL(import.meta.resolve('edifact/package.json'));
        version = (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version;
      } catch {
        // version unknown
      }
      return { Reader, version };
    } catch {
      // try the next specifier
    }
  }
  return 'npm package `edifact` not found (it is a devDependency: run `npm install`, or set BENCH_EDIFACT_PATH): reference column skipped';
}

const { text, messages } = buildInterchange(TARGET_MB * 1024 * 1024);
const megabytes = Buffer.byteLength(text, 'utf8') / (1024 * 1024);
console.log(`bench/edi: one interchange, ${messages} ORDERS messages, ${megabytes.toFixed(1)} MB, best of ${RUNS} runs\n`);

const rows: Array<[string, string, string, string]> = [];
const row = (name: string, r: { seconds: number; count: number }, unit: string): void => {
  rows.push([name, (megabytes / r.seconds).toFixed(1), r.seconds.toFixed(3), `${r.count} ${unit}`]);
};

row('orderhub tokenizer, streaming (64 KiB chunks, segments not kept)', best(() => {
  const tokenizer = new EdifactTokenizer();
  let count = 0;
  for (let i = 0; i < text.length; i += 65536) count += tokenizer.feed(text.slice(i, i + 65536)).length;
  return count + tokenizer.end().length;
}), 'segments');
row('orderhub tokenize() (all segments kept in memory)', best(() => tokenize(text).segments.length), 'segments');
row('orderhub tokenizer + envelopes + ORDERS mapping', best(() => {
  const result = mapEdifactPayload({ kind: 'upload', body: text }, { defaultCurrency: 'EUR' });
  if (result.errors.length > 0) throw new Error(`bench interchange did not map cleanly: ${result.errors[0]?.message}`);
  return result.orders.length;
}), 'orders');

const reference = await loadReference();
if (typeof reference === 'string') {
  rows.push(['edifact (npm) Reader.parse', '—', '—', reference]);
} else {
  try {
    // autoDetectEncoding: read the UNB syntax id (UNOC); without it the reader assumes UNOA and refuses lower case.
    row(`edifact@${reference.version} (npm) Reader.parse`, best(() => new reference.Reader({ autoDetectEncoding: true }).parse(text).length), 'segments');
  } catch (error) {
    rows.push([`edifact@${reference.version} (npm) Reader.parse`, '—', '—', `throws: ${(error as Error).message.split('\n')[0]}`]);
  }
}

console.log('| parser | MB/s | seconds | output |');
console.log('|---|---:|---:|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

// ---- correctness on the FORMATS.md §4 gotchas ------------------------------------------------------------
if (typeof reference !== 'string') {
  const envelope = (una: string, body: string, sep = '+'): string =>
    `${una}UNB${sep}UNOC:3${sep}A:14${sep}B:14${sep}200101:1200${sep}1'UNH${sep}1${sep}ORDERS:D:96A:UN:EAN008'${body}UNT${sep}3${sep}1'UNZ${sep}1${sep}1'`;
  const cases: Array<{ name: string; text: string; tag: string; want: string[][] }> = [
    { name: "value ending in released terminator `DE?''`", text: envelope("UNA:+.? '", "FTX+AAI+++DE?''"), tag: 'FTX', want: [['AAI'], [''], [''], ["DE'"]] },
    { name: "`??'` ends the segment", text: envelope("UNA:+.? '", "FTX+AAI+++X??'"), tag: 'FTX', want: [['AAI'], [''], [''], ['X?']] },
    { name: "`???'` does not end it", text: envelope("UNA:+.? '", "FTX+AAI+++X???'Y'"), tag: 'FTX', want: [['AAI'], [''], [''], ["X?'Y"]] },
    { name: 'UNA with `|` element separator', text: envelope("UNA:|.? '", "BGM|220|A+B?|C|9'", '|'), tag: 'BGM', want: [['220'], ['A+B|C'], ['9']] },
    { name: 'CR LF after every segment', text: envelope("UNA:+.? '\r\n", "BGM+220+X+9'\r\n").replace(/'(?!\r)/g, "'\r\n"), tag: 'BGM', want: [['220'], ['X'], ['9']] },
    { name: 'line break inside a data element', text: envelope("UNA:+.? '", "FTX+AAI+++L1\nL2'"), tag: 'FTX', want: [['AAI'], [''], [''], ['L1\nL2']] },
    { name: 'comma decimal mark (raw value kept)', text: envelope("UNA:+,? '", "QTY+21:12,5'"), tag: 'QTY', want: [['21', '12,5']] },
    { name: 'UNOC text already decoded (Kälte)', text: envelope("UNA:+.? '", "NAD+BY+1::9++A?+A Kälte GmbH'"), tag: 'NAD', want: [['BY'], ['1', '', '9'], [''], ['A+A Kälte GmbH']] },
    { name: 'no UNA, release `?:` in data', text: envelope('', "IMD+F++:::Sup 1?:10'"), tag: 'IMD', want: [['F'], [''], ['', '', '', 'Sup 1:10']] },
    { name: 'real sample dilono D.96A (NAD+IV as written)', text: fixture('dilono-d96a-orders.edi'), tag: 'NAD', want: [['BY'], ['0000000000005', '', '9']] },
  ];
  const ours = (t: string, tag: string): string[][] | string => {
    const s = tokenize(t).segments.find((x: Segment) => x.tag === tag);
    return s ? s.elements : 'segment not found';
  };
  const theirs = (t: string, tag: string): string[][] | string => {
    try {
      const s = new reference.Reader({ autoDetectEncoding: true }).parse(t).find((x) => x.name === tag);
      return s ? s.elements : 'segment not found';
    } catch (error) {
      return `throws: ${(error as Error).message.split('\n')[0]}`;
    }
  };
  const verdict = (got: string[][] | string, want: string[][]): string => (JSON.stringify(got) === JSON.stringify(want) ? 'ok' : `FAIL ${JSON.stringify(got)}`);
  console.log(`\n| gotcha | orderhub | edifact@${reference.version} |`);
  console.log('|---|---|---|');
  for (const c of cases) console.log(`| ${c.name} | ${verdict(ours(c.text, c.tag), c.want)} | ${verdict(theirs(c.text, c.tag), c.want)} |`);
}
