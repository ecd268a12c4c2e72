import type { Database } from '../../core/db/database.ts';
import type { FailedJobView, SyncRequestReceipt, SyncTrigger } from '../../core/ports.ts';
import type { ConnectorRegistry } from '../registry.ts';
import type { SyncOutcome } from '../../core/channels/sync-runs.ts';
import type { PayloadOutcome } from '../../core/orders/payload-processing.ts';
import type { AdvanceReport } from '../../core/distribution/distribution-service.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The few log calls jobs make; pino (fastify's logger) and `consoleLogger` both fit. */
export interface JobLogger {
  info(data: object, message?: string): void;
  warn(data: object, message?: string): void;
  error(data: object, message?: string): void;
}

export const silentLogger: JobLogger = { info() {}, warn() {}, error() {} };

/** What every processor needs: the database, connectors and mappings. Jobs carry ids only. */
export interface ProcessorContext {
  db: Database;
  registry: ConnectorRegistry;
  logger?: JobLogger | undefined;
  /** Names this process in lease owners (host/pid by default). */
  workerId?: string | undefined;
  /** Sync lease length; renewed as pages go and by a heartbeat. */
  leaseTtlMs?: number | undefined;
}

/** One sync attempt ended (in either runner). `final` is false when another attempt will follow. */
export interface SyncFinishedEvent {
  channelId: string;
  trigger: SyncTrigger;
  jobId: string;
  attempt: number;
  final: boolean;
  outcome?: SyncOutcome | undefined;
  error?: { code: string; message: string; permanent: boolean } | undefined;
}

export type SyncFinishedListener = (event: SyncFinishedEvent) => void;

/** One attempt at reading a queued payload (a webhook body) ended. `final` is false when another attempt follows. */
export interface PayloadProcessedEvent {
  payloadId: string;
  jobId: string;
  attempt: number;
  final: boolean;
  outcome?: PayloadOutcome | undefined;
  error?: { code: string; message: string } | undefined;
}

export type PayloadProcessedListener = (event: PayloadProcessedEvent) => void;

/** Distribution's advance() ran: at a due moment (the timer) or on the minute's tick. */
export interface DistributionAdvancedEvent {
  trigger: 'due' | 'tick';
  report: AdvanceReport;
}

export type DistributionAdvancedListener = (event: DistributionAdvancedEvent) => void;

/**
 * A job that failed for good (a dead letter): BullMQ's failed set of the sync and payload queues.
 * `id` is `<queue>:<job id>` (what `hub jobs retry` and the API take); it carries ids, never payload data.
 */
export type FailedJob = FailedJobView;

export interface FailedJobList {
  items: FailedJob[];
  /** Why the list is what it is (the in-process runner keeps no failed jobs). */
  note: string | null;
}

/** What retention did to finished jobs. */
export interface JobCleanup {
  removed: number;
  note?: string | undefined;
}

export interface PayloadJobReceipt {
  jobId: string;
  /** False when that payload was already waiting to be read. */
  queued: boolean;
}

/**
 * Runs sync jobs: BullMQ on Redis when REDIS_URL is set, in-process otherwise. Both run the same
 * processor functions; the DB lease keeps syncs of one channel apart whatever runs them.
 */
export interface JobRunner {
  readonly kind: 'bullmq' | 'inprocess';
  /** Starts the workers (when this runner has them) and the channel schedules. */
  start(): Promise<void>;
  /** Graceful: stops schedules, lets running syncs finish, closes connections. */
  stop(): Promise<void>;
  /** Queues one sync of a channel; asking again while one waits or runs queues nothing more. */
  requestSync(channelId: string, trigger: SyncTrigger): Promise<SyncRequestReceipt>;
  /**
   * Re-reads the enabled channels and their cron expressions. A channel whose schedule cannot be
   * set (a bad stored cron) is logged and left out; it never stops the others.
   */
  scheduleChannels(): Promise<void>;
  /** Re-reads one channel and sets, replaces or removes its schedule (created, changed, disabled, deleted). */
  channelChanged(channelId: string): Promise<void>;
  /** Queues the reading of one archived payload (a webhook body); asking twice while it waits queues it once. */
  enqueuePayload(payloadId: string): Promise<PayloadJobReceipt>;
  /** Queues every payload still `pending` after STALE_PENDING_MS (a lost job, a crash); returns how many. */
  sweepPendingPayloads(): Promise<number>;
  /** Subscribes to finished sync attempts (processed by this process's workers); returns unsubscribe. */
  onSyncFinished(listener: SyncFinishedListener): () => void;
  /** Subscribes to finished payload jobs (processed by this process's workers); returns unsubscribe. */
  onPayloadProcessed(listener: PayloadProcessedListener): () => void;
  /** Subscribes to distribution advances run by this process (the due-time timer's and the tick's); returns unsubscribe. */
  onDistributionAdvanced(listener: DistributionAdvancedListener): () => void;
  /**
   * Sends the due channel status updates soon (after a status change was committed, or ops asked for
   * a retry). Best effort: the rows are the truth and the minute's tick sends whatever a lost nudge left.
   */
  nudgeStatusWriteBack(): Promise<void>;
  /** Dead letters: jobs that failed for good, newest first, at most `limit` per queue. */
  failedJobs(limit?: number): Promise<FailedJobList>;
  /** Runs one failed job again (its attempts start over); not_found when there is no such failed job. */
  retryFailedJob(id: string): Promise<void>;
  /** Runs every failed job again; returns how many. */
  retryAllFailedJobs(): Promise<number>;
  /** Retention: removes finished (completed and failed) jobs older than `olderThanMs`. */
  cleanFinishedJobs(olderThanMs: number): Promise<JobCleanup>;
}

/** The key that keeps one waiting sync per channel (BullMQ deduplication id, in-process slot id). */
export function syncJobId(channelId: string): string {
  return `sync-${channelId}`;
}

/** The job id of a payload's processing (BullMQ ids must not contain ':'). */
export function payloadJobId(payloadId: string): string {
  return `payload-${payloadId.replace(/:/g, '-')}`;
}

export const PAYLOAD_QUEUE = 'process-payload';
export const PAYLOAD_JOB = 'process-payload';
export const SWEEP_JOB = 'sweep-pending-payloads';
/** The minute's distribution tick (jobs/processors/distribution.ts advanceDistributions). */
export const ADVANCE_DISTRIBUTION_JOB = 'advance-distribution';
/** The minute's run of due channel status updates (jobs/processors/status-writeback.ts), also the nudge's job name. */
export const SEND_STATUS_UPDATES_JOB = 'send-status-updates';
/** The daily retention job (jobs/processors/retention.ts). */
export const RETENTION_JOB = 'retention';
/** When retention runs unless HUB_RETENTION_SCHEDULE says otherwise. */
export const DEFAULT_RETENTION_SCHEDULE = '17 3 * * *';
/** The reaper of runs whose worker is gone (jobs/processors/reap-sync-runs.ts); runs on SWEEP_SCHEDULE. */
export const REAP_SYNC_RUNS_JOB = 'reap-sync-runs';
/** How often the sweep of stale pending payloads runs. */
export const SWEEP_SCHEDULE = '* * * * *';
/** Delay before a sync skipped because another one held the channel runs again. */
export const DEFAULT_FOLLOW_UP_DELAY_MS = 5_000;

/**
 * The wait before a skipped sync tries again: the follow-up delay, or less when the holder's lease
 * ends sooner (a dead holder's lease is then taken over as soon as it expires).
 */
export function followUpDelay(followUpDelayMs: number, leaseRemainingMs: number | undefined): number {
  if (leaseRemainingMs === undefined) return followUpDelayMs;
  return Math.max(0, Math.min(followUpDelayMs, leaseRemainingMs + 50));
}

export const DEFAULT_SYNC_SCHEDULE = '*/5 * * * *';
export const SYNC_QUEUE = 'sync-channel';

export interface RetryPolicy {
  attempts: number;
  /** First backoff delay; doubled per attempt. */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, backoffMs: 5_000 };
