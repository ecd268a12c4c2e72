/**
 * bench/commerceml-import: a generated catalogue imported into the hub on PostgreSQL, as the 1C exchange
 * imports it (core/onec/onec-exchange.ts: readCommerceMl in batches of 500 records, each chunk applied by
 * CatalogueService.apply in its own transaction, finishSnapshot after a full snapshot), for wall time,
 * records/s and the importing process's peak RSS (VmHWM; each file is imported by a child process of
 * its own, so the figure is that file's).
 *
 * Files (bench/commerceml/generate.ts): import.xml (products; one in five sold as two `guid#guid`
 * variants), offers.xml (OFFERS offers, each with 4 prices and stock in 2 warehouses) and a delta
 * offers.xml (СодержитТолькоИзменения="true", every 100th offer with a new price and quantity).
 * Steps, on one throw-away database:
 *
 *   1. import.xml                      products created
 *   2. offers.xml                      variants created, 4 prices each, 2 stock levels each (ledger rows)
 *   3. offers.xml again (new exchange) nothing changed: must write no price, level or ledger row
 *   4. the delta                       1% of the offers: a new price per column (the old one kept as history), new levels
 *
 * Rows written per step are read from pg_stat_user_tables (inserted / updated / deleted). The ledger is
 * verified at the end (StockService.verifyLedger: every level equals the sum of its ledger rows).
 *
 *   npm run bench:commerceml-import                         # 1,000,000 offers
 *   OFFERS=20000 npm run bench:commerceml-import            # the quick mode
 *   BENCH_CML_DIR=/some/dir OFFERS=… …                      # where the files go (reused when present; default the OS temp folder)
 *   BENCH_POSTGRES_URL=postgresql://… …                     # the server (default 127.0.0.1:5432, user postgres)
 *
 * Linux only (/proc).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { CatalogueService, type ApplyCounts } from '../../core/catalogue/catalogue-service.ts';
import { openDatabase } from '../../core/db/database.ts';
import type { CommerceMlPackage } from '../../core/model/commerceml.ts';
import { StockService } from '../../core/stock/stock-service.ts';
import { readCommerceMl } from '../../mappings/commerceml/reader.ts';
import { createTestPostgres } from '../../testkit/databases.ts';
import { writeImport, writeOffers } from '../commerceml/generate.ts';

const OFFERS = Number(process.env.OFFERS ?? 1_000_000);
/** As the exchange reads: OnecExchange's default batchSize. */
const BATCH = 500;
const DIR = process.env.BENCH_CML_DIR ?? tmpdir();
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SELF = fileURLToPath(import.meta.url);
const TABLES = ['product', 'price', 'price_column', 'warehouse', 'stock_level', 'stock_movement'];

interface ChildResult {
  seconds: number;
  records: number;
  peak: number;
  counts: { created: number; updated: number; unchanged: number; deactivated: number; prices: { changed: number; unchanged: number }; stock: { created: number; updated: number; unchanged: number; released: number }; problems: number };
}

function peakRss(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/** The child: one file imported as the exchange does it, chunk by chunk. */
async function child(url: string, file: string, exchangeId: string): Promise<void> {
  const db = await openDatabase({ url });
  const catalogue = new CatalogueService(db);
  const total: ChildResult['counts'] = { created: 0, updated: 0, unchanged: 0, deactivated: 0, prices: { changed: 0, unchanged: 0 }, stock: { created: 0, updated: 0, unchanged: 0, released: 0 }, problems: 0 };
  const add = (c: ApplyCounts) => {
    total.created += c.created;
    total.updated += c.updated;
    total.unchanged += c.unchanged;
    total.deactivated += c.deactivated;
    total.prices.changed += c.prices.changed;
    total.prices.unchanged += c.prices.unchanged;
    total.stock.created += c.stock.created;
    total.stock.updated += c.stock.updated;
    total.stock.unchanged += c.stock.unchanged;
    total.stock.released += c.stock.released.length;
    total.problems += c.problems.length;
  };
  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  let pkg: CommerceMlPackage | undefined;
  let records = 0;
  for await (const chunk of readCommerceMl(createReadStream(file, { highWaterMark: 64 * 1024 }), { batchSize: BATCH })) {
    if (chunk.kind === 'package') {
      pkg = chunk;
      continue;
    }
    add(await catalogue.apply(chunk, { exchangeId, catalogueId: pkg?.catalogueId ?? '', onlyChanges: pkg?.onlyChanges ?? true }));
    if (chunk.kind === 'products') records += chunk.products.length;
    if (chunk.kind === 'offers') records += chunk.offers.length;
  }
  // As the exchange: only a full import.xml deactivates what it did not mention.
  if (pkg && !pkg.onlyChanges && pkg.document === 'import' && pkg.catalogueId) total.deactivated += (await catalogue.finishSnapshot(pkg.catalogueId, startedAt)).deactivated;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (process.env.BENCH_VERBOSE) console.error(JSON.stringify(process.memoryUsage()));
  await db.close();
  process.stdout.write(JSON.stringify({ seconds, records, peak: peakRss(), counts: total } satisfies ChildResult) + '\n');
}

type Writes = Record<string, { ins: number; upd: number; del: number }>;

/** Rows inserted / updated / deleted per table so far (the statistics collector's figures). */
async function writes(url: string): Promise<Writes> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ relname: string; ins: string; upd: string; del: string }>(
      `SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del FROM pg_stat_user_tables WHERE relname = ANY($1::text[])`,
      [TABLES],
    );
    return Object.fromEntries(rows.map((r) => [r.relname, { ins: Number(r.ins), upd: Number(r.upd), del: Number(r.del) }]));
  } finally {
    await client.end();
  }
}

function difference(after: Writes, before: Writes): string {
  const parts: string[] = [];
  for (const t of TABLES) {
    const a = after[t] ?? { ins: 0, upd: 0, del: 0 };
    const b = before[t] ?? { ins: 0, upd: 0, del: 0 };
    const d = { ins: a.ins - b.ins, upd: a.upd - b.upd, del: a.del - b.del };
    const text = [d.ins && `+${d.ins}`, d.upd && `~${d.upd}`, d.del && `-${d.del}`].filter(Boolean).join(' ');
    if (text) parts.push(`${t} ${text}`);
  }
  return parts.join(', ') || 'nothing';
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
  const files = { import: join(DIR, `orderhub-bench-import-${OFFERS}.xml`), offers: join(DIR, `orderhub-bench-offers4-${OFFERS}.xml`), delta: join(DIR, `orderhub-bench-offers4-delta-${OFFERS}.xml`) };
  const t0 = Date.now();
  if (!existsSync(files.import)) await writeImport(files.import, OFFERS);
  if (!existsSync(files.offers)) await writeOffers(files.offers, OFFERS);
  if (!existsSync(files.delta)) await writeOffers(files.delta, OFFERS, { every: 100 });
  const mb = (f: string) => (statSync(f).size / 1024 / 1024).toFixed(0);
  console.log(`bench/commerceml-import: ${OFFERS.toLocaleString('en')} offers; import.xml ${mb(files.import)} MB, offers.xml ${mb(files.offers)} MB, delta ${mb(files.delta)} MB (generated or reused in ${((Date.now() - t0) / 1000).toFixed(1)} s); node ${process.version}`);

  const { url, drop } = await createTestPostgres({ adminUrl: ADMIN_URL });
  const rows: string[] = [];
  try {
    const steps = [
      ['import.xml (snapshot)', files.import, 'X-1'],
      ['offers.xml (snapshot)', files.offers, 'X-1'],
      ['offers.xml again, unchanged', files.offers, 'X-2'],
      ['offers.xml delta (1% changed)', files.delta, 'X-3'],
    ] as const;
    for (const [label, file, exchange] of steps) {
      const before = await writes(url!);
      const run = spawnSync(process.execPath, ['--import', 'tsx', SELF, 'child', url!, file, exchange], { encoding: 'utf8', maxBuffer: 1 << 20 });
      const line = run.stdout.trim().split('\n').pop();
      if (run.status !== 0 || !line) throw new Error(`${label} failed: ${run.stderr.trim().split('\n').slice(-8).join('\n')}`);
      const r = JSON.parse(line) as ChildResult;
      // The statistics collector takes up to a second to publish what the child's connections wrote.
      await sleep(1500);
      const written = difference(await writes(url!), before);
      const c = r.counts;
      const row = `| ${label} | ${r.records.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${(r.records / r.seconds).toFixed(0)} | ${(r.peak / 1024 / 1024).toFixed(0)} | items +${c.created} ~${c.updated} =${c.unchanged} -${c.deactivated}; prices ${c.prices.changed} changed, ${c.prices.unchanged} same; levels +${c.stock.created} ~${c.stock.updated} =${c.stock.unchanged}; problems ${c.problems} | ${written} |`;
      console.log(row);
      rows.push(row);
    }
    const db = await openDatabase({ url });
    const t1 = Date.now();
    const ledger = await new StockService(db).verifyLedger();
    console.log(`ledger verified in ${((Date.now() - t1) / 1000).toFixed(1)} s: ${ledger.ok ? 'ok' : `${ledger.mismatches.length} mismatch(es)`} (${JSON.stringify(ledger.checked)})`);
    await db.close();
    if (!ledger.ok) throw new Error(`ledger mismatches: ${JSON.stringify(ledger.mismatches.slice(0, 5))}`);
  } finally {
    await drop();
  }
  console.log('\n| file | records | seconds | records/s | peak RSS (MB) | what the hub counted | rows written (+ins ~upd -del) |');
  console.log('|---|---:|---:|---:|---:|---|---|');
  for (const row of rows) console.log(row);
}

await main();
