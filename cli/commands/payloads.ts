import type { Command } from 'commander';
import { cliActor } from '../../core/audit/actor.ts';
import { acknowledgePayload } from '../../core/orders/payload-attention.ts';
import { getRawPayload, listRawPayloads } from '../../core/orders/raw-payload-queries.ts';
import { fail, positiveInteger, printTable, when, withHub } from '../support.ts';

const MAX_LISTED_ERROR = 80;
/** Where it came from: an uploaded file's name, a webhook topic, a pulled page's URL. */
const MAX_LISTED_SOURCE = 40;

/**
 * `hub payloads list [--failed [--all]] [--channel <name|id>] [--limit <n>]`, `hub payloads show <id>`
 * and `hub payloads ack <id> --reason "…"`: the raw archive as ops read it (what arrived, what
 * became of it, and why it failed), and failures ops have looked at and let be.
 */
export function registerPayloadCommands(program: Command): void {
  const payloads = program.command('payloads').description('stored raw payloads (pulled pages, webhooks, uploads), newest first');

  payloads
    .command('list')
    .description('list stored payloads without their bodies, newest first')
    .option('--failed', 'only those that need a look: failed or partly failed (not acknowledged), or left pending for over 5 minutes')
    .option('--all', 'with --failed: acknowledged failures too')
    .option('--channel <channel>', 'only this channel (name or id)')
    .option('--limit <n>', 'how many (at most 200)', positiveInteger('--limit'), 20)
    .option('--json', 'machine-readable output')
    .action(async (options: { failed?: boolean; all?: boolean; channel?: string; limit: number; json?: boolean }) => {
      await withHub(async (hub) => {
        const channelId = options.channel ? (await hub.channels.find(options.channel)).id : undefined;
        const page = await listRawPayloads(hub.db, { status: options.failed ? 'errors' : undefined, includeAcknowledged: options.all === true, channelId, limit: options.limit });
        if (options.json) return void console.log(JSON.stringify(page.items, null, 2));
        if (page.items.length === 0) return void console.log(options.failed ? 'No failed payloads.' : 'No payloads.');
        const names = new Map((await hub.channels.list()).map((c) => [c.id, c.name]));
        printTable(
          ['ID', 'CHANNEL', 'KIND', 'SOURCE', 'STATUS', 'ORDERS', 'RECEIVED', 'ERROR'],
          page.items.map((p) => [
            p.id,
            names.get(p.channelId) ?? p.channelId,
            p.kind,
            shorten(p.source ?? '', MAX_LISTED_SOURCE),
            p.acknowledgedAt ? `${p.status} (acknowledged)` : p.status,
            String(p.orderCount),
            when(p.receivedAt),
            shorten(p.error ?? ''),
          ]),
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
        if (p.acknowledgedAt) lines.push(['Acknowledged', `${when(p.acknowledgedAt)} by ${p.acknowledgedBy ?? '?'}: ${p.acknowledgeReason ?? ''}`]);
        if (p.resolvedAt) lines.push(['Resolved', `${when(p.resolvedAt)} by a reprocess ${p.resolvedBy ?? '?'} asked for`]);
        if (p.bodyPurgedAt) lines.push(['Body', `dropped by retention ${when(p.bodyPurgedAt)}, exported to ${p.bodyArchive ?? '?'}`]);
        const width = Math.max(...lines.map(([label]) => label.length)) + 1;
        for (const [label, value] of lines) console.log(`${`${label}:`.padEnd(width)} ${value}`);
        console.log(p.text ? `--- body (${p.bytes} bytes, read as ${p.encoding}) ---` : `--- body (${p.bytes} bytes, not text: the first bytes in hex) ---`);
        console.log(p.body);
      });
    });

  registerAck(payloads);
}

function registerAck(payloads: Command): void {
  payloads
    .command('ack <id>')
    .description('acknowledge a failed payload: it stays failed, with who (you, as cli:<OS user>), when and why, and leaves `payloads list --failed`')
    .requiredOption('--reason <text>', 'why nothing more is to be done with it')
    .action(async (id: string, options: { reason: string }) => {
      if (!options.reason.trim()) fail('Say why: --reason "…"');
      await withHub(async (hub) => {
        const ack = await acknowledgePayload(hub.db, id, cliActor(), options.reason);
        console.log(`Acknowledged ${ack.payloadId} (${ack.status}) as ${ack.acknowledgedBy}: ${ack.reason}`);
      });
    });
}

function shorten(text: string, max = MAX_LISTED_ERROR): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
