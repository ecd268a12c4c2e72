import type { Command } from 'commander';
import { getRawPayload, listRawPayloads } from '../../core/orders/raw-payload-queries.ts';
import { positiveInteger, printTable, when, withHub } from '../support.ts';

const MAX_LISTED_ERROR = 80;
/** Where it came from: an uploaded file's name, a webhook topic, a pulled page's URL. */
const MAX_LISTED_SOURCE = 40;

/**
 * `hub payloads list [--failed] [--channel <name|id>] [--limit <n>]` and `hub payloads show <id>`:
 * the raw archive as ops read it (what arrived, what became of it, and why it failed).
 */
export function registerPayloadCommands(program: Command): void {
  const payloads = program.command('payloads').description('stored raw payloads (pulled pages, webhooks, uploads), newest first');

  payloads
    .command('list')
    .description('list stored payloads without their bodies, newest first')
    .option('--failed', 'only those that need a look: failed, partly failed, or left pending for over 5 minutes')
    .option('--channel <channel>', 'only this channel (name or id)')
    .option('--limit <n>', 'how many (at most 200)', positiveInteger('--limit'), 20)
    .option('--json', 'machine-readable output')
    .action(async (options: { failed?: boolean; channel?: string; limit: number; json?: boolean }) => {
      await withHub(async (hub) => {
        const channelId = options.channel ? (await hub.channels.find(options.channel)).id : undefined;
        const page = await listRawPayloads(hub.db, { status: options.failed ? 'errors' : undefined, channelId, limit: options.limit });
        if (options.json) return void console.log(JSON.stringify(page.items, null, 2));
        if (page.items.length === 0) return void console.log(options.failed ? 'No failed payloads.' : 'No payloads.');
        const names = new Map((await hub.channels.list()).map((c) => [c.id, c.name]));
        printTable(
          ['ID', 'CHANNEL', 'KIND', 'SOURCE', 'STATUS', 'ORDERS', 'RECEIVED', 'ERROR'],
          page.items.map((p) => [p.id, names.get(p.channelId) ?? p.channelId, p.kind, shorten(p.source ?? '', MAX_LISTED_SOURCE), p.status, String(p.orderCount), when(p.receivedAt), shorten(p.error ?? '')]),
          [false, false, false, false, false, true],
        );
        if (page.nextCursor) console.log(`(more: raise --limit, or page through GET /v1/raw-payloads)`);
      });
    });

  payloads
    .command('show <id>')
    .description('one payload: where it came from, what became of it, its error, and the body (its text, or a hex dump when it is not text)')
    .action(async (id: string) => {
      await withHub(async (hub) => {
        const p = await getRawPayload(hub.db, id);
        const channel = (await hub.channels.list()).find((c) => c.id === p.channelId);
        const lines: [string, string][] = [
          ['Payload', p.id],
          ['Channel', channel ? `${channel.name} (${p.channelId})` : p.channelId],
          ['Kind', p.kind],
          ['Source', p.source ?? ''],
          ['Content type', p.contentType ?? ''],
          ['Encoding', p.text ? p.encoding : `${p.encoding} (not text)`],
          ['SHA-256', p.hash],
          ['Status', p.status],
          ['Orders', String(p.orderCount)],
          ['Attempts', String(p.attempts)],
          ['Received', `${when(p.receivedAt)}${p.receivedCount > 1 ? ` (${p.receivedCount} times, last ${when(p.lastReceivedAt)})` : ''}`],
          ['Processed', when(p.processedAt) || 'not yet'],
        ];
        if (p.errorCode || p.error) lines.push(['Error', `${p.errorCode ?? ''}${p.errorCode && p.error ? ': ' : ''}${p.error ?? ''}`]);
        for (const warning of p.warnings) lines.push(['Warning', warning]);
        const width = Math.max(...lines.map(([label]) => label.length)) + 1;
        for (const [label, value] of lines) console.log(`${`${label}:`.padEnd(width)} ${value}`);
        console.log(p.text ? `--- body (${p.bytes} bytes, read as ${p.encoding}) ---` : `--- body (${p.bytes} bytes, not text: the first bytes in hex) ---`);
        console.log(p.body);
      });
    });
}

function shorten(text: string, max = MAX_LISTED_ERROR): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
