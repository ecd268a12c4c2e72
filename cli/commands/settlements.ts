import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AccountingSyncView, SettlementsView } from '../../core/model/settlements.ts';
import { listAccountingSyncs } from '../../core/settlements/accounting-syncs.ts';
import { SettlementService } from '../../core/settlements/settlement-service.ts';
import { money } from '../../core/settlements/statement.ts';
import { STATEMENT_FORMATS, statementFile, type StatementFormat } from '../../core/settlements/statement-file.ts';
import { Decimal } from 'decimal.js';
import { accountingSourceOf } from '../../jobs/accounting.ts';
import { auditCli, defaultUser, fail, positiveInteger, printTable, when, withHub } from '../support.ts';

/**
 * `hub 1c …` syncs dealers and settlements from 1C (HUB_1C_*), in the foreground, and lists the syncs;
 * `hub settlements …` shows a dealer's settlements and writes its reconciliation statement.
 * A failed sync prints 1C's words and exits 1.
 */
export function registerSettlementCommands(program: Command): void {
  // One `hub 1c` group: the exchange's commands (cli/commands/onec.ts) and these.
  const onec = program.commands.find((c) => c.name() === '1c') ?? program.command('1c');

  onec
    .command('check')
    .description('ask 1C whether it answers and publishes what the hub reads (OData: $metadata against the preset)')
    .action(async () => {
      await withHub(async (hub) => {
        const report = await accountingSourceOf(hub.config.onec).check();
        console.log(report.message);
        if (!report.ok) fail('1C is not ready for the hub.');
      });
    });

  onec
    .command('sync-dealers')
    .description("read 1C's counterparties into dealers: code, name, tax id, price column, region, manager")
    .action(async () => {
      await withHub(async (hub) => {
        const run = await hub.actions.syncAccounting!({ what: 'dealers', trigger: 'cli', requestedBy: defaultUser() });
        await auditCli(hub.db, { action: 'accounting.sync.dealers', target: { type: 'accounting_sync', id: run.id }, details: { status: run.status } });
        reportRun(run);
      });
    });

  onec
    .command('sync-settlements')
    .description("read the dealers' settlements and documents of a period from 1C (default: this month so far)")
    .option('--from <day>', 'first day, YYYY-MM-DD')
    .option('--to <day>', 'last day, YYYY-MM-DD')
    .action(async (options: { from?: string; to?: string }) => {
      for (const [name, day] of Object.entries(options)) if (day && !/^\d{4}-\d{2}-\d{2}$/.test(day)) fail(`--${name} must be a day like 2026-01-31`);
      await withHub(async (hub) => {
        const run = await hub.actions.syncAccounting!({ what: 'settlements', from: options.from, to: options.to, trigger: 'cli', requestedBy: defaultUser() });
        await auditCli(hub.db, { action: 'accounting.sync.settlements', target: { type: 'accounting_sync', id: run.id }, details: { status: run.status, from: run.from, to: run.to } });
        reportRun(run);
      });
    });

  onec
    .command('syncs')
    .description('the latest syncs with 1C, newest first')
    .option('--limit <n>', 'how many (default 20)', positiveInteger('--limit'))
    .action(async (options: { limit?: number }) => {
      await withHub(async (hub) => {
        const runs = await listAccountingSyncs(hub.db, { limit: options.limit ?? 20 });
        if (runs.length === 0) return void console.log('No syncs with 1C yet.');
        printTable(
          ['STARTED', 'KIND', 'SOURCE', 'PERIOD', 'STATUS', 'READ', 'NEW', 'CHANGED', 'FAILED', 'ERROR'],
          runs.map((r) => [when(r.startedAt), r.kind, r.source, r.from ? `${r.from}…${r.to}` : '', r.status, String(r.received), String(r.created), String(r.updated), String(r.failed), r.error ?? '']),
          [false, false, false, false, false, true, true, true, true, false],
        );
      });
    });

  const settlements = program.command('settlements').description("dealers' settlements with the manufacturer, as 1C reported them");

  settlements
    .command('show <dealer>')
    .description("a dealer's opening balance, movements, closing balance and documents for a period")
    .requiredOption('--from <day>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <day>', 'last day, YYYY-MM-DD')
    .option('--json', 'machine-readable output')
    .action(async (dealer: string, options: { from: string; to: string; json?: boolean }) => {
      await withHub(async (hub) => {
        const view = await new SettlementService(hub.db).forPeriod(dealer, options.from, options.to);
        if (options.json) return void console.log(JSON.stringify(view, null, 2));
        printSettlements(view);
      });
    });

  settlements
    .command('statement <dealer>')
    .description('write the reconciliation statement (акт сверки) of a period as CSV or PDF')
    .requiredOption('--from <day>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <day>', 'last day, YYYY-MM-DD')
    .option('--format <format>', 'csv or pdf', 'pdf')
    .requiredOption('--out <file>', 'where to write it')
    .action(async (dealer: string, options: { from: string; to: string; format: string; out: string }) => {
      if (!Object.hasOwn(STATEMENT_FORMATS, options.format)) fail(`--format must be ${Object.keys(STATEMENT_FORMATS).join(' or ')}`);
      await withHub(async (hub) => {
        const file = await statementFile(hub.db, dealer, options, options.format as StatementFormat, hub.config.onec?.companyName);
        await writeFile(options.out, file.bytes);
        console.log(`Wrote ${file.title} for ${dealer} to ${options.out} (${file.bytes.length} bytes, ${options.format.toUpperCase()}).`);
      });
    });
}

function reportRun(run: AccountingSyncView): void {
  const period = run.from ? ` for ${run.from}…${run.to}` : '';
  console.log(
    `1C ${run.kind} sync${period} ${run.status}: ${run.received} read, ${run.created} new, ${run.updated} changed, ${run.unchanged} unchanged, ${run.failed} failed` +
      (run.kind === 'settlements' ? `, ${run.documents} documents.` : '.'),
  );
  for (const problem of run.errors) console.log(`  ${problem.dealer ? `${problem.dealer}: ` : ''}${problem.message}`);
  if (run.status === 'failed') fail(`1C ${run.kind} sync failed: ${run.error ?? 'no reason given'}`);
}

function printSettlements(view: SettlementsView): void {
  const m = (amount: string | null) => (amount === null ? '—' : money(new Decimal(amount)));
  console.log(`${view.dealer.name} (${view.dealer.code}${view.dealer.taxId ? `, ИНН ${view.dealer.taxId}` : ''}), ${view.from}…${view.to}, ${view.currency}`);
  printTable(
    ['OPENING', 'SHIPPED', 'PAID', 'RETURNS', 'CLOSING', 'OVERDUE', 'CREDIT LIMIT'],
    [[m(view.opening), m(view.shipped), m(view.paid), m(view.returns), m(view.closing), m(view.overdue), m(view.creditLimit)]],
    [true, true, true, true, true, true, true],
  );
  if (view.basis === 'derived') console.log('Derived from a wider synced period and its documents; sync exactly this period for 1C’s own figures.');
  if (view.documents.length === 0) return void console.log('No documents in the period.');
  printTable(
    ['DATE', 'KIND', 'NUMBER', 'AMOUNT', 'ORDER'],
    view.documents.map((d) => [d.date.slice(0, 10), d.kind, d.number, m(d.amount), d.orderNumber ?? '']),
    [false, false, false, true, false],
  );
  console.log(`Synced from 1C ${when(view.syncedAt)}.`);
}
