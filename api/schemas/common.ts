import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ERROR_CODES } from '../../core/errors.ts';
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '../../core/orders/order-queries.ts';

export { DecimalString, IsoDate, IsoDateTime } from '../../core/model/common.ts';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Free-form JSON object (connector config, mapping options, line attributes). */
export const JsonObject = Type.Record(Type.String(), Type.Unknown());

export const ErrorCodeSchema = Type.Union(
  (Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]).map((code) => Type.Literal(code)),
);

/** Every error answer, whatever the status. */
export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: ErrorCodeSchema,
      message: Type.String(),
      field: Type.Optional(Type.String({ description: 'The input field at fault (dotted path), for invalid_data' })),
      details: Type.Optional(Type.Unknown({ description: 'Machine-readable specifics, e.g. { reason: "already_taken" } when an order was taken by another dealer' })),
    }),
  },
  { title: 'Error' },
);
export type ErrorBody = Static<typeof ErrorSchema>;

export const IdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const PageQuery = {
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'nextCursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })),
};

export const NextCursor = Nullable(Type.String({ description: 'Pass as cursor for the next page; null on the last page' }));

/** The error answers a route may give, for the OpenAPI document (and serialisation). */
export function errors<S extends number>(...statuses: S[]): { [K in S]: typeof ErrorSchema } {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema])) as { [K in S]: typeof ErrorSchema };
}
