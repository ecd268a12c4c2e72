import type { Database } from '../../core/db/database.ts';
import type { SyncRequestReceipt, SyncTrigger } from '../../core/ports.ts';
import type { ConnectorRegistry } from '../registry.ts';
import type { SyncOutcome } from '../processors/sync-channel.ts';

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
  /** Re-reads the enabled channels and their cron expressions. */
  scheduleChannels(): Promise<void>;
  /** Subscribes to finished sync attempts (processed by this process's workers); returns unsubscribe. */
  onSyncFinished(listener: SyncFinishedListener): () => void;
}

/** Deterministic id of a channel's waiting sync (BullMQ ids must not contain ':'). */
export function syncJobId(channelId: string): string {
  return `sync-${channelId}`;
}

export const DEFAULT_SYNC_SCHEDULE = '*/5 * * * *';
export const SYNC_QUEUE = 'sync-channel';

export interface RetryPolicy {
  attempts: number;
  /** First backoff delay; doubled per attempt. */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, backoffMs: 5_000 };
