/**
 * bench/commerceml: reading a generated 1,000,000-offer offers.xml, for time and peak RSS. The file
 * is built on disk by cloning one offer of the real 1C sample in test/fixtures/commerceml
 * (offers0_1.cut.xml: a variant offer with one price, Представление, a base unit with Пересчет, stock
 * per warehouse) with a different Ид per copy. Each measurement runs in its own child process so its
 * peak RSS (VmHWM) is its own:
 *
 * - `reader`: readCommerceMl (saxes + iconv-lite + mapping to Offer records, batches of 500, dropped as read)
 * - `saxes`: the saxes parser alone (events counted, nothing kept)
 * - `sax`: sax@1.x alone (the alternative; already installed under xml2js and soap)
 * - `htmlparser2`: htmlparser2 in xmlMode alone, when BENCH_HTMLPARSER2_PATH names an installed copy
 *   (not a dependency: `npm install --prefix /tmp/h2 htmlparser2@12`, then /tmp/h2/node_modules/htmlparser2)
 *
 * Then a table of what each parser does with a truncated upload, a mismatched end tag, a DOCTYPE with
 * an external entity and an undeclared entity (`npx tsx bench/commerceml/run.ts checks` prints only that).
 *
 *   npm run bench:commerceml                                 # 1,000,000 offers (1.1 GB on disk)
 *   BENCH_CML_OFFERS=100000 npx tsx bench/commerceml/run.ts
 *   BENCH_HTMLPARSER2_PATH=/tmp/h2/node_modules/htmlparser2 npx tsx bench/commerceml/run.ts
 *   BENCH_CML_MODES=reader npx tsx bench/commerceml/run.ts   # only some of the measurements
 *   BENCH_CML_RUNS=3 npx tsx bench/commerceml/run.ts         # best of 3 per measurement
 *
 * Linux only (/proc). The file is kept in the OS temp folder (BENCH_CML_FILE to name it; reused when it exists).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSampleClones } from './generate.ts';

const OFFERS = Number(process.env.BENCH_CML_OFFERS ?? 1_000_000);
/** Runs per measurement: the fastest is reported (the machine is shared), with the highest peak RSS of all runs. */
const RUNS = Number(process.env.BENCH_CML_RUNS ?? 1);
const FILE = process.env.BENCH_CML_FILE ?? join(tmpdir(), `orderhub-bench-offers-${OFFERS}.xml`);
const SELF = fileURLToPath(import.meta.url);

async function generate(): Promise<void> {
  if (!existsSync(FILE)) await writeSampleClones(FILE, OFFERS);
}

interface SaxParser {
  onopentag: (tag: { name: string }) => void;
  write(text: string): void;
  close(): void;
}

function peakRss(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

async function child(mode: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  let count = 0;
  const stream = () => createReadStream(FILE, { highWaterMark: 64 * 1024 });
  if (mode === 'reader') {
    const { readCommerceMl } = await import('../../mappings/commerceml/reader.ts');
    for await (const chunk of readCommerceMl(stream(), { batchSize: 500 })) if (chunk.kind === 'offers') count += chunk.offers.length;
  } else if (mode === 'saxes') {
    const { SaxesParser } = await import('saxes');
    const parser = new SaxesParser({ position: true });
    parser.on('opentag', (tag) => {
      if (tag.name === 'Предложение') count++;
    });
    for await (const text of stream().setEncoding('utf8')) parser.write(text as string);
    parser.close();
  } else if (mode === 'sax') {
    // sax ships no types; the two members used here are typed by hand.
    const sax = ((await import('sax' as string)) as { default: { parser(strict: boolean, options: object): SaxParser } }).default;
    const parser = sax.parser(true, { position: true });
    parser.onopentag = (tag: { name: string }) => {
      if (tag.name === 'Предложение') count++;
    };
    for await (const text of stream().setEncoding('utf8')) parser.write(text as string);
    parser.close();
  } else if (mode === 'htmlparser2') {
    const { Parser } = (await import(join(process.env.BENCH_HTMLPARSER2_PATH!, 'dist/index.js'))) as {
      Parser: new (handler: { onopentag(name: string): void }, options: { xmlMode: boolean }) => { write(text: string): void; end(): void };
    };
    const parser = new Parser({ onopentag: (name: string) => void (name === 'Предложение' && count++) }, { xmlMode: true });
    for await (const text of stream().setEncoding('utf8')) parser.write(text as string);
    parser.end();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({ mode, seconds, count, peak: peakRss() }) + '\n');
}

/** What each parser does with the inputs a 1C exchange can bring: a refused or broken file must not read as a whole one. */
async function checks(): Promise<void> {
  const inputs: [string, string][] = [
    ['truncated (upload cut mid-offer)', '<КоммерческаяИнформация><ПакетПредложений><Предложения><Предложение><Ид>1</Ид>'],
    ['mismatched end tag', '<КоммерческаяИнформация><Документ><Ид>1</Номер></Документ></КоммерческаяИнформация>'],
    ['DOCTYPE with an external entity', '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><КоммерческаяИнформация>&x;</КоммерческаяИнформация>'],
    ['undeclared entity', '<КоммерческаяИнформация>&nbsp;</КоммерческаяИнформация>'],
  ];
  type Verdict = (xml: string) => Promise<string>;
  const verdicts: Record<string, Verdict> = {
    saxes: async (xml) => {
      const { SaxesParser } = await import('saxes');
      const parser = new SaxesParser({ position: true });
      let doctype = false;
      parser.on('doctype', () => (doctype = true));
      try {
        parser.write(xml).close();
        return doctype ? 'doctype event (refusable)' : 'no error';
      } catch (error) {
        return `${doctype ? 'doctype event (refusable), then ' : ''}error: ${(error as Error).message.slice(0, 60)}`;
      }
    },
    sax: async (xml) => {
      type Sax = SaxParser & { ondoctype: () => void; onerror: (e: Error) => void; error: Error | null; resume(): void };
      const sax = ((await import('sax' as string)) as { default: { parser(strict: boolean, options: object): Sax } }).default;
      const parser = sax.parser(true, { position: true });
      let doctype = false;
      let failure: string | undefined;
      parser.ondoctype = () => (doctype = true);
      // sax reports through onerror (and stays silent without one); the first error is the verdict
      parser.onerror = (e) => {
        failure ??= e.message.split('\n')[0]!.slice(0, 60);
        parser.error = null;
        parser.resume();
      };
      parser.write(xml);
      parser.close();
      if (failure) return `${doctype ? 'doctype event (refusable), then ' : ''}error: ${failure}`;
      return doctype ? 'doctype event (refusable)' : 'no error';
    },
  };
  if (process.env.BENCH_HTMLPARSER2_PATH) {
    verdicts.htmlparser2 = async (xml) => {
      const { Parser } = (await import(join(process.env.BENCH_HTMLPARSER2_PATH!, 'dist/index.js'))) as {
        Parser: new (handler: { onerror(e: Error): void; onprocessinginstruction(name: string): void }, options: { xmlMode: boolean }) => { write(text: string): void; end(): void };
      };
      let outcome = 'no error';
      const parser = new Parser(
        { onerror: (e) => (outcome = `error: ${e.message}`), onprocessinginstruction: (name) => void (name.toLowerCase() === '!doctype' && (outcome = 'doctype event (refusable)')) },
        { xmlMode: true },
      );
      parser.write(xml);
      parser.end();
      return outcome;
    };
  }
  console.log(`\n| input | ${Object.keys(verdicts).join(' | ')} |`);
  console.log(`|---|${Object.keys(verdicts).map(() => '---').join('|')}|`);
  for (const [label, xml] of inputs) {
    const row = await Promise.all(Object.values(verdicts).map((v) => v(xml)));
    console.log(`| ${label} | ${row.join(' | ')} |`);
  }
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === 'checks') return checks();
  if (mode) return child(mode);
  const t0 = Date.now();
  await generate();
  const size = statSync(FILE).size;
  console.log(`${FILE}: ${OFFERS.toLocaleString('en')} offers, ${(size / 1024 / 1024).toFixed(0)} MB (generated or reused in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const modes = process.env.BENCH_CML_MODES?.split(',') ?? ['reader', 'saxes', 'sax', ...(process.env.BENCH_HTMLPARSER2_PATH ? ['htmlparser2'] : [])];
  console.log(`best of ${RUNS} run(s) each\n| what | seconds | MB/s | peak RSS (MB) | offers |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const m of modes) {
    let best: { seconds: number; count: number; peak: number } | undefined;
    let peak = 0;
    for (let i = 0; i < RUNS; i++) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', SELF, m], { encoding: 'utf8', maxBuffer: 1 << 20 });
      const line = run.stdout.trim().split('\n').pop();
      if (run.status !== 0 || !line) {
        console.log(`| ${m} | failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')} | | | |`);
        break;
      }
      const r = JSON.parse(line) as { seconds: number; count: number; peak: number };
      if (!best || r.seconds < best.seconds) best = r;
      peak = Math.max(peak, r.peak);
    }
    if (!best) continue;
    console.log(`| ${m} | ${best.seconds.toFixed(1)} | ${(size / 1024 / 1024 / best.seconds).toFixed(1)} | ${(peak / 1024 / 1024).toFixed(0)} | ${best.count.toLocaleString('en')} |`);
  }
  await checks();
}

await main();
