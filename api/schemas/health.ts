import { Type } from '@sinclair/typebox';

/** core/ports HealthReport. */
export const HealthSchema = Type.Object({
  ok: Type.Boolean(),
  database: Type.Object({
    ok: Type.Boolean(),
    kind: Type.Union([Type.Literal('postgres'), Type.Literal('pglite')]),
    error: Type.Optional(Type.String()),
  }),
  redis: Type.Object({
    ok: Type.Boolean(),
    configured: Type.Boolean(),
    error: Type.Optional(Type.String()),
  }),
});

export const LivenessSchema = Type.Object({ ok: Type.Literal(true) });

const ReadinessCheckSchema = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Boolean({ description: 'false when the check does not apply to this process' }),
  error: Type.Optional(Type.String()),
});

/** core/ports ReadinessReport. */
export const ReadinessSchema = Type.Object({
  ok: Type.Boolean(),
  down: Type.Array(Type.String(), { description: 'the checks that failed: database, redis, schedules, workers' }),
  checks: Type.Object({
    database: ReadinessCheckSchema,
    redis: ReadinessCheckSchema,
    schedules: ReadinessCheckSchema,
    workers: Type.Object({ ...ReadinessCheckSchema.properties, seen: Type.Optional(Type.Integer({ description: 'workers seen in the last minute' })) }),
  }),
});
