import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../../../deps.ts';
import { errors, IdParamsSchema } from '../../../schemas/common.ts';
import { ManualOrderBodySchema, ManualOrderReceiptSchema } from '../../../schemas/sales-desk.ts';
import { staff } from '../../../auth/access.ts';
import { actorOf } from '../../../auth/request-context.ts';

/** /v1/channels/:id/orders: the sales desk records an order on a buyer's behalf on a manual channel. */
const channelOrderRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  app.post(
    '/channels/:id/orders',
    {
      config: staff('sales.orders'),
      schema: {
        tags: ['sales desk'],
        summary: 'Record an order on a buyer’s behalf (phone, e-mail, field rep, new deal) on a manual channel',
        description: 'Prices are net; tax comes from each line’s rate. Give your own externalId to make retries safe.',
        params: IdParamsSchema,
        body: ManualOrderBodySchema,
        response: { 200: ManualOrderReceiptSchema, 201: ManualOrderReceiptSchema, ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const receipt = await deps.actions.recordManualOrder(request.params.id, { ...request.body, operator: actorOf(request).login });
      return reply.code(receipt.outcome === 'created' ? 201 : 200).send(receipt);
    },
  );
};

export default channelOrderRoutes;
