import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DealerCabinet } from '../../../../core/distribution/dealer-cabinet.ts';
import type { RouteDeps } from '../../../deps.ts';
import { staff } from '../../../auth/access.ts';
import { errors } from '../../../schemas/common.ts';
import { OrderCommentListSchema } from '../../../schemas/dealer-cabinet.ts';
import { OrderIdParamsSchema } from '../../../schemas/distribution.ts';

/** /v1/orders/:id/comments: the manufacturer reads the comments dealers wrote on an order (the dealer cabinet writes them). */
const orderCommentRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const cabinet = new DealerCabinet(deps.db);

  app.get(
    '/orders/:id/comments',
    {
      config: staff('orders.read'),
      schema: {
        tags: ['distribution'],
        summary: "The comments dealers wrote on an order (every dealer that had it), oldest first",
        description: 'visibility client marks a comment meant for the client; sending such comments to the shop is not done yet.',
        params: OrderIdParamsSchema,
        response: { 200: OrderCommentListSchema, ...errors(404) },
      },
    },
    async (request) => ({ comments: await cabinet.staffComments(request.params.id) }),
  );
};

export default orderCommentRoutes;
