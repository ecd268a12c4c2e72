import { Option, type Command } from 'commander';
import { ADMIN_SCOPE, dealerScope, type DealerScope } from '../../core/dealers/dealer-scope.ts';
import { isHubError } from '../../core/errors.ts';
import type { ConfigVersionView } from '../../core/distribution/distribution-configs.ts';
import type { DecisionTrace } from '../../core/distribution/distribution-plan.ts';
import { DistributionQueries, type DealerOrderRow, type DistributionDetails, type OrderView } from '../../core/distribution/distribution-queries.ts';
import { DistributionService } from '../../core/distribution/distribution-service.ts';
import { OrderLifecycle } from '../../core/flows/order-lifecycle.ts';
import { whatIf, type Stats, type WhatIfReport } from '../../core/distribution/what-if.ts';
import { auditCli, defaultUser, fail, positiveInteger, printTable, readJsonFile, when, withHub } from '../support.ts';

/**
 * `hub distribution …`: the strategy configuration (versioned), the orders as a dealer or the
 * manufacturer sees them, a dealer's moves (take, decline, status), the admin's (assign,
 * redistribute), why an order went where it went (trace), the minute's tick run by hand (advance),
 * and the reports (what-if replay, refusal reasons). A dealer's commands act in that dealer's
 * scope, exactly as its users would through the API.
 */
export function registerDistributionCommands(program: Command): void {
  const distribution = program.command('distribution').description('distribution of orders to dealers');

  const config = distribution.command('config').description('the versioned distribution strategy configuration');

  config
    .command('show')
    .description('the configuration in force (or a given version) as JSON')
    .option('--version <n>', 'this version instead of the one in force', positiveInteger('--version'))
    .action(async (options: { version?: number }) => {
      await withHub(async (hub) => {
        const configs = new DistributionService(hub.db).configs;
        const view = options.version !== undefined ? await configs.get(options.version) : await configs.active();
        if (!view) {
          console.log('Distribution is off: no configuration has been saved. Save one with: hub distribution config set <file>');
          return;
        }
        console.log(`# version ${view.version}${options.version === undefined ? ' (in force)' : ''}, saved ${when(view.createdAt)} by ${view.createdBy}${view.note ? `: ${view.note}` : ''}`);
        console.log(JSON.stringify(view.config, null, 2));
      });
    });

  config
    .command('set <file>')
    .description('validate a configuration ({settings, tiers}) and save it as the new version in force')
    .option('--note <text>', 'why it changed')
    .option('--by <user>', 'on whose behalf it is saved (default: cli:<OS user>)', defaultUser())
    .action(async (file: string, options: { note?: string; by: string }) => {
      const input = await readJsonFile(file);
      await withHub(async (hub) => {
        let saved: ConfigVersionView;
        const configs = new DistributionService(hub.db).configs;
        const before = await configs.active();
        try {
          saved = await configs.save(input, options.by, options.note);
        } catch (error) {
          if (isHubError(error) && error.code === 'invalid_data') {
            const field = error.field && !error.message.includes(error.field) ? ` (field ${error.field})` : '';
            fail(`${file} is not a valid distribution configuration: ${error.message}${field}`);
          }
          throw error;
        }
        await auditCli(hub.db, { action: 'distribution-config.save', target: { type: 'distribution-config', id: String(saved.version) }, before: before?.config ?? null, after: saved.config, details: { by: options.by } });
        const tiers = saved.config.tiers.map((t) => t.name ?? t.kind).join(' → ') || 'no tiers';
        console.log(`Saved distribution configuration version ${saved.version} (${tiers}); it is in force from now on.`);
      });
    });

  config
    .command('versions')
    .description('every saved version, newest first')
    .action(async () => {
      await withHub(async (hub) => {
        const versions = await new DistributionService(hub.db).configs.list();
        if (versions.length === 0) return void console.log('No configuration saved yet: distribution is off.');
        printTable(
          ['VERSION', 'SAVED', 'BY', 'TIERS', 'NOTE'],
          versions.map((v, i) => [`${v.version}${i === 0 ? '*' : ''}`, when(v.createdAt), v.createdBy, v.config.tiers.map((t) => t.name ?? t.kind).join(', '), v.note ?? '']),
          [true, false, false, false, false],
        );
        console.log('* in force');
      });
    });

  distribution
    .command('orders')
    .description('orders in distribution: a dealer’s view with --dealer (offered, mine, completed), the manufacturer’s all view without')
    .option('--dealer <code>', 'as this dealer sees them')
    .addOption(new Option('--view <view>', 'with --dealer: offered (default), mine, completed, or all (the admin’s view of the dealer’s orders)').choices(['offered', 'mine', 'completed', 'all']))
    .option('--status <status>', 'only this distribution status (offering, unassigned, assigned, contacted, in_progress, completed, cancelled)')
    .option('--overdue', 'only orders past their fulfilment term')
    .option('--q <text>', 'order number, client or product contains this')
    .option('--limit <n>', 'how many (1-500, default 50)', positiveInteger('--limit'))
    .option('--json', 'machine-readable output')
    .action(async (options: { dealer?: string; view?: OrderView; status?: string; overdue?: boolean; q?: string; limit?: number; json?: boolean }) => {
      if (!options.dealer && options.view && options.view !== 'all') fail(`--view ${options.view} is a dealer’s view: name the dealer with --dealer.`);
      const view: OrderView = options.view ?? (options.dealer ? 'offered' : 'all');
      // The admin's all view may narrow to one dealer; the dealer views are asked in the dealer's own scope.
      const scope: DealerScope = options.dealer && view !== 'all' ? dealerScope(options.dealer) : ADMIN_SCOPE;
      await withHub(async (hub) => {
        const page = await new DistributionQueries(hub.db).listOrders(scope, {
          view,
          status: options.status,
          dealerCode: view === 'all' ? options.dealer : undefined,
          overdue: options.overdue,
          q: options.q,
          limit: options.limit,
        });
        if (options.json) return void console.log(JSON.stringify(page, null, 2));
        if (page.orders.length === 0) return void console.log(options.dealer ? `No ${view} orders for dealer ${options.dealer}.` : 'No orders in distribution.');
        printOrders(page.orders, view);
        if (page.total > page.orders.length) console.log(`${page.orders.length} of ${page.total} shown; use --limit or narrow the filter.`);
      });
    });

  distribution
    .command('take <dealer> <orderId>')
    .description('the dealer takes an order offered to it now (the first to take it gets it)')
    .action(async (dealer: string, orderId: string) => {
      await withHub(async (hub) => {
        const r = await new DistributionService(hub.db).take(dealerScope(dealer), orderId);
        if (r.alreadyYours) console.log(`Dealer ${r.dealerCode} already has order ${orderId}; due ${when(r.dueAt)}.`);
        else console.log(`Dealer ${r.dealerCode} took order ${orderId} ${r.secondsToTake} s after it was offered; it is assigned, due ${when(r.dueAt)}.`);
      });
    });

  distribution
    .command('decline <dealer> <orderId>')
    .description('the dealer declines an order offered to it, with a reason')
    .requiredOption('--reason <text>', 'why (reported with the refusal reasons)')
    .action(async (dealer: string, orderId: string, options: { reason: string }) => {
      await withHub(async (hub) => {
        const r = await new DistributionService(hub.db).decline(dealerScope(dealer), orderId, options.reason);
        const next = !r.escalated
          ? ''
          : r.status === 'offering'
            ? '; nobody else saw it, so the next tier sees it now'
            : r.status === 'assigned'
              ? '; nobody was left to offer it to, so the fallback dealer has it now'
              : `; nobody was left to offer it to, so it is now ${r.status}`;
        console.log(`Dealer ${dealer} declined order ${orderId}${next}.`);
      });
    });

  distribution
    .command('status <dealer> <orderId> <status>')
    .description('the assigned dealer moves the order on: contacted, in_progress, completed, or cancelled (with --reason)')
    .option('--reason <text>', 'why (required to cancel)')
    .action(async (dealer: string, orderId: string, status: string, options: { reason?: string }) => {
      await withHub(async (hub) => {
        const r = await new OrderLifecycle(hub.db).changeFulfilment(dealerScope(dealer), orderId, { status, reason: options.reason });
        const points = r.points ? `; dealer ${dealer} ${r.points.delta > 0 ? '+' : ''}${r.points.delta} points (balance ${r.points.balance})` : '';
        console.log(`Order ${orderId} is ${r.status}${points}.`);
      });
    });

  distribution
    .command('assign <orderId> <dealer>')
    .description('the manufacturer hands an order to a dealer directly (from offering, unassigned, or another dealer)')
    .option('--note <text>', 'recorded with the assignment')
    .option('--force', 'assign although the dealer is not authorised or excluded by regional exclusivity (needs --reason)')
    .option('--reason <text>', 'why the assignment is forced (recorded in the order history and the audit log)')
    .option('--by <user>', 'who assigns it', defaultUser())
    .action(async (orderId: string, dealer: string, options: { note?: string; force?: boolean; reason?: string; by: string }) => {
      await withHub(async (hub) => {
        const actor = { login: options.by, userId: null, via: 'cli' as const, ip: null };
        const r = await new DistributionService(hub.db).assign(orderId, dealer, actor, { note: options.note, force: options.force, reason: options.reason });
        console.log(`Order ${orderId} is assigned to dealer ${r.dealerCode}; due ${when(r.dueAt)}.`);
      });
    });

  distribution
    .command('redistribute <orderId>')
    .description('decide an order’s distribution again with the configuration in force (a new round; declines stand)')
    .option('--by <user>', 'who asks', defaultUser())
    .action(async (orderId: string, options: { by: string }) => {
      await withHub(async (hub) => {
        const r = await new DistributionService(hub.db).distribute(orderId, { force: true, by: options.by });
        console.log(`Order ${orderId}: ${r.action}${r.status ? `, now ${r.status}` : ''} — ${r.reason}.`);
      });
    });

  distribution
    .command('trace <orderId>')
    .description('why an order went where it went: the dealers considered, each tier, the events and the result')
    .option('--json', 'machine-readable output')
    .action(async (orderId: string, options: { json?: boolean }) => {
      await withHub(async (hub) => {
        const details = await new DistributionQueries(hub.db).details(ADMIN_SCOPE, orderId);
        if (options.json) console.log(JSON.stringify(details, null, 2));
        else printTrace(details);
      });
    });

  distribution
    .command('advance')
    .description('run the minute’s tick once: notify offers that became visible, hand overdue orders to the fallback, flag overdue fulfilment, catch up undistributed orders')
    .action(async () => {
      await withHub(async (hub) => {
        const r = await new DistributionService(hub.db).advance();
        console.log(`Advanced: ${r.notified} offer(s) notified, ${r.fellBack} order(s) to the fallback, ${r.overdue} newly overdue, ${r.swept} caught up.`);
      });
    });

  distribution
    .command('what-if')
    .description('replay a configuration over the orders placed in a period (changes nothing): outcomes, per dealer, per tier, time to take')
    .requiredOption('--from <iso>', 'orders placed from (ISO date or instant, inclusive)')
    .requiredOption('--to <iso>', 'orders placed before (ISO date or instant, exclusive)')
    .option('--config <file>', 'a configuration to try (JSON {settings, tiers})')
    .option('--version <n>', 'a saved version (default: the one in force)', positiveInteger('--version'))
    .option('--channel <name...>', 'only orders of these channels')
    .option('--limit <n>', 'at most this many orders (default 2000)', positiveInteger('--limit'))
    .option('--json', 'machine-readable output (with a sample of per-order rows)')
    .action(async (options: { from: string; to: string; config?: string; version?: number; channel?: string[]; limit?: number; json?: boolean }) => {
      if (options.config && options.version !== undefined) fail('Give --config or --version, not both.');
      const input = {
        from: instant(options.from, '--from'),
        to: instant(options.to, '--to'),
        ...(options.config && { config: await readJsonFile(options.config) }),
        ...(options.version !== undefined && { version: options.version }),
        ...(options.channel && { channels: options.channel }),
        ...(options.limit !== undefined && { limit: options.limit }),
        ...(!options.json && { sample: 0 }),
      };
      await withHub(async (hub) => {
        const report = await whatIf(hub.db, input);
        if (options.json) console.log(JSON.stringify(report, null, 2));
        else printWhatIf(report, options.config);
      });
    });

  distribution
    .command('refusals')
    .description('why orders were refused in a period (dealers’ declines, cancellations by whom) and how fast dealers take')
    .requiredOption('--from <iso>', 'from (ISO date or instant, inclusive)')
    .requiredOption('--to <iso>', 'to (ISO date or instant, exclusive)')
    .option('--json', 'machine-readable output')
    .action(async (options: { from: string; to: string; json?: boolean }) => {
      const range = { from: instant(options.from, '--from'), to: instant(options.to, '--to') };
      await withHub(async (hub) => {
        const r = await new DistributionQueries(hub.db).refusals(range);
        if (options.json) return void console.log(JSON.stringify(r, null, 2));
        console.log(`Refusals from ${r.from} to ${r.to}`);
        console.log('\nDeclines by dealers:');
        if (r.declines.length === 0) console.log('  none');
        else printTable(['REASON', 'COUNT', 'DEALERS'], r.declines.map((d) => [d.reason, String(d.count), String(d.dealers)]), [false, true, true]);
        console.log('\nCancellations:');
        if (r.cancellations.length === 0) console.log('  none');
        else printTable(['BY', 'REASON', 'COUNT'], r.cancellations.map((c) => [c.cancelledBy, c.reason, String(c.count)]), [false, false, true]);
        console.log('\nTakes (minutes from distribution to take):');
        if (r.takes.length === 0) console.log('  none');
        else printTable(['DEALER', 'TAKEN', 'AVG MIN'], r.takes.map((t) => [t.dealer, String(t.taken), t.avgMinutesToTake === null ? '' : String(t.avgMinutesToTake)]), [false, true, true]);
      });
    });
}

// ---- printing -------------------------------------------------------------------------------------------------------

function printOrders(orders: DealerOrderRow[], view: OrderView): void {
  const last = view === 'offered' ? 'OFFERED UNTIL' : 'DUE';
  printTable(
    ['ORDER', 'STATUS', 'DEALER', 'REGION', 'CLIENT', 'PRODUCT', 'TOTAL', 'PLACED', last, 'ID'],
    orders.map((o) => [
      o.number ?? '-',
      o.distributionStatus + (o.overdue ? ' (overdue)' : ''),
      o.dealer ?? '',
      o.region ?? '',
      o.client.name ?? '',
      o.product ? `${o.product}${o.productLines > 1 ? ` +${o.productLines - 1}` : ''}` : '',
      `${o.total} ${o.currency}`,
      when(o.placedAt),
      view === 'offered' ? (o.offer?.expiresAt ? when(o.offer.expiresAt) : 'until taken') : when(o.dueAt),
      o.orderId,
    ]),
    [false, false, false, false, false, false, true, false, false, false],
  );
}

function printTrace(d: DistributionDetails): void {
  console.log(`Order ${d.number ? `${d.number} (${d.orderId})` : d.orderId}: ${d.status}${d.dealer ? `, dealer ${d.dealer}${d.assignedVia ? ` (${d.assignedVia})` : ''}` : ''}${d.overdue ? ', OVERDUE' : ''}`);
  console.log(`Round ${d.round}, configuration version ${d.configVersion}, started ${when(d.startedAt)}${d.deadlineAt ? `, fallback at ${when(d.deadlineAt)}` : ''}${d.dueAt ? `, due ${when(d.dueAt)}` : ''}`);
  if (d.cancelledAt) console.log(`Cancelled ${when(d.cancelledAt)} by ${d.cancelledBy ?? '?'}: ${d.cancelReason ?? 'no reason given'}`);
  if (d.trace) printDecision(d.trace);
  else console.log('\nNo decision trace is stored for this distribution.');

  console.log('\nOffers:');
  if (d.offers.length === 0) console.log('  none');
  else {
    printTable(
      ['ROUND', 'TIER', 'DEALER', 'RANK', 'VISIBLE FROM', 'EXPIRES', 'STATUS', 'DECLINE REASON'],
      d.offers.map((o) => [String(o.round), `${o.tier + 1} ${o.tierKind}`, o.dealer, String(o.rank + 1), when(o.visibleFrom), when(o.expiresAt), o.status, o.declineReason ?? '']),
      [true, false, false, true, false, false, false, false],
    );
  }

  console.log('\nEvents:');
  if (d.events.length === 0) console.log('  none');
  for (const e of d.events) {
    const detail = e.detail && typeof e.detail === 'object' && Object.keys(e.detail).length > 0 ? ` ${JSON.stringify(e.detail)}` : '';
    console.log(`  ${when(e.at)}  ${e.kind}${e.dealer ? ` ${e.dealer}` : ''}${e.actor ? ` by ${e.actor}` : ''}${detail}`);
  }
  if (d.trace) console.log(`\nDecision: ${d.trace.result.outcome}${d.trace.result.dealer ? ` → ${d.trace.result.dealer}` : ''}: ${d.trace.result.reason}`);
}

function printDecision(t: DecisionTrace): void {
  const o = t.order;
  const region = o.regionCode === null ? 'no region' : `region ${o.regionCode}${o.regionKnown ? '' : ' (not in the region hierarchy)'}`;
  const list = (values: string[]) => (values.length > 0 ? values.join(', ') : '-');
  console.log(`\nDecided ${when(t.decidedAt)} with configuration version ${t.configVersion}: ${region}, channel "${o.channel}", product lines ${list(o.productLines)}, order kinds ${list(o.orderKinds)}`);

  if (t.defaultDealer.length > 0) {
    console.log('\nDefault dealer rules:');
    for (const rule of t.defaultDealer) console.log(`  - ${rule.message}`);
  }

  console.log(`\nDealers considered (${t.dealers.length}):`);
  if (t.dealers.length === 0) console.log('  none: no dealer serves the order’s region and the configuration names none');
  for (const v of t.dealers) {
    const head = `  ${v.code} ${v.name} (${v.points} points, region ${v.regionMatch})`;
    if (v.failed.length === 0) console.log(`${head}: eligible`);
    else {
      console.log(`${head}: fails ${v.failed.map((f) => f.check).join(', ')}`);
      for (const f of v.failed) console.log(`      ${f.check}: ${f.message}`);
    }
  }

  console.log('\nTiers:');
  if (t.tiers.length === 0) console.log('  none configured');
  for (const tier of t.tiers) {
    const title = `  ${tier.index + 1}. ${tier.name}${tier.name === tier.kind ? '' : ` (${tier.kind})`}`;
    if (tier.skipped !== null) console.log(`${title}: skipped — ${tier.skipped}`);
    else {
      console.log(`${title}: opens ${when(tier.opensAt)}, closes ${when(tier.closesAt)}`);
      const offered = tier.offeredTo.map((f) => `${f.code} (from ${when(f.visibleFrom)}${f.expiresAt ? ` until ${when(f.expiresAt)}` : ''})`);
      console.log(`      offered to: ${offered.join(', ')}`);
    }
    for (const f of tier.filtered) console.log(`      left out ${f.code} (${f.filter}): ${f.message}`);
  }
}

function printWhatIf(r: WhatIfReport, file: string | undefined): void {
  const what = file ? `the configuration in ${file}` : `configuration version ${r.configVersion ?? '?'}`;
  console.log(`What-if: ${what} over orders placed from ${r.from} to ${r.to}`);
  console.log(`${r.orders} order(s) distributed${r.notDistributed > 0 ? `, ${r.notDistributed} not distributed (channel not in the configuration)` : ''}.`);
  const o = r.outcomes;
  console.log(`Outcomes: ${o.offered} offered (${o.fellBackAfterOffers} of them to the fallback after nobody took them), ${o.default} to a default dealer, ${o.fallback} straight to the fallback, ${o.unassigned} unassigned.`);

  console.log('\nPer dealer:');
  if (r.byDealer.length === 0) console.log('  none');
  else printTable(['DEALER', 'OFFERED', 'WOULD GET', 'ACTUALLY GOT'], r.byDealer.map((d) => [d.dealer, String(d.offered), String(d.wouldGet), String(d.actuallyGot)]), [false, true, true, true]);

  console.log('\nPer tier:');
  if (r.byTier.length === 0) console.log('  none configured');
  else printTable(['TIER', 'KIND', 'NAME', 'ORDERS', 'TAKEN'], r.byTier.map((t) => [String(t.tier + 1), t.kind, t.name, String(t.orders), String(t.taken)]), [true, false, false, true, true]);

  console.log("\nOrders' wait, minutes from distribution start to a dealer's take:");
  printTable(['', 'COUNT', 'AVERAGE', 'MEDIAN', 'P90'], [statsRow('simulated', r.minutesToAssignment.simulated), statsRow('actual', r.minutesToAssignment.actual)], [false, true, true, true, true]);
  console.log("\nDealers' take time, seconds from the offer becoming visible:");
  printTable(['', 'COUNT', 'AVERAGE', 'MEDIAN', 'P90'], [statsRow('simulated', r.secondsToTake.simulated), statsRow('actual', r.secondsToTake.actual)], [false, true, true, true, true]);
}

function statsRow(label: string, s: Stats | null): string[] {
  return s ? [label, String(s.count), String(s.average), String(s.median), String(s.p90)] : [label, '0', '-', '-', '-'];
}

/** An ISO date (midnight UTC) or instant, as the ISO instant the core expects. */
function instant(value: string, option: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) fail(`${option} must be an ISO date or instant (2026-11-01 or 2026-11-01T08:00:00Z), got "${value}".`);
  return new Date(ms).toISOString();
}
