import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StockService } from '../../../../core/stock/stock-service.ts';
import type { RouteDeps } from '../../../deps.ts';
import { errors, IdParamsSchema } from '../../../schemas/common.ts';
import { OrderReservationsSchema, ReleaseAnswerSchema, ReleaseQuerySchema, ReserveAnswerSchema, ShipAnswerSchema } from '../../../schemas/stock.ts';
import { staff } from '../../../auth/access.ts';

/**
 * /v1/orders/:id/reservations, /release and /ship: the stock an order holds, reserved per order
 * version, released or shipped. Every rule lives in core/stock.
 */
const orderStockRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const stock = new StockService(deps.db);
  const tags = ['stock'];

  app.post(
    '/orders/:id/reservations',
    {
      config: staff('stock.reserve'),
      schema: {
        tags,
        summary: 'Check the order’s current version against stock and reserve what can be promised',
        description: 'Idempotent per order version (201 when checked now, 200 with the stored check otherwise). Not fully confirmed → the check waits in the review queue.',
        params: IdParamsSchema,
        response: { 200: ReserveAnswerSchema, 201: ReserveAnswerSchema, ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const outcome = await stock.reserveOrder(request.params.id);
      return reply.code(outcome.created ? 201 : 200).send(outcome);
    },
  );

  app.get(
    '/orders/:id/reservations',
    { config: staff('stock.read'), schema: { tags, summary: 'The order’s reservations and its latest stock check', params: IdParamsSchema, response: { 200: OrderReservationsSchema, ...errors(404) } } },
    async (request) => stock.reservations(request.params.id),
  );

  app.post(
    '/orders/:id/release',
    {
      config: staff('stock.reserve'),
      schema: {
        tags,
        summary: 'Release everything the order holds (cancelled); releasing again releases nothing',
        params: IdParamsSchema,
        querystring: ReleaseQuerySchema,
        response: { 200: ReleaseAnswerSchema, ...errors(404) },
      },
    },
    async (request) => stock.releaseOrder(request.params.id, request.query.reason),
  );

  app.post(
    '/orders/:id/ship',
    {
      config: staff('stock.reserve'),
      schema: {
        tags,
        summary: 'Ship the order: its on-hand reservations leave the warehouse',
        description: 'Refused (409) while part of it is still incoming; shipping again answers alreadyShipped.',
        params: IdParamsSchema,
        response: { 200: ShipAnswerSchema, ...errors(404, 409) },
      },
    },
    async (request) => stock.shipOrder(request.params.id),
  );
};

export default orderStockRoutes;
