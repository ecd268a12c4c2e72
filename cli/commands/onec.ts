import type { Command } from 'commander';
import { OrderLifecycle } from '../../core/flows/order-lifecycle.ts';
import { getExchange, listExchanges } from '../../core/onec/exchange-log.ts';
import { OnecExchange } from '../../core/onec/onec-exchange.ts';
import { ExchangeStore } from '../../core/onec/exchange-store.ts';
import { onecExchangePorts } from '../../jobs/onec-exchange.ts';
import { positiveInteger, printTable, withHub } from '../support.ts';

/**
 * `hub 1c exchanges [--status failed] [--limit n] [--json]`, `hub 1c exchange <id>` and
 * `hub 1c reimport <fileId>`: 1C's exchange sessions as ops read them, and a stored file read
 * again from its start after a fix (the bytes 1C sent are never lost).
 */
export function registerOnecCommands(program: Command): void {
  const onec = program.command('1c').description("1C: the CommerceML exchange (обмен с сайтом) and its files; dealers and settlements (HUB_1C_ODATA_URL or HUB_1C_SOAP_WSDL / HUB_1C_SOAP_URL)");

  onec
    .command('exchanges')
    .description('exchange sessions, newest first: who, type, files, bytes, counts, error')
    .option('--status <status>', 'open, succeeded or failed')
    .option('--limit <n>', 'how many (at most 200)', positiveInteger('--limit'), 20)
    .option('--json', 'machine-readable output')
    .action(async (options: { status?: 'open' | 'succeeded' | 'failed'; limit: number; json?: boolean }) => {
      await withHub(async (hub) => {
        const items = await listExchanges(hub.db, { status: options.status, limit: Math.min(options.limit, 200) });
        if (options.json) return void console.log(JSON.stringify(items, null, 2));
        if (items.length === 0) return void console.log('No 1C exchanges yet.');
        printTable(
          ['ID', 'STARTED', 'USER', 'TYPE', 'STATUS', 'FILES', 'BYTES', 'COUNTS', 'ERROR'],
          items.map((s) => [s.id, s.createdAt, s.login, s.type, s.status, String(s.files), String(s.bytes), Object.entries(s.counts).map(([k, v]) => `${k}=${v}`).join(' '), (s.error ?? '').slice(0, 80)]),
          [false, false, false, false, false, true, true, false, false],
        );
      });
    });

  onec
    .command('exchange <id>')
    .description('one exchange session: every call and every file with its import position and error')
    .action(async (id: string) => {
      await withHub(async (hub) => console.log(JSON.stringify(await getExchange(hub.db, id), null, 2)));
    });

  onec
    .command('reimport <fileId>')
    .description('read a stored exchange file again from its start (after a fix), to the end')
    .action(async (fileId: string) => {
      await withHub(async (hub) => {
        // A file retention purged is refused in words first, whatever else stands in the way.
        await new ExchangeStore(hub.db).reimportableFile(fileId);
        const exchange = new OnecExchange(hub.db, onecExchangePorts(hub.db), { lifecycle: new OrderLifecycle(hub.db) });
        console.log((await exchange.reimport(fileId)).join('\n'));
      });
    });
}
