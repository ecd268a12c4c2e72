import type { Command } from 'commander';
import { DealerService, type DealerView } from '../../core/dealers/dealer-service.ts';
import { auditCli, defaultUser, fail, integer, listIn, positiveInteger, printTable, readJsonFile, when, withHub } from '../support.ts';

/**
 * `hub dealers …`: load the dealer network from 1C's JSON (idempotent by code), list and show
 * dealers, replace an assortment, see and adjust points. Everything goes through DealerService,
 * which validates input and keeps points equal to their ledger.
 */
export function registerDealerCommands(program: Command): void {
  const dealers = program.command('dealers').description('dealers of the network: profiles, regions, assortment and points');

  dealers
    .command('load <file>')
    .description('load dealers from JSON: [{code, name, mainRegion, extraRegions?, authorised?, ...}] or {"dealers": [...]}; idempotent by code')
    .action(async (file: string) => {
      const items = listIn(await readJsonFile(file), 'dealers', file);
      await withHub(async (hub) => {
        const s = await new DealerService(hub.db).load(items);
        await auditCli(hub.db, { action: 'dealer.load', target: { type: 'dealer', id: '*' }, details: { ...s, file } });
        console.log(`Dealers: ${s.received} received, ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged.`);
      });
    });

  dealers
    .command('list')
    .description('list dealers by code; --region matches dealers in, under or around the region')
    .option('--region <code>', 'only dealers that may serve this region')
    .option('--q <text>', 'name or code contains this (case-insensitive)')
    .option('--limit <n>', 'how many (1-1000, default 100)', positiveInteger('--limit'))
    .option('--json', 'machine-readable output')
    .action(async (options: { region?: string; q?: string; limit?: number; json?: boolean }) => {
      await withHub(async (hub) => {
        const list = await new DealerService(hub.db).list({ region: options.region, q: options.q, limit: options.limit });
        if (options.json) return void console.log(JSON.stringify(list, null, 2));
        if (list.dealers.length === 0) return void console.log('No dealers.');
        printTable(
          ['CODE', 'NAME', 'REGION', 'AUTH', 'POINTS', 'ORDERS'],
          list.dealers.map((d) => [d.code, d.name + (d.active ? '' : ' (blocked)'), d.mainRegion, d.authorised ? 'yes' : 'no', String(d.points), String(d.orders)]),
          [false, false, false, false, true, true],
        );
        if (list.total > list.dealers.length) console.log(`${list.dealers.length} of ${list.total} dealers shown; use --limit or narrow with --region / --q.`);
      });
    });

  dealers
    .command('show <code>')
    .description('one dealer: profile, regions, managers, promotions, points and acceptance speed')
    .option('--json', 'machine-readable output')
    .action(async (code: string, options: { json?: boolean }) => {
      await withHub(async (hub) => {
        const dealer = await new DealerService(hub.db).get(code);
        if (options.json) console.log(JSON.stringify(dealer, null, 2));
        else printDealer(dealer);
      });
    });

  dealers
    .command('assortment <code> <file>')
    .description('replace a dealer’s assortment from JSON: {items: [{sku, ownPrice?}], wholeRange?, productLines?} or just the items array')
    .action(async (code: string, file: string) => {
      const document = await readJsonFile(file);
      const input = Array.isArray(document) ? { items: document } : document;
      await withHub(async (hub) => {
        const s = await new DealerService(hub.db).setAssortment(code, input);
        const lines = s.productLines.length > 0 ? s.productLines.join(', ') : 'none';
        console.log(`Assortment of ${code}: ${s.items} product(s); whole range: ${s.wholeRange ? 'yes' : 'no'}; complete product lines: ${lines}.`);
      });
    });

  dealers
    .command('points <code>')
    .description('a dealer’s points changes, newest first')
    .option('--limit <n>', 'how many (1-1000, default 100)', positiveInteger('--limit'))
    .option('--before <id>', 'changes older than this ledger id (the next page)')
    .option('--json', 'machine-readable output')
    .action(async (code: string, options: { limit?: number; before?: string; json?: boolean }) => {
      await withHub(async (hub) => {
        const service = new DealerService(hub.db);
        const changes = await service.pointsHistory(code, { limit: options.limit, beforeId: options.before });
        if (options.json) return void console.log(JSON.stringify(changes, null, 2));
        const dealer = await service.get(code);
        console.log(`Dealer ${dealer.code} (${dealer.name}) has ${dealer.points} points.`);
        if (changes.length === 0) return void console.log('No points changes yet.');
        printTable(
          ['ID', 'WHEN', 'DELTA', 'BALANCE', 'CAUSE', 'ORDER', 'BY', 'NOTE'],
          changes.map((c) => [c.id, when(c.createdAt), signed(c.delta), String(c.balance), c.cause, c.orderId ?? '', c.changedBy ?? '', c.note ?? '']),
          [true, false, true, true, false, false, false, false],
        );
      });
    });

  dealers
    .command('adjust-points <code>')
    .description('change a dealer’s points by hand (recorded in the ledger with the note)')
    .requiredOption('--delta <n>', 'points to add; negative takes away (e.g. --delta=-50)', integer('--delta'))
    .requiredOption('--note <text>', 'why (the ledger’s only explanation)')
    .option('--by <user>', 'on whose behalf (default: cli:<OS user>)', defaultUser())
    .action(async (code: string, options: { delta: number; note: string; by: string }) => {
      if (options.delta === 0) fail('--delta must not be 0: give the points to add, or a negative number to take away.');
      await withHub(async (hub) => {
        const { balance } = await new DealerService(hub.db).adjustPoints(code, { delta: options.delta, note: options.note }, options.by);
        await auditCli(hub.db, { action: 'dealer.points', target: { type: 'dealer', id: code }, details: { delta: options.delta, note: options.note, balance, by: options.by } });
        console.log(`Dealer ${code}: ${signed(options.delta)} points (${options.note}); balance ${balance}.`);
      });
    });
}

function printDealer(d: DealerView): void {
  const yes = (v: boolean) => (v ? 'yes' : 'no');
  const rows: [string, string][] = [
    ['Code', d.code],
    ['Name', d.name],
    ['Main region', `${d.mainRegion.code} (${d.mainRegion.name})`],
    ['Extra regions', d.extraRegions.map((r) => r.code).join(', ') || '-'],
    ['Active', yes(d.active)],
    ['Authorised', yes(d.authorised)],
    ['Site orders', yes(d.acceptsSiteOrders)],
    ['Call from site', yes(d.callFromSite)],
    ['Points', String(d.points)],
    ['Takes', `${d.takesCount}${d.avgTakeSeconds === null ? '' : `, on average ${Math.round(d.avgTakeSeconds)} s after the offer`}`],
    ['Whole range', yes(d.wholeRange)],
    ['Product lines', d.productLines.join(', ') || '-'],
    ['Assortment', `${d.assortmentCount} product(s)`],
    ['Own prices', d.ownPricesAllowed ? `allowed${d.priceColumn ? `, price column ${d.priceColumn}` : ''}` : 'no'],
    ['Managers', d.managers.map((m) => `${m.login}${m.isHead ? ' (head)' : ''}${m.active ? '' : ' (blocked)'}`).join(', ') || '-'],
    ['Promotions', d.promotions.join(', ') || '-'],
    ['Phones', d.contacts.phones?.join(', ') ?? '-'],
    ['Emails', d.contacts.emails?.join(', ') ?? '-'],
    ['Site', d.contacts.site ?? '-'],
    ['Address', d.contacts.address ?? '-'],
    ['Updated', when(d.updatedAt)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) console.log(`${`${label}:`.padEnd(width + 1)} ${value}`);
  if (d.description) console.log(`\n${d.description}`);
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
