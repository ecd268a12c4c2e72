import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { fetchOutboundDocument } from '../../../core/outbound/outbound-documents.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors, IdParamsSchema } from '../../schemas/common.ts';
import { staff } from '../../auth/access.ts';

/** /v1/outbox/:id: one document the hub sends back to a channel (an EDI acknowledgement), as its file. */
const outboxRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
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
};

export default outboxRoutes;
