import type { TSchema } from '@sinclair/typebox';
import type { PayloadOutcome } from './orders/payload-processing.ts';

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

export interface ConnectorCatalog {
  get(type: string): (ConnectorInfo & { canPull: boolean; canReceiveWebhooks: boolean }) | undefined;
  list(): (ConnectorInfo & { canPull: boolean; canReceiveWebhooks: boolean })[];
}

export interface CheckReport {
  ok: boolean;
  message: string;
  details?: Record<string, unknown>;
}

export type SyncTrigger = 'schedule' | 'manual' | 'demo';

export interface SyncRequestReceipt {
  /** Deterministic per channel while one is waiting, so asking twice queues one sync. */
  jobId: string;
  /** False when a sync of this channel was already waiting or running. */
  queued: boolean;
}

export type WebhookReceipt =
  | { kind: 'ping' }
  | { kind: 'accepted'; payloadId: string; duplicate: boolean }
  | { kind: 'rejected'; reason: string };

export interface HealthReport {
  ok: boolean;
  database: { ok: boolean; kind: 'postgres' | 'pglite'; error?: string };
  redis: { ok: boolean; configured: boolean; error?: string };
}

/**
 * The hub's actions that need connectors or jobs, implemented by the composition root (jobs/)
 * and driven by the API and the CLI.
 */
export interface HubActions {
  checkChannel(channelId: string): Promise<CheckReport>;
  requestSync(channelId: string, trigger: SyncTrigger): Promise<SyncRequestReceipt>;
  /** Verifies, archives and queues a pushed payload; stores nothing when it is not authentic. */
  receiveWebhook(channelId: string, request: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer }): Promise<WebhookReceipt>;
  reprocessPayload(payloadId: string): Promise<PayloadOutcome>;
  health(): Promise<HealthReport>;
}
