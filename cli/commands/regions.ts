import type { Command } from 'commander';
import { ExclusivityService } from '../../core/exclusivity/exclusivity-service.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { auditCli, collect, listIn, printTable, readJsonFile, withHub } from '../support.ts';

/**
 * `hub regions load <file>`, `hub regions list`, `hub exclusivity load <file>`,
 * `hub exclusivity check --dealer CODE --region CODE[,CODE] --sku SKU [--date YYYY-MM-DD]`.
 * Loads are idempotent: regions by code, rules by externalId.
 */
export function registerRegionCommands(program: Command): void {
  const regions = program.command('regions').description('the region hierarchy (country → region → city)');

  regions
    .command('load <file>')
    .description('load a region tree from JSON: [{code, name, level, parentCode?}] or {"regions": [...]}; idempotent')
    .action(async (file: string) => {
      const items = listIn(await readJsonFile(file), 'regions', file);
      await withHub(async (hub) => {
        const s = await new RegionService(hub.db).load(items);
        console.log(`Regions: ${s.received} received, ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ${s.descendantsMoved} moved with their parent.`);
      });
    });

  regions
    .command('list')
    .description('list regions in tree order')
    .option('--under <code>', 'only this region and what lies under it')
    .option('--json', 'machine-readable output')
    .action(async (options: { under?: string; json?: boolean }) => {
      await withHub(async (hub) => {
        const items = await new RegionService(hub.db).list({ under: options.under });
        if (options.json) return void console.log(JSON.stringify(items, null, 2));
        if (items.length === 0) return void console.log('No regions.');
        printTable(['CODE', 'NAME', 'LEVEL', 'PATH'], items.map((r) => [r.code, r.name, r.level, r.path]));
      });
    });

  const exclusivity = program.command('exclusivity').description('regional exclusivity rules');

  exclusivity
    .command('load <file>')
    .description('load rules from JSON: [{externalId, scope, value, regionCode, dealerCodes, validFrom?, validTo?, note?}] or {"rules": [...]}; idempotent by externalId')
    .action(async (file: string) => {
      const items = listIn(await readJsonFile(file), 'rules', file);
      await withHub(async (hub) => {
        const s = await new ExclusivityService(hub.db).load(items);
        await auditCli(hub.db, { action: 'exclusivity-rule.load', target: { type: 'exclusivity-rule', id: '*' }, details: { ...s, file } });
        console.log(`Exclusivity rules: ${s.received} received, ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged.`);
      });
    });

  exclusivity
    .command('check')
    .description('may a dealer order these SKUs? a verdict per SKU with the reason (exit code 2 when any is refused)')
    .requiredOption('--dealer <code>', 'the dealer code')
    .option('--delivery-region <code>', 'where the purchase is delivered (the dealer’s registered regions are always judged)')
    .requiredOption('--sku <sku>', 'a SKU (repeat for several)', collect, [])
    .option('--date <date>', 'the day of the order, YYYY-MM-DD (default today, UTC)')
    .option('--json', 'machine-readable output')
    .action(async (options: { dealer: string; deliveryRegion?: string; sku: string[]; date?: string; json?: boolean }) => {
      await withHub(async (hub) => {
        const check = await new ExclusivityService(hub.db).checkDealerLines(options.dealer, options.sku.map((sku) => ({ sku })), options.date, options.deliveryRegion);
        if (options.json) console.log(JSON.stringify(check, null, 2));
        else {
          printTable(['SKU', 'VERDICT', 'REASON'], check.lines.map((l) => [l.sku ?? l.productId ?? '', l.allowed ? 'allowed' : 'REFUSED', l.reason]));
          console.log(`Dealer ${check.dealerCode} on ${check.date}: ${check.allowed ? 'every line allowed' : 'refused for some lines'}.`);
        }
        if (!check.allowed) process.exitCode = 2;
      });
    });
}

