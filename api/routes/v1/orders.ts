import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getOrder, listOrders } from '../../../core/orders/order-queries.ts';
import type { AppDeps } from '../../app.ts';
import { errors, IdParamsSchema } from '../../schemas/common.ts';
import { GetOrderQuerySchema, ListOrdersQuerySchema, OrderDetailSchema, OrderPageSchema } from '../../schemas/orders.ts';

/** /v1/orders: core orders from every channel, newest first. */
const orderRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const tags = ['orders'];

  app.get(
    '/orders',
    {
      schema: {
        tags,
        summary: 'List orders (newest first, cursor paged)',
        querystring: ListOrdersQuerySchema,
        response: { 200: OrderPageSchema, ...errors(400) },
      },
    },
    async (request) => {
      const { q, ...query } = request.query;
      return listOrders(deps.db, { ...query, text: q });
    },
  );

  app.get(
    '/orders/:id',
    {
      schema: {
        tags,
        summary: 'Get an order with its lines and history',
        params: IdParamsSchema,
        querystring: GetOrderQuerySchema,
        response: { 200: OrderDetailSchema, ...errors(404) },
      },
    },
    async (request) => getOrder(deps.db, request.params.id, { includeSnapshots: request.query.includeSnapshots }),
  );
};

export default orderRoutes;
