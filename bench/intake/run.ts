/**
 * bench/intake: orders/s for intake of N WooCommerce orders (raw archive + map + idempotent
 * upsert), on PostgreSQL and on PGlite, beside the raw SQL insert rate of the same rows measured
 * in the same run. The ratio intake/raw is the figure to watch.
 *
 *   npm run bench                      # N=2000, page size 100
 *   BENCH_ORDERS=10000 npm run bench
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../core/db/database.ts';
import { canonicalJson, orderContentHash } from '../../core/orders/content-hash.ts';
import { processPayload } from '../../core/orders/payload-processing.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import type { OrderDraft } from '../../core/model/order.ts';
import { woocommerceMapping } from '../../mappings/woocommerce/index.ts';
import { generateWooOrder } from '../../testkit/woo-sandbox.ts';
import { createTestPglite, createTestPostgres } from '../../testkit/databases.ts';

const N = Number(process.env.BENCH_ORDERS ?? 2000);
const PAGE = 100;
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

interface Figures {
  database: string;
  intakePerSecond: number;
  rawSqlPerSecond: number;
  reintakePerSecond: number;
}

const pages: string[] = [];
for (let i = 0; i < N; i += PAGE) {
  pages.push(JSON.stringify(Array.from({ length: Math.min(PAGE, N - i) }, (_, k) => generateWooOrder(i + k + 1))));
}
const drafts: OrderDraft[][] = pages.map((body) => woocommerceMapping.map({ kind: 'pull', body }, {}).orders);
const lineCount = drafts.flat().reduce((sum, d) => sum + d.lines.length, 0);

async function measure(label: string, open: () => Promise<{ db: Database; drop: () => Promise<void> }>): Promise<Figures> {
  const intakeDb = await open();
  const channelId = await createChannel(intakeDb.db);
  const intake = await timed(async () => {
    for (const body of pages) {
      const archived = await archivePayload(intakeDb.db, { channelId, kind: 'pull', body, contentType: 'application/json' });
      await processPayload(intakeDb.db, archived.id, () => woocommerceMapping);
    }
  });
  const orders = await intakeDb.db.prisma.order.count();
  if (orders !== N) throw new Error(`${label}: expected ${N} orders, found ${orders}`);
  // Second pass over the same pages with the archive bypassed: every order is recognised unchanged.
  const { ingestOrders } = await import('../../core/orders/intake.ts');
  const reintake = await timed(async () => {
    for (const batch of drafts) await ingestOrders(intakeDb.db, { channelId, drafts: batch });
  });
  await intakeDb.drop();

  const rawDb = await open();
  const rawChannelId = await createChannel(rawDb.db);
  const raw = await timed(async () => {
    for (let p = 0; p < pages.length; p++) await rawInsertPage(rawDb.db, rawChannelId, pages[p]!, drafts[p]!);
  });
  await rawDb.drop();
  return { database: label, intakePerSecond: N / intake, rawSqlPerSecond: N / raw, reintakePerSecond: N / reintake };
}

/** The floor: the same rows (payload, orders, lines, versions) written with one plain INSERT per table per page. */
async function rawInsertPage(db: Database, channelId: string, body: string, batch: OrderDraft[]): Promise<void> {
  const payloadId = randomUUID();
  const orders = batch.map((d) => ({ id: randomUUID(), d }));
  const orderRows = orders.map(({ id, d }) => ({
    id, channel_id: channelId, external_id: d.externalId, number: d.number ?? null, status: d.status, source_status: d.sourceStatus ?? null,
    source: d.source, customer: d.customer, billing_address: d.billingAddress ?? null, shipping_address: d.shippingAddress ?? null,
    region: d.region ?? null, currency: d.currency, subtotal: d.totals.subtotal, discount_total: d.totals.discount, shipping_total: d.totals.shipping,
    fee_total: d.totals.fee, tax_total: d.totals.tax, total: d.totals.total, notes: d.notes ?? null, placed_at: d.placedAt,
    source_updated_at: d.sourceUpdatedAt ?? null, content_hash: orderContentHash(d),
  }));
  const lineRows = orders.flatMap(({ id, d }) => d.lines.map((l, i) => ({
    id: randomUUID(), order_id: id, position: i + 1, kind: l.kind, external_id: l.externalId ?? null, sku: l.sku ?? null, name: l.name,
    quantity: l.quantity, unit_price: l.unitPrice, subtotal: l.subtotal, discount: l.discount, tax: l.tax, total: l.total, attributes: l.attributes,
  })));
  const versionRows = orders.map(({ id, d }) => ({ id: randomUUID(), order_id: id, version: 1, content_hash: orderContentHash(d), snapshot: JSON.parse(canonicalJson(d)), raw_payload_id: payloadId }));
  await db.prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`INSERT INTO raw_payload (id, channel_id, kind, body, hash, status) VALUES ($1, $2, 'pull', convert_to($3, 'UTF8'), $4, 'parsed')`, payloadId, channelId, body, payloadId);
    await tx.$executeRawUnsafe(
      `INSERT INTO "order" (id, channel_id, external_id, number, status, source_status, source, customer, billing_address, shipping_address, region, currency,
         subtotal, discount_total, shipping_total, fee_total, tax_total, total, notes, placed_at, source_updated_at, content_hash)
       SELECT id, channel_id, external_id, number, status, source_status, source, customer, billing_address, shipping_address, region, currency,
         subtotal, discount_total, shipping_total, fee_total, tax_total, total, notes, placed_at, source_updated_at, content_hash
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, channel_id text, external_id text, number text, status text, source_status text, source jsonb,
         customer jsonb, billing_address jsonb, shipping_address jsonb, region text, currency text, subtotal numeric, discount_total numeric,
         shipping_total numeric, fee_total numeric, tax_total numeric, total numeric, notes text, placed_at timestamptz, source_updated_at timestamptz, content_hash text)`,
      JSON.stringify(orderRows),
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO order_line (id, order_id, position, kind, external_id, sku, name, quantity, unit_price, subtotal, discount, tax, total, attributes)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, order_id text, position int, kind text, external_id text, sku text, name text,
         quantity numeric, unit_price numeric, subtotal numeric, discount numeric, tax numeric, total numeric, attributes jsonb)`,
      JSON.stringify(lineRows),
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO order_version (id, order_id, version, content_hash, snapshot, raw_payload_id)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, order_id text, version int, content_hash text, snapshot jsonb, raw_payload_id text)`,
      JSON.stringify(versionRows),
    );
  });
}

async function createChannel(db: Database): Promise<string> {
  const channel = await db.prisma.channel.create({ data: { name: `bench-${randomUUID()}`, kind: 'webshop', connectorType: 'woocommerce' } });
  return channel.id;
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** A fresh, migrated database on the server, dropped afterwards (the test suite's helper). */
function openPostgres() {
  return createTestPostgres({ adminUrl: ADMIN_URL });
}

const openPglite = createTestPglite;

console.log(`bench/intake: ${N} WooCommerce orders (${lineCount} lines) in pages of ${PAGE}; node ${process.version}`);
const results = [await measure('PostgreSQL', openPostgres), await measure('PGlite (in-memory)', openPglite)];
console.log('\n| database | intake orders/s | raw SQL orders/s | intake / raw | re-intake unchanged orders/s |');
console.log('|---|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.database} | ${r.intakePerSecond.toFixed(0)} | ${r.rawSqlPerSecond.toFixed(0)} | ${(r.intakePerSecond / r.rawSqlPerSecond).toFixed(2)} | ${r.reintakePerSecond.toFixed(0)} |`);
}
