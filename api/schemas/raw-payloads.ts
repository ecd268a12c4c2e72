import { Type } from '@sinclair/typebox';
import { RAW_PAYLOAD_KINDS, RAW_PAYLOAD_STATUSES } from '../../core/orders/raw-payload-queries.ts';
import { IsoDateTime, NextCursor, Nullable, PageQuery } from './common.ts';

export const ListRawPayloadsQuerySchema = Type.Object({
  status: Type.Optional(
    Type.Union([...RAW_PAYLOAD_STATUSES, 'errors' as const].map((s) => Type.Literal(s)), { description: 'errors = failed and partial not acknowledged, and pending for over 5 minutes' }),
  ),
  channelId: Type.Optional(Type.String({ minLength: 1 })),
  kind: Type.Optional(Type.Union(RAW_PAYLOAD_KINDS.map((k) => Type.Literal(k)))),
  includeAcknowledged: Type.Optional(Type.Boolean({ description: 'With status=errors: also the failed payloads ops acknowledged (hidden by default)' })),
  ...PageQuery,
});

const summaryFields = {
  id: Type.String(),
  channelId: Type.String(),
  kind: Type.String({ description: 'pull | webhook | upload | push' }),
  source: Nullable(Type.String()),
  contentType: Nullable(Type.String()),
  encoding: Type.String({ description: 'How the stored bytes read: utf-8, iso-8859-2, utf-16le, … ; gzip, zip or binary when they are not text' }),
  hash: Type.String({ description: 'sha256 of the body bytes' }),
  status: Type.String({ description: 'pending | parsed | partial | failed' }),
  errorCode: Nullable(Type.String()),
  error: Nullable(Type.String()),
  orderCount: Type.Integer(),
  warnings: Type.Array(Type.String(), { description: 'What the mapping noticed without rejecting anything (EDI: UNZ count mismatch, unknown syntax id, duplicate control number)' }),
  attempts: Type.Integer(),
  receivedCount: Type.Integer(),
  receivedAt: IsoDateTime,
  lastReceivedAt: IsoDateTime,
  processedAt: Nullable(IsoDateTime),
  acknowledgedAt: Nullable(IsoDateTime),
  acknowledgedBy: Nullable(Type.String({ description: 'The signed-in user (or cli:<OS user>) who acknowledged the failure' })),
  acknowledgeReason: Nullable(Type.String()),
  resolvedAt: Nullable(IsoDateTime),
  resolvedBy: Nullable(Type.String({ description: 'Who asked for the reprocess that read this once-failed payload' })),
  bodyPurgedAt: Nullable(IsoDateTime),
  bodyArchive: Nullable(Type.String({ description: 'The archive file retention exported the body to before dropping it' })),
};

export const RawPayloadSummarySchema = Type.Object(summaryFields);
export const RawPayloadPageSchema = Type.Object({ items: Type.Array(RawPayloadSummarySchema), nextCursor: NextCursor });
export const RawPayloadDetailSchema = Type.Object({
  ...summaryFields,
  body: Type.String({ description: 'The stored bytes decoded with `encoding`; when they are not text, a hex dump of their start' }),
  text: Type.Boolean({ description: 'false: the body is not text, `body` is a hex preview and `bodyBase64` holds the bytes' }),
  bytes: Type.Integer({ description: 'Size of the stored body in bytes' }),
  bodyBase64: Nullable(Type.String({ description: 'The stored bytes, base64, only when they are not text' })),
});

/** What reprocessing a payload did (core/orders/payload-processing PayloadOutcome, condensed). */
export const ReprocessOutcomeSchema = Type.Object({
  payloadId: Type.String(),
  status: Type.Union([Type.Literal('parsed'), Type.Literal('partial'), Type.Literal('failed'), Type.Literal('skipped')]),
  orderCount: Type.Integer(),
  errorCode: Nullable(Type.String()),
  error: Nullable(Type.String()),
  counts: Type.Object({
    created: Type.Integer(),
    updated: Type.Integer(),
    unchanged: Type.Integer(),
    stale: Type.Integer(),
    rejected: Type.Integer(),
  }),
  errors: Type.Array(Type.Object({ ref: Type.Optional(Type.String()), message: Type.String() })),
});

export const AcknowledgePayloadBodySchema = Type.Object({
  reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why nothing more is to be done with this failure' }),
});

/** core/orders/payload-attention PayloadAcknowledgement. */
export const PayloadAcknowledgementSchema = Type.Object({
  payloadId: Type.String(),
  status: Type.String({ description: 'failed | partial: an acknowledged payload stays so' }),
  acknowledgedAt: IsoDateTime,
  acknowledgedBy: Type.String({ description: 'The signed-in caller, never taken from the request' }),
  reason: Type.String(),
});
