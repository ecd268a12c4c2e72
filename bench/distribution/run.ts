/**
 * bench/distribution: how fast the hub decides who is offered an order, and how taking behaves when
 * many dealers click at once, on PostgreSQL (a throw-away database, dropped afterwards).
 *
 * 1. decisions/s of DistributionService.distribute over a stream of orders (created through core
 *    intake before timing) on a network of 1,000 dealers in 100 regions (network.ts), with every
 *    strategy tier on (fixed, base_plus, rating, fastest, base, taxi), a default dealer for
 *    installation orders and a fallback; once with the taxi tier nationwide (every dealer is a
 *    candidate of every order) and once with it in the order's region. Sequentially and with 8
 *    concurrent service instances over one pool: p50/p95 per decision, offers written and trace
 *    bytes per decision. The floor, measured in the same run: the very rows the sequential
 *    decisions wrote (distribution with its trace, offers, notifications, events), copied onto fresh
 *    orders with plain INSERTs, one transaction per order, no reads, no locks, no decision.
 * 2. take latency under contention: a taxi-only configuration, 50 dealers of one region see each
 *    order, and for every order all 50 call take() at once; exactly one must win (checked against
 *    the results and the database; the bench fails otherwise).
 * Then where a call's time goes: every statement the services run is timed (lock waits included),
 * the pure plan and its trace's JSON on their own; the rest is Prisma, BEGIN/COMMIT and JS glue.
 *
 *   npm run bench:distribution                       # 150 orders per row, a race of 100 orders
 *   BENCH_ORDERS=1000 BENCH_TAKE_ORDERS=200 BENCH_CONCURRENCY=8 BENCH_POOL=40 npm run bench:distribution
 *   BENCH_BREAKDOWN=0 npm run bench:distribution     # without the breakdown tables
 */
import type { Database } from '../../core/db/database.ts';
import type { Prisma } from '../../core/db/generated/client.ts';
import { dealerScope } from '../../core/dealers/dealer-scope.ts';
import { loadCandidates, loadOrderFacts, loadQuotaStates, loadRegionPaths, reachesEveryone } from '../../core/distribution/decision-facts.ts';
import { dealersNamedIn, type DistributionConfig } from '../../core/distribution/distribution-config.ts';
import { DistributionConfigs } from '../../core/distribution/distribution-configs.ts';
import { DistributionService, type TakeResult } from '../../core/distribution/distribution-service.ts';
import { planDistribution } from '../../core/distribution/distribution-strategy.ts';
import { isHubError } from '../../core/errors.ts';
import { createTestPostgres } from '../../testkit/databases.ts';
import {
  allTiersConfig,
  buildNetwork,
  createOrders,
  createTaxiOrders,
  DEALERS,
  eachConcurrently,
  REGIONS,
  seeded,
  TAXI_DEALERS,
  taxiDealerCode,
  taxiOnlyConfig,
} from './network.ts';

const N = Number(process.env.BENCH_ORDERS ?? 150);
const TAKE_ORDERS = Number(process.env.BENCH_TAKE_ORDERS ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const POOL = Number(process.env.BENCH_POOL ?? 40);
const PLAN_SAMPLE = Math.min(N, 50);
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

interface DecisionRow {
  label: string;
  clients: number;
  perSecond: number;
  p50: number;
  p95: number;
  offers: number;
  traceBytes: number;
  traceStored: number;
  rawPerSecond: number | null;
}

// ---- measuring -----------------------------------------------------------------------------------------------------

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs work over the items with `clients` concurrent callers; items/s and each call's milliseconds. */
async function drive<T>(items: T[], clients: number, work: (item: T, client: number) => Promise<unknown>): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  const started = nowMs();
  await eachConcurrently(items, clients, async (item, client) => {
    const t0 = nowMs();
    await work(item, client);
    latencies.push(nowMs() - t0);
  });
  return { perSecond: items.length / ((nowMs() - started) / 1000), latencies: latencies.sort((a, b) => a - b) };
}

/** Distributes the orders; every one must come out distributed (offered, or assigned to the default dealer or fallback). */
async function distributeAll(services: DistributionService[], orderIds: string[], clients: number) {
  const statuses = new Map<string, number>();
  const result = await drive(orderIds, clients, async (id, client) => {
    const outcome = await services[client % services.length]!.distribute(id);
    if (outcome.action !== 'distributed') throw new Error(`order ${id}: expected distributed, got ${outcome.action} (${outcome.reason})`);
    statuses.set(outcome.status!, (statuses.get(outcome.status!) ?? 0) + 1);
  });
  return { ...result, statuses };
}

/** What the decisions wrote, per order: offers, the trace as stored (jsonb, compressed), notifications, events. */
async function written(db: Database, orderIds: string[]): Promise<{ offers: number; traceStored: number; notifications: number; events: number }> {
  const [row] = await db.query<{ offers: number; trace_stored: number; notifications: number; events: number }>(
    `SELECT (SELECT count(*) FROM dealer_offer WHERE order_id = ANY($1::text[]))::float8 / $2 AS offers,
            (SELECT avg(pg_column_size(trace)) FROM order_distribution WHERE order_id = ANY($1::text[]))::float8 AS trace_stored,
            (SELECT count(*) FROM notification WHERE order_id = ANY($1::text[]))::float8 / $2 AS notifications,
            (SELECT count(*) FROM distribution_event WHERE order_id = ANY($1::text[]))::float8 / $2 AS events`,
    [orderIds, orderIds.length],
  );
  return { offers: row!.offers, traceStored: row!.trace_stored, notifications: row!.notifications, events: row!.events };
}

// ---- the floor -------------------------------------------------------------------------------------------------------

interface WrittenRows {
  distribution: Record<string, unknown>;
  offers: Record<string, unknown>[];
  notifications: Record<string, unknown>[];
  events: Record<string, unknown>[];
}

/** The rows a decision wrote, read back (outside any timing) to be copied onto another order. */
async function rowsOf(db: Database, orderId: string): Promise<WrittenRows> {
  const [distribution] = await db.query<Record<string, unknown>>(
    `SELECT status, config_version, order_version, started_at, deadline_at, dealer_id, assigned_via, assigned_at, quota_dealer_id, due_at, trace
       FROM order_distribution WHERE order_id = $1`,
    [orderId],
  );
  const offers = await db.query<Record<string, unknown>>(
    `SELECT dealer_id, tier, tier_kind, rank, visible_from, expires_at, notified_at FROM dealer_offer WHERE order_id = $1`,
    [orderId],
  );
  const notifications = await db.query<Record<string, unknown>>(`SELECT dealer_id, kind, message FROM notification WHERE order_id = $1`, [orderId]);
  const events = await db.query<Record<string, unknown>>(`SELECT kind, dealer_id, actor, detail FROM distribution_event WHERE order_id = $1`, [orderId]);
  // The trace as compact JSON, as the service sends it (jsonb's text form adds spaces).
  return { distribution: { ...distribution!, trace: JSON.stringify(distribution!.trace) }, offers, notifications, events };
}

/** The floor: the same rows inserted for another order, one transaction, four plain INSERTs, nothing read. */
async function rawWrite(db: Database, orderId: string, rows: WrittenRows): Promise<void> {
  const d = rows.distribution;
  await db.prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(
      `INSERT INTO order_distribution (order_id, status, config_version, order_version, round, revision, started_at, deadline_at, dealer_id,
                                       assigned_via, assigned_at, quota_dealer_id, due_at, trace, updated_at)
       VALUES ($1, $2, $3, $4, 1, 1, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $5)`,
      orderId, d.status, d.config_version, d.order_version, d.started_at, d.deadline_at, d.dealer_id, d.assigned_via, d.assigned_at, d.quota_dealer_id, d.due_at, d.trace,
    );
    if (rows.offers.length > 0) {
      await tx.$executeRawUnsafe(
        `INSERT INTO dealer_offer (id, order_id, round, dealer_id, tier, tier_kind, rank, visible_from, expires_at, notified_at, status)
         SELECT gen_random_uuid()::text, $2, 1, x.dealer_id, x.tier, x.tier_kind, x.rank, x.visible_from, x.expires_at, x.notified_at, 'open'
           FROM jsonb_to_recordset($1::jsonb) AS x(dealer_id text, tier int, tier_kind text, rank int, visible_from timestamptz, expires_at timestamptz, notified_at timestamptz)`,
        JSON.stringify(rows.offers), orderId,
      );
    }
    if (rows.notifications.length > 0) {
      await tx.$executeRawUnsafe(
        `INSERT INTO notification (dealer_id, order_id, kind, message) SELECT x.dealer_id, $2, x.kind, x.message
           FROM jsonb_to_recordset($1::jsonb) AS x(dealer_id text, kind text, message text)`,
        JSON.stringify(rows.notifications), orderId,
      );
    }
    await tx.$executeRawUnsafe(
      `INSERT INTO distribution_event (order_id, kind, dealer_id, actor, detail) SELECT $2, x.kind, x.dealer_id, x.actor, x.detail
         FROM jsonb_to_recordset($1::jsonb) AS x(kind text, dealer_id text, actor text, detail jsonb)`,
      JSON.stringify(rows.events), orderId,
    );
  }, { timeout: 60_000, maxWait: 60_000 });
}

// ---- where the time goes -------------------------------------------------------------------------------------------

/** The statements a decision and a take run, by name (first match wins). */
const STATEMENTS: [RegExp, string][] = [
  [/FROM "order" o JOIN channel/, 'read: order'],
  [/FROM order_line l/, 'read: order lines'],
  [/WITH candidate/, 'read: candidate dealers with their regions'],
  [/FROM dealer_assortment/, "read: candidates' assortment of the order's products"],
  [/status = 'declined'/, 'read: earlier declines'],
  [/FROM region WHERE code = ANY/, 'read: regions by code (exclusivity, match rules)'],
  [/FROM product WHERE/, 'read: exclusivity products'],
  [/FROM exclusivity_rule/, 'read: exclusivity rules'],
  [/orderhub:distribution-quota/, 'lock: Base+ quota (one for all orders)'],
  [/orderhub:distribution:/, 'lock: the order'],
  [/FROM order_distribution WHERE order_id = \$1 FOR UPDATE/, 'lock: the distribution row'],
  [/FROM order_distribution d JOIN "order" o/, 'read: current distribution'],
  [/LEFT JOIN dealer qd/, 'read: Base+ period counts'],
  [/INSERT INTO order_distribution/, 'write: distribution row with its trace'],
  [/INSERT INTO dealer_offer/, 'write: offers'],
  [/WITH visible AS/, 'write: notify visible offers (notifications, events)'],
  [/INSERT INTO distribution_event/, 'write: event'],
  [/INSERT INTO notification/, 'write: notification'],
  [/WITH offer AS/, "take: claim (distribution offering → assigned)"],
  [/SET status = 'taken'/, 'take: offer taken'],
  [/SET status = 'lost'/, 'take: other offers lost'],
  [/SET takes_count/, "take: dealer's acceptance stats"],
  [/FROM dealer WHERE code = \$1/, 'read: dealer by code'],
  [/FROM dealer_offer WHERE order_id = \$1 AND dealer_id/, "take: the dealer's offer (why not taken)"],
  // Last: other statements (the take's claim) read the configuration too.
  [/FROM distribution_config/, 'configuration in force'],
];

function statementOf(sql: string): string {
  return STATEMENTS.find(([pattern]) => pattern.test(sql))?.[1] ?? `other: ${sql.replace(/\s+/g, ' ').slice(0, 60)}`;
}

/** Milliseconds spent per statement name (lock waits included), summed over every call. */
class StatementClock {
  private spent = new Map<string, { ms: number; calls: number }>();
  /** Bytes of every decision trace written (the JSON the service sends). */
  private traces: number[] = [];

  noteTrace(params: unknown[]): void {
    const trace = params.find((p) => typeof p === 'string' && p.startsWith('{"decidedAt"'));
    if (typeof trace === 'string') this.traces.push(Buffer.byteLength(trace));
  }

  async time<T>(sql: string, run: () => Promise<T>): Promise<T> {
    const t0 = nowMs();
    try {
      return await run();
    } finally {
      const name = statementOf(sql);
      const entry = this.spent.get(name) ?? { ms: 0, calls: 0 };
      entry.ms += nowMs() - t0;
      entry.calls += 1;
      this.spent.set(name, entry);
    }
  }

  /** What was spent since the last take (and the mean trace bytes), and a fresh start. */
  take(): { spent: Map<string, { ms: number; calls: number }>; traceBytes: number } {
    const taken = { spent: this.spent, traceBytes: this.traces.reduce((a, b) => a + b, 0) / Math.max(1, this.traces.length) };
    this.spent = new Map();
    this.traces = [];
    return taken;
  }
}

/**
 * The same database, with every statement a service runs timed: db.query and the raw statements of
 * its transactions (the distribution code uses nothing else). A few microseconds per statement.
 */
function timedDatabase(db: Database, clock: StatementClock): Database {
  const timedTx = (tx: Prisma.TransactionClient): Prisma.TransactionClient =>
    new Proxy(tx, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if ((prop === '$queryRawUnsafe' || prop === '$executeRawUnsafe') && typeof value === 'function') {
          return (sql: string, ...params: unknown[]) => {
            clock.noteTrace(params);
            return clock.time(sql, () => (value as (s: string, ...p: unknown[]) => Promise<unknown>).call(target, sql, ...params));
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const prisma = new Proxy(db.prisma, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop === '$transaction' && typeof value === 'function') {
        return (work: (tx: Prisma.TransactionClient) => Promise<unknown>, options?: unknown) =>
          (value as (w: typeof work, o?: unknown) => Promise<unknown>).call(target, (tx: Prisma.TransactionClient) => work(timedTx(tx)), options);
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    kind: db.kind,
    prisma,
    execScript: (sql) => db.execScript(sql),
    withSession: (work) => db.withSession(work),
    close: () => db.close(),
    query: <T>(sql: string, params?: unknown[]) => clock.time(sql, () => db.query<T>(sql, params)),
  };
}

/** The pure parts of a decision, timed on their own over already-distributed orders: the plan and its trace's JSON. */
async function timePlan(db: Database, orderIds: string[]): Promise<{ plan: number; json: number }> {
  const active = (await new DistributionConfigs(db).active())!;
  const config = active.config;
  const options = { everyone: reachesEveryone(config), named: dealersNamedIn(config) };
  const regionPaths = await loadRegionPaths(db, config);
  let plan = 0;
  let json = 0;
  for (const id of orderIds) {
    const order = (await loadOrderFacts(db, id))!;
    const dealers = await loadCandidates(db, order, options);
    const quota = await loadQuotaStates(db, config, new Date(), id);
    let t = nowMs();
    const decided = planDistribution({ order: order.facts, dealers, config, configVersion: active.version, now: new Date(), regionPaths, quota });
    plan += nowMs() - t;
    t = nowMs();
    JSON.stringify(decided.trace);
    json += nowMs() - t;
  }
  return { plan: plan / orderIds.length, json: json / orderIds.length };
}

/** Per call: each statement's mean ms, then what is left of the call's time (JS, Prisma, BEGIN/COMMIT, pool waits). */
function breakdownOf(spent: Map<string, { ms: number; calls: number }>, calls: number, meanCallMs: number, pure: [string, number][] = []): [string, number][] {
  const rows = [...spent.entries()].map(([name, s]) => [name, s.ms / calls] as [string, number]).sort((a, b) => b[1] - a[1]);
  const inStatements = rows.reduce((sum, [, ms]) => sum + ms, 0);
  const inPure = pure.reduce((sum, [, ms]) => sum + ms, 0);
  return [...rows, ...pure, ['rest: Prisma, BEGIN/COMMIT, pool, JS glue', meanCallMs - inStatements - inPure], ['= mean per call', meanCallMs]];
}

// ---- the take race -------------------------------------------------------------------------------------------------

interface RaceFigures {
  orders: number;
  takes: number;
  seconds: number;
  winners: number[];
  losers: number[];
  all: number[];
}

async function race(service: DistributionService, db: Database, orderIds: string[]): Promise<RaceFigures> {
  const codes = Array.from({ length: TAXI_DEALERS }, (_, i) => taxiDealerCode(i));
  const rnd = seeded(7);
  const winners: number[] = [];
  const losers: number[] = [];
  const winnerOf = new Map<string, string>();
  const started = nowMs();
  for (const orderId of orderIds) {
    // A different calling order each time, so no dealer always gets to the pool first.
    const shuffled = codes.map((code) => ({ code, key: rnd() })).sort((a, b) => a.key - b.key).map((c) => c.code);
    // allSettled: every call has finished before a failure is reported (none is left running on the pool).
    const settled = await Promise.allSettled(
      shuffled.map(async (code) => {
        const t0 = nowMs();
        try {
          const taken: TakeResult = await service.take(dealerScope(code), orderId);
          return { code, ms: nowMs() - t0, won: taken };
        } catch (error) {
          const reason = isHubError(error) ? (error.details as { reason?: string } | undefined)?.reason : undefined;
          if (!isHubError(error) || error.code !== 'not_found' || reason !== 'taken_by_another') {
            throw new Error(`order ${orderId}: dealer ${code}'s take failed unexpectedly: ${(error as Error).message}`, { cause: error });
          }
          return { code, ms: nowMs() - t0, won: undefined };
        }
      }),
    );
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const results = settled.map((r) => (r as PromiseFulfilledResult<{ code: string; ms: number; won: TakeResult | undefined }>).value);
    const won = results.filter((r) => r.won);
    if (won.length !== 1) throw new Error(`order ${orderId}: ${won.length} dealers won the race (${won.map((w) => w.code).join(', ')}); exactly one must.`);
    if (won[0]!.won!.alreadyYours) throw new Error(`order ${orderId}: the winner was told it already had the order.`);
    winnerOf.set(orderId, won[0]!.code);
    for (const r of results) (r.won ? winners : losers).push(r.ms);
  }
  const seconds = (nowMs() - started) / 1000;

  // The database must agree: one assigned dealer = the winner, one taken offer, every other offer lost.
  const rows = await db.query<{ order_id: string; status: string; dealer: string | null; taken: number; lost: number; open: number }>(
    `SELECT d.order_id, d.status, dl.code AS dealer,
            (SELECT count(*) FROM dealer_offer o WHERE o.order_id = d.order_id AND o.status = 'taken')::int AS taken,
            (SELECT count(*) FROM dealer_offer o WHERE o.order_id = d.order_id AND o.status = 'lost')::int AS lost,
            (SELECT count(*) FROM dealer_offer o WHERE o.order_id = d.order_id AND o.status = 'open')::int AS open
       FROM order_distribution d LEFT JOIN dealer dl ON dl.id = d.dealer_id WHERE d.order_id = ANY($1::text[])`,
    [orderIds],
  );
  if (rows.length !== orderIds.length) throw new Error(`take race: ${rows.length} distributions found for ${orderIds.length} orders.`);
  for (const r of rows) {
    if (r.status !== 'assigned' || r.dealer !== winnerOf.get(r.order_id) || r.taken !== 1 || r.lost !== TAXI_DEALERS - 1 || r.open !== 0) {
      throw new Error(`take race: order ${r.order_id} ended ${JSON.stringify(r)}; expected assigned to ${winnerOf.get(r.order_id)}, 1 taken, ${TAXI_DEALERS - 1} lost, 0 open.`);
    }
  }
  const all = [...winners, ...losers].sort((a, b) => a - b);
  return { orders: orderIds.length, takes: all.length, seconds, winners: winners.sort((a, b) => a - b), losers: losers.sort((a, b) => a - b), all };
}

// ---- the run -------------------------------------------------------------------------------------------------------

interface Variant {
  label: string;
  config: DistributionConfig;
  seed: number;
}

const VARIANTS: Variant[] = [
  { label: 'all tiers, taxi nationwide', config: allTiersConfig('everywhere'), seed: 1 },
  { label: 'all tiers, taxi in the region', config: allTiersConfig('region'), seed: 11 },
];

console.log(
  `bench/distribution: ${N} orders per row on ${DEALERS} dealers in ${REGIONS} regions, ${CONCURRENCY} concurrent clients; ` +
    `take race of ${TAKE_ORDERS} orders × ${TAXI_DEALERS} dealers; PostgreSQL pool of ${POOL}; node ${process.version}`,
);
// Dropping the database (WITH FORCE) can kill a pooled connection whose goodbye is still on its way: pg-pool's end()
// resolves before its clients have closed, and the client's error then surfaces as an unhandled 'error' event.
// Harmless once the run is over, so that one error is ignored during the drop; anything else still fails the run.
let dropping = false;
process.on('uncaughtException', (error) => {
  if (dropping && (error as { code?: string }).code === '57P01') return;
  console.error(error);
  process.exit(1);
});
const { db, drop } = await createTestPostgres({ adminUrl: ADMIN_URL, poolSize: POOL });
const clock = new StatementClock();
const timed = timedDatabase(db, clock);
const decisions: DecisionRow[] = [];
const breakdowns: { title: string; rows: [string, number][] }[] = [];
const notes: string[] = [];
let raced: RaceFigures | undefined;
try {
  const t = nowMs();
  const network = await buildNetwork(db);
  const configs = new DistributionConfigs(db);
  console.log(`  network set up in ${((nowMs() - t) / 1000).toFixed(1)} s`);
  const services = Array.from({ length: CONCURRENCY }, () => new DistributionService(timed));

  for (const variant of VARIANTS) {
    await configs.save(variant.config, 'bench', `bench/distribution: ${variant.label}`);
    const sequentialIds = await createOrders(db, network, `seq-${variant.seed}`, N, variant.seed);
    const concurrentIds = await createOrders(db, network, `conc-${variant.seed}`, N, variant.seed + 1);
    const floorIds = await createOrders(db, network, `raw-${variant.seed}`, N, variant.seed);

    clock.take();
    const sequential = await distributeAll(services, sequentialIds, 1);
    const sequentialClock = clock.take();
    const sequentialWritten = { ...(await written(db, sequentialIds)), traceBytes: sequentialClock.traceBytes };
    const concurrent = await distributeAll(services, concurrentIds, CONCURRENCY);
    const concurrentClock = clock.take();
    const concurrentWritten = { ...(await written(db, concurrentIds)), traceBytes: concurrentClock.traceBytes };

    // The floor copies the sequential decisions' rows (read back first, not timed) onto the third set of orders.
    const copies: WrittenRows[] = [];
    for (const id of sequentialIds) copies.push(await rowsOf(db, id));
    const half = Math.floor(N / 2);
    const rawSequential = await drive(floorIds.slice(0, half).map((id, i) => ({ id, rows: copies[i]! })), 1, (o) => rawWrite(db, o.id, o.rows));
    const rawConcurrent = await drive(floorIds.slice(half).map((id, i) => ({ id, rows: copies[half + i]! })), CONCURRENCY, (o) => rawWrite(db, o.id, o.rows));

    const row = (clients: number, run: Awaited<ReturnType<typeof distributeAll>>, w: typeof sequentialWritten, raw: number): DecisionRow => ({
      label: variant.label, clients, perSecond: run.perSecond, p50: percentile(run.latencies, 50), p95: percentile(run.latencies, 95),
      offers: w.offers, traceBytes: w.traceBytes, traceStored: w.traceStored, rawPerSecond: raw,
    });
    decisions.push(row(1, sequential, sequentialWritten, rawSequential.perSecond), row(CONCURRENCY, concurrent, concurrentWritten, rawConcurrent.perSecond));
    const statuses = [...sequential.statuses.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
    notes.push(`${variant.label}, sequential: ${statuses}; ${sequentialWritten.notifications.toFixed(1)} notifications and ${sequentialWritten.events.toFixed(1)} events per decision.`);
    console.log(`  ${variant.label}: ${sequential.perSecond.toFixed(1)} decisions/s sequential, ${concurrent.perSecond.toFixed(1)} with ${CONCURRENCY} clients; ` +
      `raw floor ${rawSequential.perSecond.toFixed(1)} / ${rawConcurrent.perSecond.toFixed(1)}`);

    const pure = await timePlan(db, sequentialIds.slice(0, PLAN_SAMPLE));
    const mean = (l: number[]) => l.reduce((a, b) => a + b, 0) / l.length;
    const pureRows: [string, number][] = [['plan: the pure decision (JS, timed on its own)', pure.plan], ['plan: trace → JSON (JS, timed on its own)', pure.json]];
    breakdowns.push(
      { title: `${variant.label}, sequential`, rows: breakdownOf(sequentialClock.spent, N, mean(sequential.latencies), pureRows) },
      { title: `${variant.label}, ${CONCURRENCY} clients`, rows: breakdownOf(concurrentClock.spent, N, mean(concurrent.latencies), pureRows) },
    );
  }

  // Part 2: the take race on a taxi-only configuration.
  await configs.save(taxiOnlyConfig(), 'bench', 'bench/distribution: take race');
  const taxiIds = await createTaxiOrders(db, network, TAKE_ORDERS);
  clock.take();
  const taxi = await distributeAll(services, taxiIds, 1);
  const taxiWritten = { ...(await written(db, taxiIds)), traceBytes: clock.take().traceBytes };
  if (taxiWritten.offers !== TAXI_DEALERS) throw new Error(`take race: ${taxiWritten.offers} offers per order, expected ${TAXI_DEALERS}.`);
  decisions.push({
    label: `taxi only, ${TAXI_DEALERS} dealers of one region`, clients: 1, perSecond: taxi.perSecond, p50: percentile(taxi.latencies, 50), p95: percentile(taxi.latencies, 95),
    offers: taxiWritten.offers, traceBytes: taxiWritten.traceBytes, traceStored: taxiWritten.traceStored, rawPerSecond: null,
  });
  raced = await race(services[0]!, db, taxiIds);
  breakdowns.push({ title: `take() under contention (${TAXI_DEALERS} calls at once)`, rows: breakdownOf(clock.take().spent, raced.takes, raced.all.reduce((a, b) => a + b, 0) / raced.takes) });
} catch (error) {
  // Reported before the drop: dropping the database ends every connection, which can raise errors of its own.
  console.error('bench/distribution failed:', error);
  process.exitCode = 1;
} finally {
  dropping = true;
  await drop();
}
if (process.exitCode) process.exit();

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);
console.log('\n| configuration | clients | decisions/s | p50 ms | p95 ms | offers / decision | trace bytes (JSON) | trace bytes (stored, compressed) | raw floor /s | distribute / raw |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of decisions) {
  const raw = r.rawPerSecond === null ? '–' : f1(r.rawPerSecond);
  const ratio = r.rawPerSecond === null ? '–' : (r.perSecond / r.rawPerSecond).toFixed(2);
  console.log(`| ${r.label} | ${r.clients} | ${f1(r.perSecond)} | ${f1(r.p50)} | ${f1(r.p95)} | ${f1(r.offers)} | ${f0(r.traceBytes)} | ${f0(r.traceStored)} | ${raw} | ${ratio} |`);
}
console.log('');
for (const note of notes) console.log(note);

if (raced) {
  const row = (who: string, l: number[]) => `| ${who} | ${l.length} | ${f1(percentile(l, 50))} | ${f1(percentile(l, 95))} | ${f1(percentile(l, 99))} |`;
  console.log(`\nTake race: ${raced.orders} orders, ${TAXI_DEALERS} concurrent take() calls each; exactly one winner per order (checked): ` +
    `${f0(raced.takes / raced.seconds)} take calls/s, ${f1(raced.orders / raced.seconds)} orders settled/s\n`);
  console.log('| take() calls | n | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(row('winner', raced.winners));
  console.log(row('losers (already taken)', raced.losers));
  console.log(row('all', raced.all));
}

if (process.env.BENCH_BREAKDOWN !== '0') {
  for (const b of breakdowns) {
    console.log(`\nWhere the time of a call goes: ${b.title} (mean ms per call; statements include lock and row-lock waits)\n`);
    console.log('| part | ms |');
    console.log('|---|---:|');
    for (const [name, ms] of b.rows) console.log(`| ${name} | ${ms.toFixed(1)} |`);
  }
}
