import type { Command } from 'commander';
import { runRetention } from '../../jobs/processors/retention.ts';
import { fail, printTable, when, withHub } from '../support.ts';

/**
 * `hub jobs failed`, `hub jobs retry <id>|--all` (the dead letters of the sync and payload queues)
 * and `hub retention run [--dry-run]`.
 */
export function registerJobCommands(program: Command): void {
  const jobs = program.command('jobs').description('jobs that failed for good (BullMQ queues; in-process jobs keep none)');

  jobs
    .command('failed')
    .description('list the jobs that failed for good, newest first, with their error and attempts')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      await withHub(async (hub) => {
        const list = await hub.runner.failedJobs();
        if (options.json) return void console.log(JSON.stringify(list, null, 2));
        if (list.items.length === 0) return void console.log(list.note ? `No failed jobs: ${list.note}.` : 'No failed jobs.');
        printTable(
          ['ID', 'JOB', 'FOR', 'ATTEMPTS', 'FAILED', 'ERROR'],
          list.items.map((j) => [j.id, j.name, j.channelId ? `channel ${j.channelId}` : j.payloadId ? `payload ${j.payloadId}` : '', `${j.attemptsMade}/${j.attempts}`, when(j.failedAt), j.error.slice(0, 100)]),
        );
      });
    });

  jobs
    .command('retry [id]')
    .description('run a failed job again (its id as `hub jobs failed` lists it), or every one with --all')
    .option('--all', 'every failed job')
    .action(async (id: string | undefined, options: { all?: boolean }) => {
      if (!id && !options.all) fail('Give a job id (hub jobs failed lists them), or --all.');
      await withHub(async (hub) => {
        if (options.all) return void console.log(`${await hub.runner.retryAllFailedJobs()} failed job(s) queued again.`);
        await hub.runner.retryFailedJob(id!);
        console.log(`Job ${id} queued again.`);
      });
    });

  program
    .command('retention')
    .description('retention of payload bodies, sync runs and finished jobs (HUB_RETENTION_*)')
    .command('run')
    .description('export old payload bodies and 1C exchange files to the archive and drop them, delete old sync runs, 1C exchange sessions and finished jobs')
    .option('--dry-run', 'count what would go; change nothing')
    .option('--json', 'machine-readable output')
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      await withHub(async (hub) => {
        const settings = hub.config.retention;
        const report = await runRetention(hub.context, settings, { dryRun: options.dryRun === true, cleanJobs: (ms) => hub.runner.cleanFinishedJobs(ms) });
        if (options.json) return void console.log(JSON.stringify(report, null, 2));
        const kept = (days: number) => (days > 0 ? `older than ${days} day(s)` : 'kept for ever');
        if (report.dryRun) {
          console.log(`Dry run: ${report.payloads.eligible} payload bodies (${report.payloads.bytes} bytes; ${kept(settings.payloadDays)}) would be exported to ${settings.archiveDir} and dropped; ${report.runs.eligible} sync runs (${kept(settings.runDays)}) deleted.`);
          console.log(
            `Dry run, 1C exchange: the bytes of ${report.exchange.files.eligible} file(s) (${report.exchange.files.bytes} bytes; ${kept(settings.payloadDays)}) would be exported and dropped; ${report.exchange.sessions.eligible} session(s) (${kept(settings.runDays)}) deleted.`,
          );
          return;
        }
        console.log(`Payload bodies: ${report.payloads.purged} exported to ${report.payloads.archive ?? '(none)'} and dropped (${kept(settings.payloadDays)}).`);
        console.log(`Sync runs: ${report.runs.deleted} deleted (${kept(settings.runDays)}).`);
        console.log(`1C exchange files: the bytes of ${report.exchange.files.purged} exported to ${report.exchange.files.archive ?? '(none)'} and dropped (${kept(settings.payloadDays)}).`);
        console.log(`1C exchange sessions: ${report.exchange.sessions.deleted} deleted with their files (${kept(settings.runDays)}, once their files' bytes are gone).`);
        console.log(`Finished jobs: ${report.jobs ? `${report.jobs.removed} removed${report.jobs.note ? ` (${report.jobs.note})` : ''}` : 'kept'} (${kept(settings.jobDays)}).`);
      });
    });
}
