import type { Command } from 'commander';
import { cliActor } from '../../core/audit/actor.ts';
import type { ReconcileFindings } from '../../core/channels/reconciliation.ts';
import { channelSyncStatus } from '../../core/channels/sync-status.ts';
import { reconcileChannel } from '../../jobs/processors/reconcile-channel.ts';
import { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import { fail, printTable, withHub } from '../support.ts';

function parseSince(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) fail(`--since "${text}" is not a date: give e.g. 2026-11-01 or 2026-11-01T08:00:00Z.`);
  return date;
}

/** One line of a reconciliation's findings. */
export function describeFindings(findings: Pick<ReconcileFindings, 'checked' | 'missing' | 'stale' | 'fetched' | 'failed'>): string {
  return `checked ${findings.checked}, missing ${findings.missing}, stale ${findings.stale}, fetched ${findings.fetched}, failed ${findings.failed}`;
}

/**
 * hub channels resync / reconcile / runs: set a channel's cursor back and sync again, compare the
 * shop's orders with the hub's now, and the run history with what reconciliations found.
 */
export function registerReconcileCommands(channels: Command): void {
  channels
    .command('resync <channel>')
    .description('set the sync cursor back to --since (without it: read everything again) and sync; refused while a sync runs')
    .option('--since <date>', 'read again every order changed since then (ISO date or date-time, UTC)')
    .option('--json', 'print the receipt as JSON')
    .action(async (ref: string, options: { since?: string; json?: boolean }) => {
      const since = parseSince(options.since);
      await withHub(async (hub) => {
        const channel = await hub.channels.find(ref);
        const receipt = await hub.actions.resyncChannel(channel.id, { since, requestedBy: cliActor().login });
        if (!options.json) {
          console.log(`Cursor of "${channel.name}" set back ${receipt.since ? `to ${receipt.since}` : 'for a full re-read'} (run ${receipt.runId}).`);
        }
        if (hub.runner instanceof InProcessRunner) {
          // No workers elsewhere: the sync runs here, in the foreground.
          if (!options.json) console.log('Syncing now…');
          await hub.runner.whenIdle(channel.id);
        } else if (!options.json) {
          console.log(receipt.sync.queued ? `Sync queued (job ${receipt.sync.jobId}).` : `A sync was already waiting (job ${receipt.sync.jobId}); it reads from the new cursor.`);
        }
        if (options.json) console.log(JSON.stringify(receipt, null, 2));
      });
    });

  channels
    .command('reconcile <channel>')
    .description("compare the shop's order ids and modification times with the hub's now, and fetch what is missing or stale")
    .option('--since <date>', "compare from then instead of the channel's window (reconcileWindowDays)")
    .option('--json', 'print the findings as JSON')
    .action(async (ref: string, options: { since?: string; json?: boolean }) => {
      const since = parseSince(options.since);
      await withHub(async (hub) => {
        const channel = await hub.channels.find(ref);
        const outcome = await reconcileChannel(hub.context, channel.id, { since, requestedBy: cliActor().login });
        if (outcome.status === 'skipped') {
          fail(outcome.reason === 'disabled' ? `Channel "${channel.name}" is disabled.` : `A sync of "${channel.name}" is running; reconcile when it has finished.`);
        }
        if (options.json) {
          console.log(JSON.stringify({ status: outcome.status, runId: outcome.runId, findings: outcome.findings }, null, 2));
        } else {
          console.log(`Reconciled "${channel.name}" (${outcome.status}): ${describeFindings(outcome.findings)}.`);
          if (outcome.findings.failed > 0) console.log(`Not fetched or not read: ${outcome.findings.failedIds.join(', ')}. See hub payloads list --failed --channel ${channel.id}`);
          for (const warning of outcome.findings.warnings) console.log(`Warning: ${warning}`);
        }
        if (outcome.status === 'partial') process.exitCode = 1;
      });
    });

  channels
    .command('runs <channel>')
    .description('the newest sync runs of a channel: syncs, reconciliations (with their findings) and resyncs (with who asked)')
    .option('--json', 'print the runs as JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      await withHub(async (hub) => {
        const channel = await hub.channels.find(ref);
        const status = await channelSyncStatus(hub.db, channel.id);
        if (options.json) {
          console.log(JSON.stringify(status.recentRuns, null, 2));
          return;
        }
        printTable(
          ['STARTED', 'TRIGGER', 'STATUS', 'WHAT', 'BY'],
          status.recentRuns.map((run) => {
            const findings = run.findings as Partial<ReconcileFindings> & { since?: string | null };
            const what =
              run.trigger === 'reconcile' && findings && typeof findings.checked === 'number'
                ? describeFindings(findings as ReconcileFindings)
                : run.trigger === 'resync' && findings
                  ? `cursor set back ${findings.since ? `to ${findings.since}` : 'for a full re-read'}`
                  : `${run.counts.pages} page(s), ${run.counts.created} created, ${run.counts.updated} updated, ${run.counts.failed} failed`;
            return [run.startedAt, run.trigger, run.status, what, run.requestedBy ?? ''];
          }),
        );
      });
    });
}
