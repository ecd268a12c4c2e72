import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { StockService } from '../../../core/stock/stock-service.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors, IdParamsSchema } from '../../schemas/common.ts';
import {
  AvailabilityBodySchema,
  AvailabilitySchema,
  IncomingBodySchema,
  LedgerReportSchema,
  LevelsBodySchema,
  LoadAnswerSchema,
  ProductsBodySchema,
  ReceiveAnswerSchema,
  ReceiveBodySchema,
  ResolveBodySchema,
  ReviewSchema,
  ReviewsQuerySchema,
  StockCheckSchema,
  UpsertCountsSchema,
  WarehousesBodySchema,
} from '../../schemas/stock.ts';
import { staff } from '../../auth/access.ts';

/**
 * /v1/stock: idempotent loads (products, warehouses, on-hand levels, incoming supply), availability
 * by date, arrivals, the manual-review queue and the ledger check. An order's reservations are under
 * /v1/orders/:id (orders/stock.ts). Every rule lives in core/stock.
 */
const stockRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const stock = new StockService(deps.db);
  const tags = ['stock'];

  app.put(
    '/stock/products',
    { config: staff('stock.load'), schema: { tags, summary: 'Create or update products by SKU (idempotent)', body: ProductsBodySchema, response: { 200: UpsertCountsSchema, ...errors(400) } } },
    async (request) => stock.upsertProducts(request.body.items),
  );

  app.put(
    '/stock/warehouses',
    { config: staff('stock.load'), schema: { tags, summary: 'Create or update warehouses by code (idempotent)', body: WarehousesBodySchema, response: { 200: UpsertCountsSchema, ...errors(400) } } },
    async (request) => stock.upsertWarehouses(request.body.items),
  );

  app.put(
    '/stock/levels',
    {
      config: staff('stock.load'),
      schema: {
        tags,
        summary: 'Set on-hand quantities per SKU and warehouse as of this load',
        description: 'The difference to the current figure becomes one ledger row; the same load again writes nothing. Stock cut below its reservations releases the newest ones and reopens their orders for review.',
        body: LevelsBodySchema,
        response: { 200: LoadAnswerSchema, ...errors(400, 409) },
      },
    },
    async (request) => stock.setLevels(request.body.items, request.body.reason),
  );

  app.put(
    '/stock/incoming',
    {
      config: staff('stock.load'),
      schema: {
        tags,
        summary: 'Create or update incoming supplies (supplier orders, shipments in transit) by SKU and reference',
        body: IncomingBodySchema,
        response: { 200: LoadAnswerSchema, ...errors(400, 409) },
      },
    },
    async (request) => stock.upsertIncoming(request.body.items, request.body.reason),
  );

  app.post(
    '/stock/availability',
    {
      config: staff('stock.read'),
      schema: {
        tags,
        summary: 'Can this basket be had by this date? Per line: confirmed, partial or unavailable, from which sources, when the rest arrives',
        description: 'Read-only: nothing is reserved.',
        body: AvailabilityBodySchema,
        response: { 200: AvailabilitySchema, ...errors(400) },
      },
    },
    async (request) => stock.availability(request.body.lines, { neededBy: request.body.neededBy }),
  );

  app.post(
    '/stock/incoming/:id/receive',
    {
      config: staff('stock.load'),
      schema: {
        tags,
        summary: 'Goods of a supply arrived: incoming becomes on hand, reservations on it move along',
        params: IdParamsSchema,
        body: ReceiveBodySchema,
        response: { 200: ReceiveAnswerSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => stock.receiveSupply(request.params.id, request.body.quantity, request.body.reason),
  );

  app.get(
    '/stock/reviews',
    { config: staff('stock.read'), schema: { tags, summary: 'The manual-review queue (status open by default), oldest first', querystring: ReviewsQuerySchema, response: { 200: Type.Object({ items: Type.Array(ReviewSchema) }) } } },
    async (request) => ({ items: await stock.listReviews({ status: request.query.status }) }),
  );

  app.post(
    '/stock/reviews/:id/resolve',
    {
      config: staff('stock.review'),
      schema: {
        tags,
        summary: 'Decide an open review: confirm_partially, wait_for_supply or reject (releases the order’s stock)',
        params: IdParamsSchema,
        body: ResolveBodySchema,
        response: { 200: StockCheckSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => stock.resolveReview(request.params.id, request.body.action, request.body.by, request.body.note),
  );

  app.get(
    '/stock/ledger/verify',
    { config: staff('stock.read'), schema: { tags, summary: 'Prove the current stock figures equal the sums of the ledger (and nothing is over-reserved)', response: { 200: LedgerReportSchema } } },
    async () => stock.verifyLedger(),
  );
};

export default stockRoutes;
