import { Type } from '@sinclair/typebox';
import { IsoDateTime, Nullable } from './common.ts';

const STATES = ['pending', 'sent', 'failed', 'skipped'] as const;

export const StatusUpdateStateSchema = Type.Union(STATES.map((s) => Type.Literal(s)), {
  description: 'pending: to be sent (next attempt at nextAttemptAt, or at once); sent; failed: refused or out of attempts (retryable by ops); skipped: nothing to send (the reason in lastError)',
});

const AttemptSchema = Type.Object(
  {
    at: IsoDateTime,
    outcome: Type.Union([Type.Literal('sent'), Type.Literal('failed'), Type.Literal('skipped'), Type.Literal('postponed'), Type.Literal('retry_requested')]),
    message: Type.Optional(Type.String()),
    retryable: Type.Optional(Type.Boolean()),
    target: Type.Optional(Type.String()),
  },
  { title: 'StatusUpdateAttempt' },
);

export const StatusUpdateSchema = Type.Object(
  {
    id: Type.String(),
    channelId: Type.String(),
    channelName: Type.String(),
    orderId: Type.String(),
    orderNumber: Nullable(Type.String()),
    externalId: Type.String({ description: "the order's id at the channel" }),
    coreStatus: Type.String(),
    channelStatus: Nullable(Type.String({ description: "the channel's status sent for it (set at the first attempt)" })),
    cause: Type.String(),
    state: StatusUpdateStateSchema,
    attempts: Type.Integer(),
    nextAttemptAt: Nullable(IsoDateTime),
    lastError: Nullable(Type.String()),
    history: Type.Array(AttemptSchema, { description: "every attempt's outcome, oldest first" }),
    sentAt: Nullable(IsoDateTime),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  },
  { title: 'StatusUpdate' },
);

export const StatusUpdateQuerySchema = Type.Object({
  channelId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  state: Type.Optional(StatusUpdateStateSchema),
  orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
