import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ChannelService } from '../../../core/channels/channels.ts';
import { fetchOutboundDocument, listOutboundDocuments } from '../../../core/outbound/outbound-documents.ts';
import { turnover } from '../../../core/orders/turnover.ts';
import type { RouteDeps } from '../../deps.ts';
import { DecimalString, errors, IdParamsSchema, IsoDateTime, Nullable } from '../../schemas/common.ts';
import { staff } from '../../auth/access.ts';

const OutboundDocumentSchema = Type.Object(
  {
    id: Type.String(),
    channelId: Type.String(),
    orderId: Nullable(Type.String()),
    kind: Type.String({ description: 'edifact-ordrsp | x12-855' }),
    reference: Type.String(),
    fileName: Type.String(),
    contentType: Type.String(),
    createdAt: IsoDateTime,
    fetchedAt: Nullable(IsoDateTime),
  },
  { title: 'OutboundDocument' },
);

const TurnoverRowSchema = Type.Object({ key: Type.String(), channelIds: Type.Array(Type.String()), currency: Type.String(), orders: Type.Integer(), total: DecimalString }, { title: 'TurnoverRow' });

/** What the hub sends back to channels (EDI acknowledgements) and sales by channel. */
const outboxAndReportRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const channels = new ChannelService(deps.db, deps.catalog);

  app.get(
    '/channels/:id/outbox',
    {
      config: staff('outbox.read'),
      schema: {
        tags: ['channels'],
        summary: 'Documents the hub owes a channel (EDI acknowledgements), newest first',
        params: IdParamsSchema,
        querystring: Type.Object({ unfetched: Type.Optional(Type.Boolean({ description: 'only those not fetched yet' })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        response: { 200: Type.Object({ items: Type.Array(OutboundDocumentSchema) }), ...errors(404) },
      },
    },
    async (request) => {
      await channels.get(request.params.id);
      return { items: await listOutboundDocuments(deps.db, { channelId: request.params.id, unfetchedOnly: request.query.unfetched, limit: request.query.limit }) };
    },
  );

  app.get(
    '/outbox/:id',
    {
      config: staff('outbox.read'),
      schema: {
        tags: ['channels'],
        summary: 'Fetch one outbound document as its file (the first fetch is recorded)',
        params: IdParamsSchema,
        response: { 200: Type.String(), ...errors(404) },
      },
    },
    async (request, reply) => {
      const doc = await fetchOutboundDocument(deps.db, request.params.id);
      return reply.header('content-type', doc.contentType).header('content-disposition', `attachment; filename="${doc.fileName}"`).send(doc.body);
    },
  );

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

export default outboxAndReportRoutes;
