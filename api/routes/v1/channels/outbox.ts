import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ChannelService } from '../../../../core/channels/channels.ts';
import { listOutboundDocuments } from '../../../../core/outbound/outbound-documents.ts';
import type { RouteDeps } from '../../../deps.ts';
import { errors, IdParamsSchema, IsoDateTime, Nullable } from '../../../schemas/common.ts';
import { staff } from '../../../auth/access.ts';

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

/** /v1/channels/:id/outbox: the documents the hub owes a channel (EDI acknowledgements); one is fetched from /v1/outbox/:id. */
const channelOutboxRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
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
};

export default channelOutboxRoutes;
