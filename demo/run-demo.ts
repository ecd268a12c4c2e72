import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp } from '../api/app.ts';
import { openDatabase } from '../core/db/database.ts';
import { migrate } from '../core/db/migrate.ts';
import { listOrders } from '../core/orders/order-queries.ts';
import type { SyncTrigger } from '../core/ports.ts';
import type { HubConfig } from '../jobs/config.ts';
import { acquireEmbeddedLock } from '../jobs/embedded-lock.ts';
import { createHub, type Hub } from '../jobs/hub.ts';
import { syncChannel, type SyncOutcome } from '../jobs/processors/sync-channel.ts';
import type { SyncCounts } from '../core/channels/sync-runs.ts';
import { startWooSandbox, type WooSandbox } from '../testkit/woo-sandbox.ts';
import { DEMO_DEALERS, setUpDealerNetwork } from './dealer-network.ts';
import { archiveFailedPayload, EXCLUSIVE_PRODUCT, PURCHASE_CHANNEL, setUpDealerPurchases, setUpDemoCatalogue, setUpDemoSettlements, SUPPLY_PRODUCT } from './demo-catalogue.ts';
import { createDemoUsers, type DemoLogin } from './demo-users.ts';
import { securityOf } from '../cli/support.ts';

export interface DemoOptions {
  config: HubConfig;
  /** One full cycle (sandboxes, two syncs with changes between, a listing) and return. */
  once?: boolean | undefined;
  /** Seconds between scheduled syncs (cron with a seconds field). */
  everySeconds?: number | undefined;
  print?: ((line: string) => void) | undefined;
  /** Resolves when the long-running demo should stop (Ctrl+C by default). */
  until?: Promise<void> | undefined;
}

interface DemoShop {
  name: string;
  sandbox: WooSandbox;
  channelId: string;
}

const KEY = 'ck_demo_0000000000000000000000000000000000';
const SECRET = 'cs_demo_0000000000000000000000000000000000';

/**
 * The hub in one minute: an embedded database (fresh each run), two local WooCommerce sandboxes
 * with orders, two channels pulling them, the API, and syncs every few seconds while the shops
 * take new orders and change old ones.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const dataDir = join(options.config.dataDir, 'demo');
  await mkdir(dataDir, { recursive: true });
  // A second demo on the same data dir would wipe and corrupt this one's database.
  const lock = await acquireEmbeddedLock(dataDir, 'hub demo');
  const sandboxes: WooSandbox[] = [];
  let hub: Hub | undefined;
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    await rm(join(dataDir, 'pglite'), { recursive: true, force: true });
    print(`[demo] embedded database in ${dataDir} (fresh for this run)`);
    db = await openDatabase({ dataDir: join(dataDir, 'pglite') });
    await migrate(db);
    const config: HubConfig = { ...options.config, databaseUrl: undefined, redisUrl: undefined, dataDir };
    hub = await createHub(config, { db, retry: { attempts: 3, backoffMs: 2_000 } });
    await setUpDealerNetwork(db);
    print('[demo] dealer network: 6 dealers in Hungary and the export desk; strategy: best rated → region (priority first) → everyone');
    const logins = await createDemoUsers(db);
    const catalogue = await setUpDemoCatalogue(db, DEMO_DEALERS);
    print(
      `[demo] catalogue: ${catalogue.products} products in two price columns (retail, dealers'); ${SUPPLY_PRODUCT}: 50 in stock and 70 arriving on ${catalogue.supplyArrives}; ` +
        `${EXCLUSIVE_PRODUCT} is BP-PAD's alone in Budapest (refused to BP-KERT)`,
    );
    await setUpDealerPurchases(hub);
    await setUpDemoSettlements(db);
    print(`[demo] dealers' purchases go to the manual channel "${PURCHASE_CHANNEL}"; BP-KERT has placed one and has settlements for the last two months`);

    // The web app first: the address and who to sign in as are what a newcomer needs.
    let address: string | undefined;
    if (!options.once) {
      app = await buildApp({ db, catalog: hub.catalog, actions: hub.actions, security: securityOf(options.config) });
      address = await listen(app, options.config);
      print(`[demo] web app: ${address}/ — sign in as one of:`);
    } else {
      print('[demo] users (passwords are new every run):');
    }
    printLogins(logins, print);

    const every = Math.min(59, Math.max(5, options.everySeconds ?? 12));
    const shops: DemoShop[] = [];
    for (const [name, initialOrders] of [
      ['Demo Woo shop HU', 28],
      ['Demo Woo shop EU', 14],
    ] as const) {
      const sandbox = await startWooSandbox({ consumerKey: KEY, consumerSecret: SECRET, initialOrders });
      sandboxes.push(sandbox);
      const channel = await hub.channels.create({
        name,
        connectorType: 'woocommerce',
        config: { url: sandbox.url, consumerKey: KEY, consumerSecret: SECRET },
        syncSchedule: `*/${every} * * * * *`,
      });
      shops.push({ name, sandbox, channelId: channel.id });
      print(`[demo] ${name}: WooCommerce sandbox at ${sandbox.url} with ${initialOrders} orders`);
    }

    const syncNow = async (shop: DemoShop, trigger: SyncTrigger) => {
      const outcome = await syncChannel(hub!.context, shop.channelId, trigger);
      await report(hub!, shop, outcome, print);
    };
    for (const shop of shops) await syncNow(shop, 'demo');
    await archiveFailedPayload(hub, shops[0]!.channelId);
    print(`[demo] ${shops[0]!.name}: one webhook body the mapping refused (no currency) waits among the failed payloads, for ops to reprocess`);

    if (options.once) {
      const [hu, eu] = shops as [DemoShop, DemoShop];
      hu.sandbox.addOrders(3);
      hu.sandbox.touchOrders(2);
      eu.sandbox.touchOrders(1);
      print('[demo] the shops took 3 new orders and changed 3; syncing again');
      for (const shop of shops) await syncNow(shop, 'demo');
      await printOrders(hub, print);
      await printDistribution(hub, print);
      return;
    }

    const admin = logins.find((l) => l.login === 'admin')!;
    const head = logins.find((l) => l.login === 'kert.head')!;
    print(`[demo] API at ${address} (docs at ${address}/docs). Sign in, then use the cookie:`);
    print(`  curl -c admin.jar -H 'content-type: application/json' -d '{"login":"admin","password":"${admin.password}"}' ${address}/v1/auth/login`);
    print(`  curl -b admin.jar ${address}/v1/orders`);
    print(`[demo] a dealer's offers, as its head: sign in as kert.head (${head.password}), then ${address}/v1/dealers/BP-KERT/orders?view=offered`);
    print(`[demo] its purchases to the manufacturer: ${address}/v1/dealers/BP-KERT/purchases (check one: POST …/purchases/check with {"lines":[{"sku":"${SUPPLY_PRODUCT}","quantity":"100"}],"desiredDate":"${catalogue.supplyArrives}"})`);

    hub.runner.onSyncFinished((event) => {
      const shop = shops.find((s) => s.channelId === event.channelId);
      if (!shop) return;
      if (event.outcome) void report(hub!, shop, event.outcome, print);
      else if (event.error) print(`[demo] ${shop.name}: sync failed (${event.error.code}): ${event.error.message}`);
    });
    await hub.runner.start();
    // Like `hub start`: the demo runs workers, so ops see them live (readiness, orderhub_workers_live); hub.close() stops it.
    await hub.heartbeat?.start();
    print(`[demo] syncing every ${every} s; the shops take orders in between. Ctrl+C to stop.`);

    // The shops live on between syncs: new orders and changes to old ones.
    const life = setInterval(() => {
      const shop = shops[Math.floor(Math.random() * shops.length)]!;
      shop.sandbox.addOrders(1 + Math.floor(Math.random() * 3));
      shop.sandbox.touchOrders(1 + Math.floor(Math.random() * 3));
    }, Math.round((every * 1000) / 2));
    life.unref();

    await (options.until ?? untilSignal());
    clearInterval(life);
    print('[demo] stopping…');
  } finally {
    await app?.close();
    await hub?.close();
    await db?.close();
    await Promise.all(sandboxes.map((s) => s.close()));
    await lock.release();
  }
}

/** The logins table: login, password (new every run), role and dealer. */
function printLogins(logins: DemoLogin[], print: (line: string) => void): void {
  for (const l of logins) print(`  ${l.login.padEnd(13)} ${l.password.padEnd(18)} ${l.role}${l.dealer ? ` of ${l.dealer}` : ''}`);
}

async function report(hub: Hub, shop: DemoShop, outcome: SyncOutcome, print: (line: string) => void): Promise<void> {
  if (outcome.status === 'skipped') {
    print(`[demo] ${shop.name}: skipped, a sync is already running`);
    return;
  }
  const total = await hub.db.prisma.order.count({ where: { channelId: shop.channelId } });
  print(`[demo] ${shop.name}: ${describeCounts(outcome.counts)} — ${total} orders in total`);
}

export function describeCounts(counts: SyncCounts): string {
  const parts = [`+${counts.created} new`, `${counts.updated} changed`, `${counts.unchanged} unchanged`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  return parts.join(', ');
}

async function printOrders(hub: Hub, print: (line: string) => void): Promise<void> {
  const total = await hub.db.prisma.order.count();
  const page = await listOrders(hub.db, { limit: 10 });
  print(`[demo] ${total} orders in the hub; the 10 newest:`);
  for (const order of page.items) {
    print(
      `  #${(order.number ?? order.externalId).padEnd(6)} ${order.channel.name.padEnd(18)} ${order.status.padEnd(11)} ${`${order.totals.total} ${order.currency}`.padStart(16)}  ${String(order.customer.name ?? '')}`,
    );
  }
}

async function listen(app: Awaited<ReturnType<typeof buildApp>>, config: HubConfig): Promise<string> {
  try {
    return await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    // The demo should just run: take any free port when the configured one is busy.
    return app.listen({ port: 0, host: config.host });
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function printDistribution(hub: Hub, print: (line: string) => void): Promise<void> {
  const rows = await hub.db.query<{ code: string; visible: number; later: number }>(
    `SELECT d.code, count(*) FILTER (WHERE o.visible_from <= now())::int AS visible, count(*) FILTER (WHERE o.visible_from > now())::int AS later
       FROM dealer_offer o JOIN dealer d ON d.id = o.dealer_id WHERE o.status = 'open' GROUP BY d.code ORDER BY d.code`,
  );
  const [summary] = await hub.db.query<{ offering: number; assigned: number }>(
    `SELECT count(*) FILTER (WHERE status = 'offering')::int AS offering, count(*) FILTER (WHERE status = 'assigned')::int AS assigned FROM order_distribution`,
  );
  print(`[demo] distribution: ${summary?.offering ?? 0} orders offered to dealers, ${summary?.assigned ?? 0} assigned at once; open offers per dealer (visible now / later):`);
  for (const r of rows) print(`  ${r.code.padEnd(8)} ${String(r.visible).padStart(3)} / ${r.later}`);
}
