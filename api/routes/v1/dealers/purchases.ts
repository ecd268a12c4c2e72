import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DealerPurchases } from '../../../../core/dealers/dealer-purchases.ts';
import { dealer } from '../../../auth/access.ts';
import { scopeOf } from '../../../auth/request-context.ts';
import type { RouteDeps } from '../../../deps.ts';
import { errors } from '../../../schemas/common.ts';
import { DealerCodeParamsSchema } from '../../../schemas/dealers.ts';
import {
  PlacedPurchaseSchema,
  PlacePurchaseBodySchema,
  PurchaseCheckBodySchema,
  PurchaseCheckSchema,
  PurchaseDetailSchema,
  PurchaseListQuerySchema,
  PurchaseListSchema,
  PurchaseParamsSchema,
} from '../../../schemas/purchases.ts';

/**
 * /v1/dealers/:code/purchases: the dealer's own purchase orders to the manufacturer (the dealer
 * portal, seed 002): check a basket, place it, its history. The dealer is the signed-in user's
 * (scopeOf), never the URL's; every rule lives in core/dealers/dealer-purchases.ts, and a placed
 * purchase goes through the manual intake like every manual order.
 */
const dealerPurchaseRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const purchases = new DealerPurchases(deps.db);
  const tags = ['dealer purchases'];

  app.post(
    '/dealers/:code/purchases/check',
    {
      config: dealer('dealer.purchases'),
      schema: {
        tags,
        summary: "Check a purchase before placing it: the dealer's prices, availability by the desired date, exclusivity per line; nothing is reserved",
        description:
          'Availability follows the stock module (seed 002): with a desired date, supplies arriving by it are taken first (latest first), then stock on hand, ' +
          'so 50 on hand + 70 arriving before the date for 100 wanted is 70 incoming + 30 from stock; without a date, stock on hand first, then any supply. ' +
          'canOrder is false when a line is unknown, unpriced or refused by exclusivity; a short line does not stop an order (it waits for supply).',
        params: DealerCodeParamsSchema,
        body: PurchaseCheckBodySchema,
        response: { 200: PurchaseCheckSchema, ...errors(400, 404) },
      },
    },
    async (request) => purchases.check(scopeOf(request), request.body),
  );

  app.post(
    '/dealers/:code/purchases',
    {
      config: dealer('dealer.purchases'),
      schema: {
        tags,
        summary: "Place a purchase order with the manufacturer at the dealer's prices",
        description:
          'Recorded as a manual order with the dealer as buyer on the manual channel marked `dealerPurchases: true` (archived, priced from the dealer’s column, reserved, and on to 1C like any order). ' +
          '201 when placed; 200 with created false when `reference` names a purchase placed before (nothing is recorded again). ' +
          '409, nothing recorded: a line refused by regional exclusivity (details.reason exclusivity, details.lines [{ line (0-based), sku, reason }]), ' +
          'a line not in the catalogue or without a price (not_orderable), or no channel takes dealers’ purchases (no_purchase_channel).',
        params: DealerCodeParamsSchema,
        body: PlacePurchaseBodySchema,
        response: { 200: PlacedPurchaseSchema, 201: PlacedPurchaseSchema, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const placed = await purchases.place(scopeOf(request), request.body, (channelId, order) => deps.actions.recordManualOrder(channelId, order));
      return reply.code(placed.created ? 201 : 200).send(placed);
    },
  );

  app.get(
    '/dealers/:code/purchases',
    {
      config: dealer('dealer.purchases'),
      schema: {
        tags,
        summary: "The dealer's purchase orders, newest first",
        params: DealerCodeParamsSchema,
        querystring: PurchaseListQuerySchema,
        response: { 200: PurchaseListSchema, ...errors(400, 404) },
      },
    },
    async (request) => purchases.list(scopeOf(request), request.query),
  );

  app.get(
    '/dealers/:code/purchases/:orderId',
    {
      config: dealer('dealer.purchases'),
      schema: {
        tags,
        summary: "One of the dealer's purchase orders with its lines and the statuses it went through; another dealer's is 404",
        params: PurchaseParamsSchema,
        response: { 200: PurchaseDetailSchema, ...errors(404) },
      },
    },
    async (request) => purchases.get(scopeOf(request), request.params.orderId),
  );
};

export default dealerPurchaseRoutes;
