import type { TSchema } from '@sinclair/typebox';
import type { Actor } from './audit/actor.ts';
import type { AdvanceReport } from './distribution/distribution-service.ts';
import type { RetryReport } from './flows/order-lifecycle.ts';
import type { ManualOrderInput } from './model/manual-order.ts';
import type { AccountingSyncView } from './model/settlements.ts';
import type { PayloadOutcome } from './orders/payload-processing.ts';
import type { QuoteService } from './quotes/quotes.ts';

/**
 * What core and the API know of a connector. Connectors' definitions satisfy it structurally;
 * the composition root (jobs/) hands the catalog in, so core never imports a connector.
 */
export interface ConnectorInfo {
  readonly type: string;
  readonly title: string;
  readonly channelKind: string;
  readonly spec: TSchema;
  readonly secretFields: readonly string[];
}

export type CatalogEntry = ConnectorInfo & {
  canPull: boolean;
  canReceiveWebhooks: boolean;
  /** The connector can set an order's status at the channel (status write-back). */
  canWriteStatus?: boolean;
  /** Schema of the per-channel mapping overrides (Channel.mapping), from the connector's mapping. */
  mappingOptions?: TSchema;
};

export interface ConnectorCatalog {
  get(type: string): CatalogEntry | undefined;
  list(): CatalogEntry[];
}

export interface CheckReport {
  ok: boolean;
  message: string;
  details?: Record<string, unknown>;
}

export type SyncTrigger = 'schedule' | 'manual' | 'demo' | 'reconcile' | 'resync';

export interface SyncRequestReceipt {
  /** The job that will run the sync: the one already waiting or running when asked twice. */
  jobId: string;
  /** False when a sync of this channel was already waiting or running. */
  queued: boolean;
}

/** A resync: the cursor set back (recorded as run `runId`) and the sync queued. */
export interface ResyncReceipt {
  runId: string;
  /** Where the cursor now stands (ISO); null: a full re-read. */
  since: string | null;
  sync: SyncRequestReceipt;
}

export type WebhookReceipt =
  | { kind: 'ping' }
  | { kind: 'accepted'; payloadId: string; duplicate: boolean }
  | { kind: 'rejected'; reason: string }
  /** Larger than the channel accepts: refused (413). Recorded as a failed payload (its start kept) when the sender was authenticated. */
  | { kind: 'too_large'; limit: number; payloadId?: string | undefined };

/** A payload pushed to a channel: a webhook delivery or an uploaded file. */
export interface PushedRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The exact bytes received. */
  rawBody: Buffer;
  /** Path and query as requested. */
  url?: string | undefined;
  /** webhook (default) or upload (a file such as an EDI interchange). */
  kind?: 'webhook' | 'upload';
  /** The body went past the channel's limit: `rawBody` holds only its start; `size` is what had arrived when it was cut (or the declared length). */
  tooLarge?: { size: number; limit: number } | undefined;
}

/** A file uploaded to a channel, its body still arriving. */
export interface UploadRequest {
  headers: Record<string, string | string[] | undefined>;
  url?: string | undefined;
  /** The body as it arrives, cut at the channel's limit (what is past it is read and dropped). */
  body: AsyncIterable<Uint8Array>;
  /** Asked once the body has ended: whether it went past the limit, with its start (kept for the refusal). */
  refused(): { size: number; limit: number; start: Buffer } | undefined;
  /** The file's name as the sender gave it, already sanitised (no path, bounded length). */
  fileName?: string | undefined;
}

export interface ManualOrderReceipt {
  payloadId: string;
  orderId: string;
  externalId: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'stale';
  version: number;
}

export interface HealthReport {
  ok: boolean;
  database: { ok: boolean; kind: 'postgres' | 'pglite'; error?: string };
  redis: { ok: boolean; configured: boolean; error?: string };
}

/** One dependency of readiness: whether it answers, and in words why not. */
export interface ReadinessCheck {
  ok: boolean;
  /** False when the check does not apply to this process (no Redis configured, no schedules kept here...). */
  checked: boolean;
  error?: string;
}

/** GET /health/ready: every dependency this process needs to do its work; `down` names those that fail. */
export interface ReadinessReport {
  ok: boolean;
  down: string[];
  checks: { database: ReadinessCheck; redis: ReadinessCheck; schedules: ReadinessCheck; workers: ReadinessCheck & { seen?: number } };
}

/** GET /metrics: Prometheus' text exposition format. */
export interface MetricsText {
  contentType: string;
  body: string;
}

/**
 * The hub's actions that need connectors or jobs, implemented by the composition root (jobs/)
 * and driven by the API and the CLI.
 */
export interface HubActions {
  checkChannel(channelId: string): Promise<CheckReport>;
  requestSync(channelId: string, trigger: SyncTrigger): Promise<SyncRequestReceipt>;
  /**
   * Sets the channel's cursor back to `since` (none: a full re-read) and queues a sync. `conflict` while
   * a sync holds the channel's lease; recorded in the run history with who asked.
   */
  resyncChannel(channelId: string, options: { since?: Date | undefined; requestedBy: string }): Promise<ResyncReceipt>;
  /**
   * A channel was created or changed (schedule, enabled flag…): re-reads it and sets, replaces or
   * removes its sync schedule. Never throws: a schedule that cannot be set is logged.
   */
  channelChanged(channelId: string): Promise<void>;
  /**
   * Verifies a pushed payload (stores nothing when it is not authentic), archives it raw and
   * queues a job to read it into orders; resolves once it is archived, before it is read, so a
   * hiccup while reading never fails the delivery (the job retries; a sweep re-queues payloads
   * left pending). Throws HubError `conflict` for a disabled channel, `not_found` for an unknown one.
   */
  receiveWebhook(channelId: string, request: PushedRequest): Promise<WebhookReceipt>;
  /**
   * An uploaded file (an EDI interchange), streamed into the archive as it arrives, never held whole:
   * the sender is proven by the headers alone (the channel's upload token) before a byte is read.
   * Resolves once the whole body is archived (a body that breaks off leaves nothing and rejects); the
   * same file again is a duplicate of the first. Throws HubError like receiveWebhook.
   */
  receiveUpload?(channelId: string, request: UploadRequest): Promise<WebhookReceipt>;
  /** The largest push (webhook body, uploaded file) the channel's connector accepts, in bytes; undefined: the API's default. */
  pushLimit?(channelId: string): Promise<number | undefined>;
  /** Dead letters: jobs that failed for good (BullMQ's failed sets; the in-process runner keeps none and says so in `note`). */
  failedJobs?(limit?: number): Promise<{ items: FailedJobView[]; note: string | null }>;
  /** Runs one failed job (`<queue>:<id>`) again, or every one (`all`); returns how many. */
  retryFailedJobs?(id: string | 'all'): Promise<number>;
  /** `requestedBy`: who asked (the signed-in user), recorded when the read resolves a failure. */
  reprocessPayload(payloadId: string, requestedBy?: Actor): Promise<PayloadOutcome>;
  /** An operator records an order on a buyer's behalf on a manual channel. */
  recordManualOrder(channelId: string, order: ManualOrderInput): Promise<ManualOrderReceipt>;
  /**
   * Sends the due channel status updates soon (status write-back): call it after committing a status
   * change that queued one (queueStatusWriteBack), or after ops asked for a retry. Best effort, never
   * throws, does not wait for the sending: the rows are the truth and the minute's tick sends what a
   * lost nudge left.
   */
  nudgeStatusWriteBack?(): Promise<void>;
  /**
   * The minute's tick, now: distribution's timers (visible offers, deadlines, overdue fulfilment, missed
   * orders), then the order lifecycle's steps whose retry is due, with this process's mappings and
   * acknowledgement formats (which the API does not have).
   */
  advance?(): Promise<AdvanceReport & { steps: RetryReport }>;
  /**
   * Dealers, or settlements of a period (default: this month so far), from the accounting system (1C),
   * now: resolves with the recorded run, a failed one included (1C's refusal in its words). HubError
   * `conflict` when no 1C source is configured.
   */
  syncAccounting?(request: AccountingSyncRequest): Promise<AccountingSyncView>;
  /** The manufacturer's name on reconciliation statements (HUB_1C_COMPANY_NAME). */
  readonly companyName?: string | undefined;
  /** The sales desk's quotes (conversion into orders needs the manual mapping, hence here). */
  readonly quotes: QuoteService;
  health(): Promise<HealthReport>;
  /** Readiness (GET /health/ready): database, Redis, this process's schedules, workers' heartbeats. */
  ready?(): Promise<ReadinessReport>;
  /** The metrics of this process and the database's gauges (GET /metrics); never throws for a failing dependency. */
  metrics?(): Promise<MetricsText>;
}

export interface AccountingSyncRequest {
  what: 'dealers' | 'settlements';
  from?: string | undefined;
  to?: string | undefined;
  trigger: 'schedule' | 'manual' | 'cli';
  requestedBy?: string | undefined;
}

/** A job that failed for good, a dead letter: BullMQ's failed set of the sync and payload queues (the runners list them). */
export interface FailedJobView {
  id: string;
  queue: string;
  name: string;
  channelId: string | null;
  payloadId: string | null;
  attemptsMade: number;
  attempts: number;
  error: string;
  failedAt: string | null;
}
