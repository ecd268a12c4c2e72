import { Type, type Static } from '@sinclair/typebox';
import { CHANNEL_KIND_PATTERN } from '../../core/channels/channel-kinds.ts';
import { IsoDateTime, JsonObject, Nullable } from './common.ts';

const ChannelName = Type.String({ minLength: 1, maxLength: 200 });
const ChannelKind = Type.String({ pattern: CHANNEL_KIND_PATTERN, description: 'webshop | edi | pos | manual | erp, or an ops-defined lower-case word' });
const Labels = Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' }), { maxItems: 20, uniqueItems: true, description: 'ops labels to segment sales, e.g. franchise, b2b' });
const SyncSchedule = Type.String({ minLength: 1, maxLength: 100, description: 'cron expression, e.g. */5 * * * *' });
const ReconcileSchedule = Nullable(
  Type.String({ minLength: 1, maxLength: 100, description: 'cron of the reconciliation (UTC), or "off"; null: the hub\'s default, daily at 03:17' }),
);
const ReconcileWindowDays = Type.Integer({ minimum: 1, maximum: 365, description: 'how many days back a reconciliation compares (default 7)' });
const ConnectorConfig = Type.Record(Type.String(), Type.Unknown(), {
  description: "Validated against the connector's spec (GET /v1/connectors); secrets are never returned",
});

export const CreateChannelBodySchema = Type.Object(
  {
    name: ChannelName,
    connectorType: Type.String({ minLength: 1, maxLength: 100 }),
    kind: Type.Optional(ChannelKind),
    config: ConnectorConfig,
    mapping: Type.Optional(JsonObject),
    labels: Type.Optional(Labels),
    enabled: Type.Optional(Type.Boolean()),
    syncSchedule: Type.Optional(SyncSchedule),
    reconcileSchedule: Type.Optional(ReconcileSchedule),
    reconcileWindowDays: Type.Optional(ReconcileWindowDays),
  },
  { additionalProperties: false },
);
export type CreateChannelBody = Static<typeof CreateChannelBodySchema>;

export const UpdateChannelBodySchema = Type.Object(
  {
    name: Type.Optional(ChannelName),
    kind: Type.Optional(ChannelKind),
    config: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'The whole config; secrets left out or sent back as ******** keep their stored value',
      }),
    ),
    mapping: Type.Optional(JsonObject),
    labels: Type.Optional(Labels),
    enabled: Type.Optional(Type.Boolean()),
    syncSchedule: Type.Optional(SyncSchedule),
    reconcileSchedule: Type.Optional(ReconcileSchedule),
    reconcileWindowDays: Type.Optional(ReconcileWindowDays),
  },
  { additionalProperties: false },
);
export type UpdateChannelBody = Static<typeof UpdateChannelBodySchema>;

export const ListChannelsQuerySchema = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
});

/** core/channels PublicChannel. */
export const PublicChannelSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  connectorType: Type.String(),
  config: JsonObject,
  mapping: JsonObject,
  labels: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  syncSchedule: Type.String(),
  reconcileSchedule: ReconcileSchedule,
  reconcileWindowDays: ReconcileWindowDays,
  syncState: Type.Unknown(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});

/** core/ports CheckReport. */
export const CheckReportSchema = Type.Object({
  ok: Type.Boolean(),
  message: Type.String(),
  details: Type.Optional(JsonObject),
});

/** core/ports SyncRequestReceipt. */
export const SyncReceiptSchema = Type.Object({
  jobId: Type.String(),
  queued: Type.Boolean({ description: 'False when a sync of this channel was already waiting or running' }),
});

export const ResyncBodySchema = Type.Object(
  {
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'Set the cursor back to this moment; without it the next sync reads everything again' }),
    ),
  },
  { additionalProperties: false },
);

export const ResyncReceiptSchema = Type.Object({
  runId: Type.String({ description: 'The run (trigger resync) recording the reset and who asked' }),
  since: Nullable(Type.String({ description: 'Where the cursor now stands; null: a full re-read' })),
  sync: SyncReceiptSchema,
});

const SyncRunStatusSchema = Type.String({ description: 'running | succeeded | partial (some pages failed) | failed' });

/** core/channels/sync-runs SyncRunError. */
const SyncRunErrorSchema = Type.Object({
  page: Nullable(Type.Integer({ description: "The connector's page number; null when the pull itself failed" })),
  source: Nullable(Type.String()),
  payloadId: Nullable(Type.String({ description: 'The raw payload the page is archived as' })),
  code: Type.String(),
  message: Type.String(),
});

/** core/channels/sync-runs SyncRunWarning. */
const SyncRunWarningSchema = Type.Object(
  { page: Type.Integer({ description: "The connector's page number" }), message: Type.String() },
  { description: 'What the connector warned about without failing the page (a cursor in the future was reset, the store ignores modified_after)' },
);

const SyncRunSchema = Type.Object({
  id: Type.String(),
  trigger: Type.String(),
  status: SyncRunStatusSchema,
  startedAt: IsoDateTime,
  finishedAt: Nullable(IsoDateTime),
  counts: Type.Object({
    pages: Type.Integer(),
    received: Type.Integer(),
    created: Type.Integer(),
    updated: Type.Integer(),
    unchanged: Type.Integer(),
    failed: Type.Integer(),
  }),
  errorCode: Nullable(Type.String()),
  error: Nullable(Type.String()),
  errorCount: Type.Integer({ description: 'How many pages failed (and the pull itself, when it broke off)' }),
  firstError: Nullable(SyncRunErrorSchema),
  errors: Type.Array(SyncRunErrorSchema),
  warnings: Type.Array(SyncRunWarningSchema),
  findings: Nullable(
    Type.Object(
      {},
      {
        additionalProperties: true,
        description: 'A reconciliation: { window, checked, missing, stale, fetched, failed, missingIds, staleIds, failedIds, warnings }; a resync: { since, previousState }',
      },
    ),
  ),
  requestedBy: Nullable(Type.String({ description: 'Who asked (a resync, a reconciliation run by hand)' })),
});

/** core/channels/sync-status LastSyncSummary. */
const LastSyncSchema = Type.Object({
  status: SyncRunStatusSchema,
  startedAt: IsoDateTime,
  finishedAt: Nullable(IsoDateTime),
  pages: Type.Integer(),
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  failed: Type.Integer(),
  errorCode: Nullable(Type.String()),
  error: Nullable(Type.String()),
  errorCount: Type.Integer(),
  firstError: Nullable(SyncRunErrorSchema),
  warnings: Type.Array(SyncRunWarningSchema),
});

export const ChannelListSchema = Type.Object({
  items: Type.Array(Type.Object({ ...PublicChannelSchema.properties, lastSync: Nullable(LastSyncSchema) })),
});

/** core/channels/sync-status ChannelSyncStatus. */
export const SyncStatusSchema = Type.Object({
  channelId: Type.String(),
  enabled: Type.Boolean(),
  syncSchedule: Type.String(),
  running: Type.Boolean(),
  leaseUntil: Nullable(IsoDateTime),
  lastRun: Nullable(SyncRunSchema),
  lastSuccessAt: Nullable(IsoDateTime),
  lastError: Nullable(
    Type.Object({
      runId: Type.String(),
      at: IsoDateTime,
      code: Nullable(Type.String()),
      message: Nullable(Type.String()),
    }),
  ),
  recentRuns: Type.Array(SyncRunSchema),
});

export const WebhookPingSchema = Type.Object({ ok: Type.Literal(true) });
export const WebhookAcceptedSchema = Type.Object({
  payloadId: Type.String(),
  duplicate: Type.Boolean({ description: 'The same body had already arrived on this channel' }),
});
