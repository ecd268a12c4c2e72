/**
 * The dealer network bench/distribution runs on, built through core only (RegionService,
 * StockService for the catalogue, DealerService, ExclusivityService, DistributionConfigs,
 * ingestOrders): deterministic (a seeded generator), so two runs decide the same orders.
 *
 * - regions: country BX → 10 macro-regions BX-M0..BX-M9 → 100 regions BX-R00..BX-R99
 *   (BX-R37 lies in BX-M3), plus BX-TAXI (the take race's region, under the country);
 * - catalogue: 200 products in 10 product lines (LINE-0..LINE-9, 20 each, 5 brands) and the
 *   installation service SVC-INSTALL (line SERVICES);
 * - 1,000 dealers D0000..D0999, ten per region (main region = number mod 100), every fifth with
 *   extra regions, the Base+ quota dealers with their macro-region; ~5 % not authorised, ~3 % not
 *   taking site orders, ~2 % blocked, 10 % the whole range, the rest 5–8 whole product lines plus
 *   10–40 SKUs of other lines; points 0–3,000 (through the points ledger), 70 % with acceptance
 *   stats (takes_count, take_seconds_total set directly);
 * - INSTALL (the installation department, default dealer for installation orders) and DIST-DEPT
 *   (the fallback), both at country level;
 * - five exclusivity rules (a product line in a macro-region, a brand in a region, a SKU
 *   nationwide with dates, an expired one, a brand in another macro-region);
 * - T00..T49: 50 dealers of BX-TAXI holding the whole range, for the take race.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../core/db/database.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import type { DistributionConfig } from '../../core/distribution/distribution-config.ts';
import { ExclusivityService } from '../../core/exclusivity/exclusivity-service.ts';
import type { OrderDraft, OrderLineDraft } from '../../core/model/order.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { StockService } from '../../core/stock/stock-service.ts';

export const DEALERS = 1000;
export const REGIONS = 100;
export const MACROS = 10;
export const LINES = 10;
export const PRODUCTS_PER_LINE = 20;
export const TAXI_DEALERS = 50;
export const TAXI_REGION = 'BX-TAXI';
export const INSTALL_DEALER = 'INSTALL';
export const FALLBACK_DEALER = 'DIST-DEPT';
const BRANDS = ['Brand-A', 'Brand-B', 'Brand-C', 'Brand-D', 'Brand-E'];
const INSTALL_SKU = 'SVC-INSTALL';

/** mulberry32: a small seeded generator, so the network and the orders are the same every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
export const dealerCode = (i: number) => `D${pad(i, 4)}`;
export const regionCode = (i: number) => `BX-R${pad(i, 2)}`;
export const macroCode = (m: number) => `BX-M${m}`;
const macroOf = (region: number) => Math.floor(region / (REGIONS / MACROS));
const lineCode = (l: number) => `LINE-${l}`;
const sku = (line: number, k: number) => `P-L${line}-${pad(k, 3)}`;
export const taxiDealerCode = (i: number) => `T${pad(i, 2)}`;

/** Base+ quota dealers: percent and count quotas, each serving its macro-region too. */
const QUOTAS = [
  { dealer: 'D0101', unit: 'percent', limit: 5 },
  { dealer: 'D0202', unit: 'percent', limit: 3 },
  { dealer: 'D0303', unit: 'percent', limit: 2 },
  { dealer: 'D0404', unit: 'count', limit: 40 },
  { dealer: 'D0505', unit: 'count', limit: 25 },
] as const;
const PRIORITY_DEALERS = Array.from({ length: 10 }, (_, i) => dealerCode(i * 10 + 1));

/** The configuration of part 1: every tier kind on, taxi last (nationwide or in the order's region); a default dealer and a fallback. */
export function allTiersConfig(taxiScope: 'everywhere' | 'region'): DistributionConfig {
  return {
    settings: {
      pointsOnCompletion: 100,
      pointsOnDealerCancel: 50,
      fulfilmentDays: 14,
      fallbackDealer: FALLBACK_DEALER,
      defaultDealers: [{ dealer: INSTALL_DEALER, match: { orderKinds: ['installation'] } }],
      orderKinds: [{ kind: 'installation', skus: [INSTALL_SKU], productLines: ['SERVICES'] }],
      assortment: { rule: 'share', minShare: 0.6 },
      distribute: { channelKinds: ['webshop', 'manual'], channels: [], statuses: ['received', 'in_progress', 'on_hold'] },
      preferFastAcceptance: true,
      timeZone: 'Europe/Berlin',
    },
    tiers: [
      {
        kind: 'fixed',
        windowMinutes: 30,
        rules: [
          { dealer: 'D0007', match: { regions: [regionCode(7)], productLines: [lineCode(2)] } },
          { dealer: 'D0311', match: { regions: [macroCode(3)], brands: ['Brand-C'] } },
          { dealer: 'D0520', match: { skus: [sku(1, 3), sku(4, 10)] } },
          { dealer: 'D0999', match: { regions: [macroCode(9)], productLines: [lineCode(9)], channelKinds: ['webshop'] } },
        ],
      },
      { kind: 'base_plus', windowMinutes: 60, period: 'month', quotas: QUOTAS.map((q) => ({ ...q })) },
      { kind: 'rating', windowMinutes: 60, minPoints: 1500, top: 10 },
      { kind: 'fastest', windowMinutes: 30, top: 5, minTakes: 5 },
      { kind: 'base', windowMinutes: 120, delayMinutes: 15, priorityDealers: PRIORITY_DEALERS },
      { kind: 'taxi', windowMinutes: 24 * 60, scope: taxiScope },
    ],
  };
}

/** The take race's configuration: every eligible dealer of the order's region sees it at once. */
export function taxiOnlyConfig(): DistributionConfig {
  const settings = allTiersConfig('region').settings;
  return { settings: { ...settings, defaultDealers: [], assortment: { rule: 'all' }, preferFastAcceptance: false }, tiers: [{ kind: 'taxi', windowMinutes: 24 * 60, scope: 'region' }] };
}

export interface Network {
  channelId: string;
  /** Region codes orders are placed in, by the generator. */
  regionCodes: string[];
}

/** Builds the whole network through core; returns what the order generator needs. */
export async function buildNetwork(db: Database): Promise<Network> {
  const rnd = seeded(20261124);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

  await new RegionService(db).load([
    { code: 'BX', name: 'Benchland', level: 'country' },
    ...Array.from({ length: MACROS }, (_, m) => ({ code: macroCode(m), name: `Macro-region ${m}`, level: 'macro_region', parentCode: 'BX' })),
    ...Array.from({ length: REGIONS }, (_, r) => ({ code: regionCode(r), name: `Region ${r}`, level: 'region', parentCode: macroCode(macroOf(r)) })),
    { code: TAXI_REGION, name: 'Taxi race region', level: 'region', parentCode: 'BX' },
  ]);

  const products = [
    ...Array.from({ length: LINES * PRODUCTS_PER_LINE }, (_, i) => {
      const line = Math.floor(i / PRODUCTS_PER_LINE);
      const k = i % PRODUCTS_PER_LINE;
      return { sku: sku(line, k), name: `Product ${line}/${k}`, productLine: lineCode(line), brand: BRANDS[(line + k) % BRANDS.length]! };
    }),
    { sku: INSTALL_SKU, name: 'Installation', productLine: 'SERVICES', brand: null },
  ];
  await new StockService(db).upsertProducts(products);

  const quotaDealers = new Set<string>(QUOTAS.map((q) => q.dealer));
  const dealerInputs = Array.from({ length: DEALERS }, (_, i) => {
    const code = dealerCode(i);
    const main = i % REGIONS;
    const extra: string[] = [];
    if (i % 5 === 0) {
      const count = int(1, 3);
      for (let k = 1; k <= count; k++) extra.push(regionCode((main + k) % REGIONS));
    }
    if (i % 50 === 0 || quotaDealers.has(code)) extra.push(macroCode(macroOf(main)));
    const wholeRange = i % 10 === 3;
    const lines = wholeRange ? [] : pick(rnd, Array.from({ length: LINES }, (_, l) => lineCode(l)), int(5, 8));
    return {
      code,
      name: `Dealer ${code}`,
      mainRegion: regionCode(main),
      ...(extra.length > 0 ? { extraRegions: extra } : {}),
      authorised: i % 20 !== 7,
      acceptsSiteOrders: i % 33 !== 5,
      active: i % 50 !== 13,
      wholeRange,
      productLines: lines,
      contacts: { phones: [`+49 30 ${pad(i, 7)}`], emails: [`${code.toLowerCase()}@dealers.example`] },
    };
  });
  const taxiInputs = Array.from({ length: TAXI_DEALERS }, (_, i) => ({
    code: taxiDealerCode(i), name: `Taxi dealer ${i}`, mainRegion: TAXI_REGION, authorised: true, wholeRange: true,
  }));
  const dealers = new DealerService(db);
  await dealers.load([
    ...dealerInputs,
    ...taxiInputs,
    { code: INSTALL_DEALER, name: 'Installation department', mainRegion: 'BX', authorised: true },
    // Not authorised: never offered anything by a tier; the fallback needs only to exist and be active.
    { code: FALLBACK_DEALER, name: 'Order distribution department', mainRegion: 'BX', authorised: false },
  ]);

  // Assortment beyond whole product lines: 10–40 SKUs of lines the dealer does not hold.
  const assortments = dealerInputs.filter((d) => !d.wholeRange).map((d) => {
    const other = Array.from({ length: LINES }, (_, l) => lineCode(l)).filter((l) => !d.productLines.includes(l));
    const candidates = other.flatMap((l) => Array.from({ length: PRODUCTS_PER_LINE }, (_, k) => sku(Number(l.slice(5)), k)));
    return { code: d.code, items: pick(rnd, candidates, Math.min(candidates.length, int(10, 40))).map((s) => ({ sku: s })) };
  });
  await eachConcurrently(assortments, 8, (a) => dealers.setAssortment(a.code, { items: a.items }));

  // Points go through the ledger (the invariant points = sum of changes holds); acceptance stats are set directly.
  const points = dealerInputs.map((d) => ({ code: d.code, delta: int(0, 3000) })).filter((p) => p.delta !== 0);
  await eachConcurrently(points, 8, (p) => dealers.adjustPoints(p.code, { delta: p.delta, note: 'bench: initial points' }, 'bench'));
  const stats = dealerInputs.flatMap((d) => {
    if (rnd() >= 0.7) return [];
    const takes = int(1, 200);
    return [{ code: d.code, takes_count: takes, take_seconds_total: takes * int(30, 3600) }];
  });
  await db.query(
    `UPDATE dealer d SET takes_count = x.takes_count, take_seconds_total = x.take_seconds_total
       FROM jsonb_to_recordset($1::jsonb) AS x(code text, takes_count int, take_seconds_total bigint) WHERE d.code = x.code`,
    [JSON.stringify(stats)],
  );

  await new ExclusivityService(db).load([
    { externalId: 'EX-1', scope: 'product_line', value: lineCode(3), regionCode: macroCode(2), dealerCodes: ['D0020', 'D0121', 'D0222'] },
    { externalId: 'EX-2', scope: 'brand', value: 'Brand-B', regionCode: regionCode(45), dealerCodes: ['D0045', 'D0145'] },
    { externalId: 'EX-3', scope: 'product', value: sku(5, 7), regionCode: 'BX', dealerCodes: ['D0001', 'D0102', 'D0203', 'D0304', 'D0405'], validFrom: '2026-01-01', validTo: '2027-12-31' },
    { externalId: 'EX-4', scope: 'product_line', value: lineCode(7), regionCode: regionCode(12), dealerCodes: ['D0012'], validTo: '2025-12-31' },
    { externalId: 'EX-5', scope: 'brand', value: 'Brand-D', regionCode: macroCode(8), dealerCodes: ['D0080', 'D0181', 'D0282', 'D0383'] },
  ]);

  const channel = await db.prisma.channel.create({ data: { name: `bench-${randomUUID()}`, kind: 'webshop', connectorType: 'woocommerce' } });
  return { channelId: channel.id, regionCodes: Array.from({ length: REGIONS }, (_, r) => regionCode(r)) };
}

/**
 * Orders across the regions (88 % a region, 6 % a macro-region, 2 % the country, 2 % an unknown
 * region, 2 % none), 1–5 product lines each, ~3 % with an installation line, a shipping line on
 * half; written through core intake in batches of 200. Returns the order ids in generation order.
 */
export async function createOrders(db: Database, network: Network, prefix: string, count: number, seed: number): Promise<string[]> {
  const rnd = seeded(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const drafts: OrderDraft[] = Array.from({ length: count }, (_, i) => {
    const r = rnd();
    const region =
      r < 0.88 ? network.regionCodes[int(0, REGIONS - 1)]! : r < 0.94 ? macroCode(int(0, MACROS - 1)) : r < 0.96 ? 'BX' : r < 0.98 ? 'ZZ-99' : undefined;
    const skus = pick(rnd, Array.from({ length: LINES * PRODUCTS_PER_LINE }, (_, k) => sku(Math.floor(k / PRODUCTS_PER_LINE), k % PRODUCTS_PER_LINE)), int(1, 5));
    if (rnd() < 0.03) skus.push(INSTALL_SKU);
    const lines = skus.map((s) => productLine(s, int(1, 10), int(5, 400)));
    if (rnd() < 0.5) lines.push(money('shipping', 'Shipping', 1, 9.9));
    return draft(`${prefix}-${i}`, region, lines);
  });
  return ingest(db, network.channelId, drafts);
}

/** Orders of the take race: one line each, all in BX-TAXI. */
export async function createTaxiOrders(db: Database, network: Network, count: number): Promise<string[]> {
  const drafts = Array.from({ length: count }, (_, i) => draft(`taxi-${i}`, TAXI_REGION, [productLine(sku(i % LINES, i % PRODUCTS_PER_LINE), 2, 50)]));
  return ingest(db, network.channelId, drafts);
}

async function ingest(db: Database, channelId: string, drafts: OrderDraft[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < drafts.length; i += 200) {
    for (const result of await ingestOrders(db, { channelId, drafts: drafts.slice(i, i + 200) })) {
      if (!result.orderId) throw new Error(`intake refused ${result.externalId}: ${result.error ?? result.outcome}`);
      ids.push(result.orderId);
    }
  }
  return ids;
}

function draft(externalId: string, region: string | undefined, lines: OrderLineDraft[]): OrderDraft {
  const total = lines.reduce((sum, l) => sum + Number(l.total), 0).toFixed(2);
  const shipping = lines.filter((l) => l.kind === 'shipping').reduce((sum, l) => sum + Number(l.total), 0).toFixed(2);
  const subtotal = (Number(total) - Number(shipping)).toFixed(2);
  return {
    externalId,
    number: externalId.toUpperCase(),
    status: 'received',
    source: { shop: 'bench' },
    customer: { name: `Customer ${externalId}`, email: `${externalId}@customers.example` },
    ...(region ? { region } : {}),
    currency: 'EUR',
    totals: { subtotal, discount: '0', shipping, fee: '0', tax: '0', total },
    lines,
    placedAt: '2026-11-20T10:00:00.000Z',
    desiredDeliveryDate: '2026-12-10',
  };
}

function productLine(productSku: string, quantity: number, price: number): OrderLineDraft {
  return money('product', productSku, quantity, price, productSku);
}

function money(kind: OrderLineDraft['kind'], name: string, quantity: number, price: number, lineSku?: string): OrderLineDraft {
  const total = (quantity * price).toFixed(2);
  return { kind, ...(lineSku ? { sku: lineSku } : {}), name, quantity: String(quantity), unitPrice: price.toFixed(2), subtotal: total, discount: '0', tax: '0', total, attributes: {} };
}

/** `count` distinct items, drawn with the generator. */
function pick<T>(rnd: () => number, items: T[], count: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, count);
}

/** Runs work over the items with `workers` concurrent callers. */
export async function eachConcurrently<T>(items: T[], workers: number, work: (item: T, worker: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (next < items.length) await work(items[next++]!, worker);
    }),
  );
}
