import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DistributionQueries } from '../../../../core/distribution/distribution-queries.ts';
import { OrderLifecycle } from '../../../../core/flows/order-lifecycle.ts';
import type { RouteDeps } from '../../../deps.ts';
import { scopeOf } from '../../../auth/request-context.ts';
import { errors } from '../../../schemas/common.ts';
import {
  DealerOrderParamsSchema,
  DealerParamsSchema,
  DealerOrdersQuerySchema,
  DeclineBodySchema,
  DeclineResultSchema,
  DistributionDetailsSchema,
  OrderListSchema,
  ReassignBodySchema,
  ReassignResultSchema,
  StatusChangeBodySchema,
  StatusChangeResultSchema,
  TakeResultSchema,
} from '../../../schemas/distribution.ts';
import { dealer, staffOrDealer } from '../../../auth/access.ts';

/**
 * /v1/dealers/:code/orders: a dealer's side of distribution: the orders offered to it and its own,
 * taking, declining, moving them on, who of its users is responsible, and its view of an order's
 * distribution. Who acts comes from the authenticated principal; every rule and every visibility
 * filter lives in core/distribution.
 */
const dealerOrderRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  // Status changes go through the order lifecycle: core status, stock, distribution and the channel follow them.
  const lifecycle = new OrderLifecycle(deps.db);
  const distribution = lifecycle.distribution;
  const queries = new DistributionQueries(deps.db);
  const tags = ['distribution'];

  app.get(
    '/dealers/:code/orders',
    {
      config: dealer('dealer.orders.read'),
      schema: {
        tags,
        summary: "A dealer's orders: offered to it now (no client contacts until taken), its own in work, or completed",
        params: DealerParamsSchema,
        querystring: DealerOrdersQuerySchema,
        response: { 200: OrderListSchema, ...errors(400, 404) },
      },
    },
    async (request) => queries.listOrders(scopeOf(request), request.query),
  );

  app.post(
    '/dealers/:code/orders/:orderId/take',
    {
      config: dealer('dealer.orders.take'),
      schema: {
        tags,
        summary: 'Take an order offered to the dealer now; exactly one of many concurrent takers wins',
        description:
          'A dealer that lost the race (another dealer took it, the manufacturer assigned it elsewhere) and a dealer it was never offered to both get 404 "not offered to you" (details.reason taken_by_another, not_offered; offer_ended for a dealer offered it only in an earlier round); ' +
          'a take after the window closed (the offer\'s expiry or the deadline) gets 409 conflict with details.reason window_closed and closedAt (cancelled, no_longer_offered likewise); ' +
          '403 not_allowed says why this dealer may not take it now (details.reason declined, not_yet_visible, dealer_blocked). The winner asking again gets 200 with alreadyYours.',
        params: DealerOrderParamsSchema,
        response: { 200: TakeResultSchema, ...errors(403, 404, 409) },
      },
    },
    async (request) => distribution.take(scopeOf(request), request.params.orderId),
  );

  app.post(
    '/dealers/:code/orders/:orderId/decline',
    {
      config: dealer('dealer.orders.take'),
      schema: {
        tags,
        summary: 'Decline an order offered to the dealer, with a reason; when nobody who sees it is left, the next tier opens now',
        description:
          'When nothing is open for this dealer to decline, it answers as take does: 404 "not offered to you" (not_offered, taken_by_another, offer_ended), ' +
          '403 (declined, not_yet_visible), 409 (window_closed — the order goes to the fallback there and then —, cancelled, already_yours).',
        params: DealerOrderParamsSchema,
        body: DeclineBodySchema,
        response: { 200: DeclineResultSchema, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => distribution.decline(scopeOf(request), request.params.orderId, request.body.reason),
  );

  app.post(
    '/dealers/:code/orders/:orderId/status',
    {
      config: dealer('dealer.orders.work'),
      schema: {
        tags,
        summary: "Move the dealer's order on: contacted, in_progress, completed (earns points), cancelled with a reason (costs points)",
        description:
          'Goes through the order lifecycle (docs/lifecycle.md): the core order follows (completed ships its reservation; a cancellation releases it and offers the order to the other dealers), ' +
          'and the channel hears the new status when write-back is on. Another dealer\'s order is 404 "not offered to you"; an order offered to this dealer but not taken yet is 409 not_taken; ' +
          'an employee moving another employee\'s order is 403 not_responsible.',
        params: DealerOrderParamsSchema,
        body: StatusChangeBodySchema,
        response: { 200: StatusChangeResultSchema, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => {
      const result = await lifecycle.changeFulfilment(scopeOf(request), request.params.orderId, request.body);
      // The channel's write-back was queued with the change; the sender goes now rather than at the next tick.
      await deps.actions.nudgeStatusWriteBack?.();
      return result;
    },
  );

  app.post(
    '/dealers/:code/orders/:orderId/responsible',
    {
      config: staffOrDealer('distribution.assign', 'dealer.orders.reassign'),
      schema: {
        tags,
        summary: "Make another of the dealer's users responsible for an order the dealer has (the dealer's head, or the manufacturer)",
        params: DealerOrderParamsSchema,
        body: ReassignBodySchema,
        response: { 200: ReassignResultSchema, ...errors(400, 403, 404) },
      },
    },
    async (request) => distribution.reassign(scopeOf(request), request.params.code, request.params.orderId, request.body.login),
  );

  app.get(
    '/dealers/:code/orders/:orderId/distribution',
    {
      config: dealer('dealer.orders.read'),
      schema: {
        tags,
        summary: "The dealer's view of an order's distribution: its own offers and events, no decision trace",
        params: DealerOrderParamsSchema,
        response: { 200: DistributionDetailsSchema, ...errors(404) },
      },
    },
    async (request) => queries.details(scopeOf(request), request.params.orderId),
  );
};

export default dealerOrderRoutes;
