import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { turnover } from '../../../core/orders/turnover.ts';
import type { RouteDeps } from '../../deps.ts';
import { DecimalString, errors, IsoDateTime } from '../../schemas/common.ts';
import { staff } from '../../auth/access.ts';

const TurnoverRowSchema = Type.Object({ key: Type.String(), channelIds: Type.Array(Type.String()), currency: Type.String(), orders: Type.Integer(), total: DecimalString }, { title: 'TurnoverRow' });

/** /v1/reports: sales by channel, channel kind or label. */
const reportRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  app.get(
    '/reports/turnover',
    {
      config: staff('reports.read'),
      schema: {
        tags: ['reports'],
        summary: 'Turnover per channel, channel kind or label, per currency (cancelled, failed, refunded and draft orders left out)',
        querystring: Type.Object({
          groupBy: Type.Union([Type.Literal('channel'), Type.Literal('kind'), Type.Literal('label')], { default: 'channel' }),
          placedFrom: Type.Optional(IsoDateTime),
          placedTo: Type.Optional(IsoDateTime),
        }),
        response: { 200: Type.Object({ items: Type.Array(TurnoverRowSchema) }), ...errors(400) },
      },
    },
    async (request) => ({
      items: await turnover(deps.db, {
        groupBy: request.query.groupBy,
        placedFrom: request.query.placedFrom ? new Date(request.query.placedFrom) : undefined,
        placedTo: request.query.placedTo ? new Date(request.query.placedTo) : undefined,
      }),
    }),
  );
};

export default reportRoutes;
