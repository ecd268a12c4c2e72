import { Type } from '@sinclair/typebox';
import { IsoDateTime, Nullable } from './common.ts';

/** core/ports FailedJobView. */
export const FailedJobSchema = Type.Object({
  id: Type.String({ description: '<queue>:<job id>, what the retry route takes' }),
  queue: Type.String({ description: 'sync-channel | process-payload' }),
  name: Type.String(),
  channelId: Nullable(Type.String()),
  payloadId: Nullable(Type.String()),
  attemptsMade: Type.Integer(),
  attempts: Type.Integer(),
  error: Type.String({ description: "The error's first line" }),
  failedAt: Nullable(IsoDateTime),
});

export const FailedJobListSchema = Type.Object({
  items: Type.Array(FailedJobSchema),
  note: Nullable(Type.String({ description: 'Why the list is what it is (in-process jobs keep no failed jobs)' })),
});

export const RetriedJobsSchema = Type.Object({ retried: Type.Integer({ description: 'How many failed jobs were queued again' }) });
