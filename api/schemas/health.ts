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
