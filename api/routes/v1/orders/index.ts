import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { getOrder, listOrders, type AccessScope } from '../../../../core/orders/order-queries.ts';
import { principalOf } from '../../../auth/request-context.ts';
import type { RouteDeps } from '../../../deps.ts';
import { errors, IdParamsSchema } from '../../../schemas/common.ts';
import { GetOrderQuerySchema, ListOrdersQuerySchema, OrderDetailSchema, OrderPageSchema } from '../../../schemas/orders.ts';
import { staff } from '../../../auth/access.ts';

/**
 * /v1/orders and /v1/orders/:id: core orders from every channel, newest first. What stock and
 * distribution do with an order is beside this file (orders/stock.ts, orders/distribution.ts).
 */
const orderRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const tags = ['orders'];

  app.get(
    '/orders',
    {
      config: staff('orders.read'),
      schema: {
        tags,
        summary: 'List orders (newest first, cursor paged)',
        querystring: ListOrdersQuerySchema,
        response: { 200: OrderPageSchema, ...errors(400) },
      },
    },
    async (request) => {
      const { q, ...query } = request.query;
      return listOrders(deps.db, { ...query, text: q }, orderScope(request));
    },
  );

  app.get(
    '/orders/:id',
    {
      config: staff('orders.read'),
      schema: {
        tags,
        summary: 'Get an order with its lines and history',
        params: IdParamsSchema,
        querystring: GetOrderQuerySchema,
        response: { 200: OrderDetailSchema, ...errors(404) },
      },
    },
    async (request) => getOrder(deps.db, request.params.id, { includeSnapshots: request.query.includeSnapshots }, orderScope(request)),
  );
};

/** Clients' phones and e-mails only for the roles that need them (orders.contacts). */
function orderScope(request: FastifyRequest): AccessScope {
  return { contacts: principalOf(request).permissions.has('orders.contacts') };
}

export default orderRoutes;
