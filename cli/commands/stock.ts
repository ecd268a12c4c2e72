import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { StockService } from '../../core/stock/stock-service.ts';
import type { StockLoad } from '../../core/stock/stock-schemas.ts';
import { fail, parseJsonObject, printTable, withHub } from '../support.ts';

/** `hub stock …`: load stock, ask what can be had by a date, see the manual-review queue. */
export function registerStockCommands(program: Command): void {
  const stock = program.command('stock').description('stock, availability by date and the manual-review queue');

  stock
    .command('load <file>')
    .description('load products, warehouses, on-hand levels and incoming supply from one JSON document (idempotent)')
    .option('--reason <text>', 'recorded on the ledger rows (default: the file name)')
    .action(async (file: string, options: { reason?: string }) => {
      const document = parseJsonObject(await readFile(file, 'utf8').catch(() => fail(`Cannot read ${file}.`)), file) as StockLoad;
      await withHub(async (hub) => {
        const report = await new StockService(hub.db).load({ ...document, reason: options.reason ?? document.reason ?? `load ${file}` });
        printTable(
          ['WHAT', 'CREATED', 'UPDATED', 'UNCHANGED'],
          (['products', 'warehouses', 'levels', 'incoming'] as const).map((k) => [k, String(report[k].created), String(report[k].updated), String(report[k].unchanged)]),
          [false, true, true, true],
        );
        for (const r of report.released) console.log(`Released ${r.quantity} ${r.sku} of order ${r.orderId}: ${r.why} (back in review)`);
      });
    });

  stock
    .command('availability')
    .description('what can be confirmed for a quantity of a SKU (by a date), from which sources, and when the rest arrives')
    .requiredOption('--sku <sku>', 'the product')
    .requiredOption('--qty <n>', 'quantity, a decimal like 12.5')
    .option('--by <date>', 'needed by YYYY-MM-DD')
    .option('--json', 'machine-readable output')
    .action(async (options: { sku: string; qty: string; by?: string; json?: boolean }) => {
      await withHub(async (hub) => {
        const answer = await new StockService(hub.db).availability([{ sku: options.sku, quantity: options.qty, ...(options.by && { neededBy: options.by }) }]);
        const line = answer.lines[0]!;
        if (options.json) {
          console.log(JSON.stringify(line, null, 2));
          return;
        }
        console.log(`${line.sku}: ${line.status}, ${line.allocated} of ${line.quantity}${line.neededBy ? ` by ${line.neededBy}` : ''}${line.reason ? ` (${line.reason})` : ''}`);
        const rows = [
          ...line.sources.map((s) => ['take', s.kind, s.warehouse, s.reference ?? '', s.expectedOn ?? 'now', s.quantity]),
          ...line.restArrives.map((s) => ['later', s.kind, s.warehouse, s.reference ?? '', s.expectedOn ?? '', s.quantity]),
        ];
        if (rows.length > 0) printTable(['', 'SOURCE', 'WAREHOUSE', 'REFERENCE', 'AVAILABLE', 'QTY'], rows, [false, false, false, false, false, true]);
      });
    });

  stock
    .command('reviews')
    .description('orders whose stock check waits for a manager (the manual-review queue)')
    .option('--status <status>', 'open (default), resolved or none', 'open')
    .option('--json', 'machine-readable output')
    .action(async (options: { status: string; json?: boolean }) => {
      if (!['open', 'resolved', 'none'].includes(options.status)) fail('--status is open, resolved or none.');
      await withHub(async (hub) => {
        const items = await new StockService(hub.db).listReviews({ status: options.status as 'open' | 'resolved' | 'none' });
        if (options.json) {
          console.log(JSON.stringify(items, null, 2));
          return;
        }
        if (items.length === 0) {
          console.log(`No ${options.status} reviews.`);
          return;
        }
        printTable(
          ['CHECK', 'ORDER', 'V', 'RESULT', 'SINCE', 'REASON'],
          items.map((r) => [r.id, r.orderNumber ?? r.orderExternalId, String(r.orderVersion), r.result, r.createdAt.slice(0, 16).replace('T', ' '), r.reason ?? '']),
          [false, false, true, false, false, false],
        );
      });
    });
}
