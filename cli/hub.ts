import { mkdir, readFile } from 'node:fs/promises';
import { ManualOrderInputSchema, type ManualOrderInput } from '../core/model/manual-order.ts';
import { firstProblem } from '../core/model/validate.ts';
import { turnover, type TurnoverGrouping } from '../core/orders/turnover.ts';
import type { QuoteStatus } from '../core/quotes/quote-status.ts';
import { Command, Option } from 'commander';
import { writeBackSwitchedOn } from '../core/outbound/status-writeback.ts';
import { auditCli, collect, errorMessage, fail, FIRST_ADMIN_HINT, parseJsonObject, printTable, securityOf, withHub } from './support.ts';
import { UserService } from '../core/identity/user-service.ts';
import { registerDealerCommands } from './commands/dealers.ts';
import { registerDistributionCommands } from './commands/distribution.ts';
import { registerRegionCommands } from './commands/regions.ts';
import { registerStockCommands } from './commands/stock.ts';
import { registerOnecCommands } from './commands/onec.ts';
import { registerPayloadCommands } from './commands/payloads.ts';
import { registerJobCommands } from './commands/jobs.ts';
import { registerReconcileCommands } from './commands/reconcile.ts';
import { registerRouteCommands } from './commands/routes.ts';
import { registerUserCommands } from './commands/users.ts';
import { registerSecretCommands } from './commands/secrets.ts';
import { registerSettlementCommands } from './commands/settlements.ts';
import { Value } from '@sinclair/typebox/value';
import { openDatabase } from '../core/db/database.ts';
import { migrate } from '../core/db/migrate.ts';
import { describePageErrors, latestSyncRuns } from '../core/channels/sync-runs.ts';
import { lastSyncSummary } from '../core/channels/sync-status.ts';
import { cliActor } from '../core/audit/actor.ts';
import { describeCounts, describeLastRun, progressLines } from './sync-lines.ts';
import { listOrders } from '../core/orders/order-queries.ts';
import type { PayloadOutcome } from '../core/orders/payload-processing.ts';
import { loadConfig, type HubConfig } from '../jobs/config.ts';
import { acquireEmbeddedLock } from '../jobs/embedded-lock.ts';
import { createHub, embeddedDatabaseDir } from '../jobs/hub.ts';
import { reprocessFailedPayloads } from '../jobs/processors/process-payload.ts';
import { syncChannel } from '../jobs/processors/sync-channel.ts';
import type { JobLogger, LogLevel } from '../jobs/runtime/types.ts';
import { onecExchangePorts } from '../jobs/onec-exchange.ts';

/** `hub` — run, operate and try the hub from a terminal. Errors exit 1 with the hub's message. */
const program = new Command('hub').description('orderhub: every sales channel into one core order model').showHelpAfterError();

program
  .command('migrate')
  .description('apply the database migrations (idempotent)')
  .action(async () => {
    const config = loadConfig();
    const result = await withDatabase(config, (db) => migrate(db));
    if (result.applied.length === 0) console.log(`Nothing to apply: ${result.alreadyApplied.length} migration(s) already applied.`);
    else for (const name of result.applied) console.log(`Applied ${name}`);
  });

program
  .command('start')
  .description('migrate, then serve the API and run the sync scheduler and workers (BullMQ when REDIS_URL is set)')
  .action(async () => {
    const config = loadConfig();
    await withDatabase(config, (db) => migrate(db));
    const logger = consoleLogger(config.logLevel);
    const hub = await createHub(config, { logger, workers: config.role !== 'api', schedules: config.role !== 'worker' });
    const { buildApp } = await import('../api/app.ts');
    const app = await buildApp({
      db: hub.db,
      catalog: hub.catalog,
      actions: hub.actions,
      logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
      security: securityOf(config),
      onec: { ports: onecExchangePorts(hub.db) },
    });
    try {
      const address = await app.listen({ port: config.port, host: config.host });
      if ((await new UserService(hub.db).count()).admins === 0) console.log(FIRST_ADMIN_HINT);
      await hub.runner.start();
      await hub.heartbeat?.start();
      console.log(`orderhub listening at ${address} (API ${address}/v1, docs ${address}/docs); syncs run ${hub.runner.kind === 'bullmq' ? 'on BullMQ' : 'in-process'}`);
      await untilSignal();
      console.log('Shutting down: finishing running syncs…');
    } finally {
      await app.close();
      await hub.close();
    }
  });

program
  .command('worker')
  .description('run sync workers only (needs REDIS_URL)')
  .action(async () => {
    const config = loadConfig();
    if (!config.redisUrl) fail('hub worker takes jobs from Redis: set REDIS_URL (without it, `hub start` runs syncs in-process).');
    const hub = await createHub(config, { logger: consoleLogger(config.logLevel), workers: true, schedules: false });
    // Its own counters (syncs and payloads it ran) are scraped here: the ops routes only, no API.
    const { buildOpsApp } = await import('../api/app.ts');
    const ops = config.metricsPort === undefined ? undefined : await buildOpsApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions, security: securityOf(config) });
    try {
      await hub.runner.start();
      await hub.heartbeat?.start();
      const at = ops ? `; health and metrics at ${await ops.listen({ port: config.metricsPort!, host: config.host })}/metrics` : '';
      console.log(`orderhub worker running (concurrency ${config.workerConcurrency})${at}; Ctrl+C to stop`);
      await untilSignal();
      console.log('Shutting down: finishing running syncs…');
    } finally {
      await ops?.close();
      await hub.close();
    }
  });

const channels = program.command('channels').description('sales channels');

channels
  .command('add <name>')
  .description('add a channel')
  .requiredOption('--type <connector>', 'connector type, e.g. woocommerce')
  .option('--config <json>', 'connector config as JSON')
  .option('--set <key=value>', 'one config field (repeatable); numbers and booleans are read per the connector spec', collect, [] as string[])
  .option('--kind <kind>', 'channel kind (webshop, edi, pos, manual, erp or your own)')
  .option('--schedule <cron>', 'sync schedule (cron), default */5 * * * *')
  .option('--label <label>', 'an ops label to segment sales (repeatable)', collect, [] as string[])
  .option('--disabled', 'add it disabled')
  .option('--json', 'print the channel as JSON')
  .action(async (name: string, options: { type: string; config?: string; set: string[]; kind?: string; schedule?: string; label: string[]; disabled?: boolean; json?: boolean }) => {
    await withHub(async (hub) => {
      const config: Record<string, unknown> = options.config ? parseJsonObject(options.config, '--config') : {};
      for (const pair of options.set) {
        const at = pair.indexOf('=');
        if (at <= 0) fail(`--set expects key=value, got "${pair}".`);
        config[pair.slice(0, at)] = pair.slice(at + 1);
      }
      const spec = hub.catalog.get(options.type)?.spec;
      const converted = spec ? (Value.Convert(spec, config) as Record<string, unknown>) : config;
      const channel = await hub.channels.create({
        name,
        connectorType: options.type,
        kind: options.kind,
        config: converted,
        syncSchedule: options.schedule,
        labels: options.label,
        enabled: !options.disabled,
      });
      await auditCli(hub.db, { action: 'channel.create', target: { type: 'channel', id: channel.id }, after: hub.channels.toPublic(channel) });
      // With REDIS_URL the schedule lands in Redis at once, for the running hub's scheduler.
      await hub.actions.channelChanged(channel.id);
      if (options.json) console.log(JSON.stringify(hub.channels.toPublic(channel), null, 2));
      else console.log(`Added channel "${channel.name}" (${channel.connectorType}, ${channel.kind}) with id ${channel.id}; syncs on "${channel.syncSchedule}".`);
    });
  });

channels
  .command('list')
  .description('list channels with their last sync')
  .option('--json', 'machine-readable output')
  .action(async (options: { json?: boolean }) => {
    await withHub(async (hub) => {
      const list = await hub.channels.list();
      const runs = await latestSyncRuns(hub.db, list.map((c) => c.id));
      if (options.json) {
        const rows = list.map((c) => {
          const run = runs.get(c.id);
          return {
            ...hub.channels.toPublic(c),
            lastSync: run ? lastSyncSummary(run) : null,
          };
        });
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      if (list.length === 0) {
        console.log('No channels yet. Add one: hub channels add "My shop" --type woocommerce --set url=https://… --set consumerKey=ck_… --set consumerSecret=cs_…');
        return;
      }
      printTable(
        ['NAME', 'TYPE', 'KIND', 'ENABLED', 'WRITE-BACK', 'SCHEDULE', 'LAST SYNC', 'ID'],
        list.map((c) => {
          const run = runs.get(c.id);
          const last = !run ? 'never' : describeLastRun(run);
          return [c.name, c.connectorType, c.kind, c.enabled ? 'yes' : 'no', writeBackSwitchedOn(c.mapping) ? 'on' : 'off', c.syncSchedule, last, c.id];
        }),
      );
    });
  });

channels
  .command('write-back <channel> <on|off>')
  .description("switch status write-back to the channel on or off (off by default): dealers' and admins' status changes reach the shop")
  .option('--status <core=channel>', "the channel's status for a core status, e.g. completed=Teljesítve (repeatable; UNAS names and Shoprenter status ids have no defaults)", collect, [] as string[])
  .action(async (ref: string, state: string, options: { status: string[] }) => {
    if (state !== 'on' && state !== 'off') fail(`Say on or off, not "${state}".`);
    await withHub(async (hub) => {
      const channel = await hub.channels.find(ref);
      const mapping = { ...(channel.mapping as Record<string, unknown>) };
      const current = (mapping.statusWriteBack ?? {}) as { statuses?: Record<string, string> };
      const statuses: Record<string, string> = { ...current.statuses };
      for (const pair of options.status) {
        const at = pair.indexOf('=');
        if (at <= 0) fail(`--status expects core=channel, got "${pair}".`);
        statuses[pair.slice(0, at)] = pair.slice(at + 1);
      }
      mapping.statusWriteBack = { enabled: state === 'on', ...(Object.keys(statuses).length > 0 && { statuses }) };
      const updated = await hub.channels.update(channel.id, { mapping });
      await auditCli(hub.db, { action: 'channel.update', target: { type: 'channel', id: channel.id }, before: hub.channels.toPublic(channel), after: hub.channels.toPublic(updated) });
      console.log(`Status write-back to "${updated.name}" is ${state}${Object.keys(statuses).length > 0 ? ` (${Object.entries(statuses).map(([k, v]) => `${k} → ${v}`).join(', ')})` : ''}.`);
    });
  });

channels
  .command('check <channel>')
  .description('check a channel’s credentials and reachability (name or id)')
  .action(async (ref: string) => {
    await withHub(async (hub) => {
      const channel = await hub.channels.find(ref);
      const report = await hub.actions.checkChannel(channel.id);
      console.log(`${report.ok ? 'OK' : 'FAILED'}: ${report.message}`);
      if (!report.ok) process.exitCode = 1;
    });
  });

channels
  .command('sync <channel>')
  .description('sync a channel now, in the foreground, showing pages and counts (name or id)')
  .action(async (ref: string) => {
    await withHub(async (hub) => {
      const channel = await hub.channels.find(ref);
      console.log(`Syncing "${channel.name}"…`);
      // Ctrl+C stops between pages; the run is recorded as interrupted.
      const abort = new AbortController();
      const interrupt = () => abort.abort(new Error('interrupted'));
      process.once('SIGINT', interrupt);
      let outcome;
      try {
        outcome = await syncChannel(
          hub.context,
          channel.id,
          'manual',
          (p) => {
            for (const line of progressLines(p)) console.log(line);
          },
          { signal: abort.signal },
        );
      } finally {
        process.off('SIGINT', interrupt);
      }
      if (outcome.status === 'skipped') {
        console.log(outcome.reason === 'disabled' ? `Skipped: channel "${channel.name}" is disabled.` : `Skipped: a sync of "${channel.name}" is already running.`);
        return;
      }
      const total = await hub.db.prisma.order.count({ where: { channelId: channel.id } });
      for (const warning of outcome.warnings ?? []) console.log(`Warning (page ${warning.page}): ${warning.message}`);
      if (outcome.status === 'partial') {
        console.log(`Done with errors (partial): ${outcome.counts.pages} page(s), ${describeCounts(outcome.counts)}; ${total} orders in the channel.`);
        console.log(`${describePageErrors(outcome.counts.pages, outcome.errors)}. See them: hub payloads list --failed --channel ${channel.id}`);
        return;
      }
      console.log(`Done: ${outcome.counts.pages} page(s), ${describeCounts(outcome.counts)}; ${total} orders in the channel.`);
    });
  });

const orders = program.command('orders').description('orders in the hub');

orders
  .command('list')
  .description('list orders, newest first')
  .option('--channel <channel>', 'only this channel (name or id)')
  .option('--status <status>', 'only this core status')
  .addOption(new Option('--limit <n>', 'how many').default('20').argParser((v) => Number.parseInt(v, 10)))
  .option('--json', 'machine-readable output')
  .action(async (options: { channel?: string; status?: string; limit: number | string; json?: boolean }) => {
    await withHub(async (hub) => {
      const channelId = options.channel ? (await hub.channels.find(options.channel)).id : undefined;
      const page = await listOrders(hub.db, { channelId, status: options.status, limit: Number(options.limit) || 20 });
      if (options.json) {
        console.log(JSON.stringify(page.items, null, 2));
        return;
      }
      if (page.items.length === 0) {
        console.log('No orders.');
        return;
      }
      printTable(
        ['NUMBER', 'CHANNEL', 'STATUS', 'TOTAL', 'CUSTOMER', 'PLACED', 'V'],
        page.items.map((o) => [
          o.number ?? o.externalId,
          o.channel.name,
          o.status,
          // Refunded orders show what is left: "39 EUR (net 20)".
          `${o.totals.total} ${o.currency}${o.totals.refunded === '0' ? '' : ` (net ${o.totals.netTotal})`}`,
          String(o.customer.name ?? o.customer.email ?? ''),
          o.placedAt.slice(0, 16).replace('T', ' '),
          String(o.version),
        ]),
        [false, false, false, true, false, false, true],
      );
    });
  });

orders
  .command('add <channel>')
  .description('record an order on a buyer’s behalf on a manual channel (prices net, tax from each line’s rate)')
  .option('--file <path>', 'the order as JSON (customer, currency, lines, ...; see POST /v1/channels/{id}/orders in /docs)')
  .option('--json <json>', 'the order as inline JSON')
  .requiredOption('--operator <name>', 'who records it')
  .option('--via <how>', 'phone, email, field_rep, new_deal or your own', 'phone')
  .option('--id <externalId>', 'your own id for the order: recording it again is the same order')
  .action(async (channelName: string, options: { file?: string; json?: string; operator: string; via: string; id?: string }) => {
    const text = options.file ? await readFile(options.file, 'utf8') : options.json;
    if (!text) fail('Give the order with --file <path> or --json <json>.');
    const input = { ...parseJsonObject(text, options.file ?? '--json'), operator: options.operator, via: options.via, ...(options.id && { externalId: options.id }) };
    await withHub(async (hub) => {
      const channel = await hub.channels.find(channelName);
      const problem = firstProblem(ManualOrderInputSchema, input);
      if (problem) fail(`The order is not valid: ${problem.field}: ${problem.message}`);
      const receipt = await hub.actions.recordManualOrder(channel.id, input as ManualOrderInput);
      console.log(`Order ${receipt.externalId} ${receipt.outcome} (version ${receipt.version}) on "${channel.name}": ${receipt.orderId}`);
    });
  });

const quotes = program.command('quotes').description('quotes of the sales desk');

quotes
  .command('list')
  .description('list quotes, newest first')
  .option('--status <status>', 'draft, sent, accepted, lost or converted')
  .option('--json', 'machine-readable output')
  .action(async (options: { status?: QuoteStatus; json?: boolean }) => {
    await withHub(async (hub) => {
      const items = await hub.actions.quotes.list({ status: options.status });
      if (options.json) {
        console.log(JSON.stringify(items, null, 2));
        return;
      }
      if (items.length === 0) {
        console.log('No quotes.');
        return;
      }
      printTable(
        ['NUMBER', 'STATUS', 'V', 'TOTAL', 'CUSTOMER', 'BY', 'ORDER'],
        items.map((q) => [q.number, q.status, String(q.version), `${q.priced.total} ${q.content.currency}`, String(q.content.customer.name ?? ''), q.createdBy, q.orderId ?? '']),
        [false, false, true, true, false, false, false],
      );
    });
  });

quotes
  .command('create <channel>')
  .description('make a quote on a manual channel from a JSON file (customer, currency, lines, ...)')
  .requiredOption('--file <path>', 'the quote content as JSON')
  .requiredOption('--by <name>', 'who makes it')
  .action(async (channelName: string, options: { file: string; by: string }) => {
    await withHub(async (hub) => {
      const channel = await hub.channels.find(channelName);
      const quote = await hub.actions.quotes.create({ channelId: channel.id, content: parseJsonObject(await readFile(options.file, 'utf8'), options.file), createdBy: options.by });
      console.log(`Quote ${quote.number} (${quote.id}) drafted: ${quote.priced.total} ${quote.content.currency}.`);
    });
  });

for (const [action, done] of [['send', 'sent'], ['accept', 'accepted']] as const) {
  quotes
    .command(`${action} <quoteId>`)
    .description(`mark a quote as ${done}`)
    .action(async (quoteId: string) => {
      await withHub(async (hub) => {
        const quote = await hub.actions.quotes[action](quoteId);
        console.log(`Quote ${quote.number} is ${quote.status}.`);
      });
    });
}

quotes
  .command('lose <quoteId>')
  .description('mark a quote as lost')
  .requiredOption('--reason <reason>', 'why it was lost')
  .action(async (quoteId: string, options: { reason: string }) => {
    await withHub(async (hub) => {
      const quote = await hub.actions.quotes.lose(quoteId, options.reason);
      console.log(`Quote ${quote.number} is lost: ${quote.lostReason}.`);
    });
  });

quotes
  .command('convert <quoteId>')
  .description('turn an accepted quote into an order (once; again answers the same order)')
  .action(async (quoteId: string) => {
    await withHub(async (hub) => {
      const { quote, orderId, created } = await hub.actions.quotes.convert(quoteId);
      console.log(`Quote ${quote.number} ${created ? 'became' : 'had already become'} order ${orderId}.`);
    });
  });

program
  .command('turnover')
  .description('sales per channel, channel kind or label, per currency')
  .addOption(new Option('--by <grouping>', 'channel, kind or label').choices(['channel', 'kind', 'label']).default('channel'))
  .option('--from <date>', 'placed from (ISO date)')
  .option('--to <date>', 'placed before (ISO date)')
  .action(async (options: { by: TurnoverGrouping; from?: string; to?: string }) => {
    await withHub(async (hub) => {
      const rows = await turnover(hub.db, { groupBy: options.by, placedFrom: options.from ? new Date(options.from) : undefined, placedTo: options.to ? new Date(options.to) : undefined });
      if (rows.length === 0) {
        console.log('No sales in that range.');
        return;
      }
      printTable([options.by.toUpperCase(), 'CURRENCY', 'ORDERS', 'TURNOVER'], rows.map((r) => [r.key, r.currency, String(r.orders), r.total]), [false, false, true, true]);
    });
  });

program
  .command('reprocess [payloadId]')
  .description('read a stored raw payload again (after a mapping fix), or every failed one with --failed')
  .option('--failed', 'every failed or partly failed payload, and those left pending for over 5 minutes')
  .option('--channel <channel>', 'with --failed: only this channel (name or id)')
  .action(async (payloadId: string | undefined, options: { failed?: boolean; channel?: string }) => {
    if (!payloadId && !options.failed) fail('Give a payload id, or --failed to read every failed payload again.');
    await withHub(async (hub) => {
      const print = (o: PayloadOutcome) => console.log(`${o.payloadId}: ${o.status}, ${o.orderCount} order(s)${o.error ? ` — ${o.error}` : ''}`);
      if (payloadId) {
        print(await hub.actions.reprocessPayload(payloadId, cliActor()));
        return;
      }
      const channelId = options.channel ? (await hub.channels.find(options.channel)).id : undefined;
      const outcomes = await reprocessFailedPayloads(hub.context, { channelId }, print, cliActor());
      const stillFailing = outcomes.filter((o) => o.status !== 'parsed' && o.status !== 'skipped').length;
      console.log(`Reprocessed ${outcomes.length} payload(s); ${outcomes.length - stillFailing} now parsed, ${stillFailing} still failing.`);
    });
  });

program
  .command('demo')
  .description('try the hub: embedded database, two WooCommerce sandboxes, the API and live syncs')
  .option('--once', 'run one full cycle and exit')
  .action(async (options: { once?: boolean }) => {
    const config = loadConfig();
    const { runDemo } = await import('../demo/run-demo.ts');
    await runDemo({ config, once: !!options.once });
  });

async function withDatabase<T>(config: HubConfig, fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  let lock: Awaited<ReturnType<typeof acquireEmbeddedLock>> | undefined;
  if (!config.databaseUrl) {
    await mkdir(config.dataDir, { recursive: true });
    lock = await acquireEmbeddedLock(config.dataDir);
  }
  try {
    const db = await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? undefined : embeddedDatabaseDir(config), poolSize: 2 });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  } finally {
    await lock?.release();
  }
}

/** Operator commands: a hub without workers or schedules (a running server does those). */

function consoleLogger(level: LogLevel): JobLogger {
  const order: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  const threshold = order.indexOf(level);
  const at = (name: 'info' | 'warn' | 'error') => (data: object, message?: string) => {
    if (order.indexOf(name) < threshold) return;
    const { err, ...rest } = data as { err?: unknown };
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    const cause = err instanceof Error ? ` (${err.message})` : '';
    console.error(`${new Date().toISOString()} ${name.padEnd(5)} ${message ?? ''}${cause}${extra}`);
  };
  return { info: at('info'), warn: at('warn'), error: at('error') };
}







function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}


registerRegionCommands(program);
registerStockCommands(program);
registerDealerCommands(program);
registerDistributionCommands(program);
registerUserCommands(program);
registerRouteCommands(program);
registerReconcileCommands(channels);
registerPayloadCommands(program);
registerOnecCommands(program);
registerJobCommands(program);
registerSecretCommands(program);
registerSettlementCommands(program);

try {
  await program.parseAsync(process.argv);
  process.exit(process.exitCode ?? 0);
} catch (error) {
  console.error(`error: ${errorMessage(error)}`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) console.error(error.stack);
  process.exit(1);
}
