import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DealerCabinet } from '../../../../core/distribution/dealer-cabinet.ts';
import type { RouteDeps } from '../../../deps.ts';
import { dealer } from '../../../auth/access.ts';
import { principalOf, scopeOf } from '../../../auth/request-context.ts';
import { errors } from '../../../schemas/common.ts';
import { DealerOrderCardSchema, DealerOrderCountsQuerySchema, DealerOrderCountsSchema, OrderCommentBodySchema, OrderCommentListSchema, OrderCommentSchema } from '../../../schemas/dealer-cabinet.ts';
import { DealerOrderParamsSchema, DealerParamsSchema } from '../../../schemas/distribution.ts';

/**
 * The dealer cabinet's reads beside the order list (dealers/orders.ts): the tabs' counts, one
 * order's card and its comments. The dealer is always the principal's (scopeOf), never the URL's
 * (another dealer's code is refused by the auth hook); the rules live in core/distribution/dealer-cabinet.ts.
 */
const dealerCabinetRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const cabinet = new DealerCabinet(deps.db);
  const tags = ['distribution'];

  app.get(
    '/dealers/:code/orders/counts',
    {
      config: dealer('dealer.orders.read'),
      schema: {
        tags,
        summary: "The counts of the dealer cabinet's tabs: offered now, its own in work, completed or cancelled, and all of them",
        description: 'Takes the order list\'s filters (status, overdue, q, responsible) and counts as the lists of each view would.',
        params: DealerParamsSchema,
        querystring: DealerOrderCountsQuerySchema,
        response: { 200: DealerOrderCountsSchema, ...errors(400, 404) },
      },
    },
    async (request) => cabinet.counts(scopeOf(request), request.query),
  );

  app.get(
    '/dealers/:code/orders/:orderId',
    {
      config: dealer('dealer.orders.read'),
      schema: {
        tags,
        summary: "One order's card as the dealer sees it: lines, delivery, history, comments, and what the user may do with it now",
        description:
          'Client contacts and the delivery address only once the dealer has the order. An order the dealer neither has nor is offered now answers as a take would: ' +
          '404 "not offered to you" with details.reason taken_by_another (another dealer has it), not_offered (never offered to it) or offer_ended.',
        params: DealerOrderParamsSchema,
        response: { 200: DealerOrderCardSchema, ...errors(404) },
      },
    },
    async (request) => {
      const permissions = principalOf(request).permissions;
      return cabinet.card(scopeOf(request), request.params.orderId, (p) => permissions.has(p));
    },
  );

  app.get(
    '/dealers/:code/orders/:orderId/comments',
    {
      config: dealer('dealer.orders.read'),
      schema: {
        tags,
        summary: 'The comments on an order the dealer has, oldest first (none while it is only offered)',
        params: DealerOrderParamsSchema,
        response: { 200: OrderCommentListSchema, ...errors(404) },
      },
    },
    async (request) => ({ comments: await cabinet.comments(scopeOf(request), request.params.orderId) }),
  );

  app.post(
    '/dealers/:code/orders/:orderId/comments',
    {
      config: dealer('dealer.orders.work'),
      schema: {
        tags,
        summary: 'Comment on an order the dealer has (any of its users, on any of its orders); the order history records it',
        description:
          'visibility client marks a comment meant for the client: it is stored and flagged, but not sent to the shop yet; internal stays with the dealer and the manufacturer. ' +
          'An order only offered to the dealer is 409 conflict with details.reason not_taken; another dealer\'s order 404 as a take would answer.',
        params: DealerOrderParamsSchema,
        body: OrderCommentBodySchema,
        response: { 201: OrderCommentSchema, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const comment = await cabinet.addComment(scopeOf(request), request.params.orderId, request.body, { login: principal.login, name: principal.name });
      return reply.code(201).send(comment);
    },
  );
};

export default dealerCabinetRoutes;
