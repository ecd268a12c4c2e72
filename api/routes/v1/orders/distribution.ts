import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DistributionQueries } from '../../../../core/distribution/distribution-queries.ts';
import { OrderLifecycle } from '../../../../core/flows/order-lifecycle.ts';
import type { RouteDeps } from '../../../deps.ts';
import { actorOf, scopeOf } from '../../../auth/request-context.ts';
import { errors } from '../../../schemas/common.ts';
import {
  AssignBodySchema,
  AssignResultSchema,
  DistributeBodySchema,
  DistributeOutcomeSchema,
  DistributionDetailsSchema,
  OrderIdParamsSchema,
  StatusChangeBodySchema,
  StatusChangeResultSchema,
} from '../../../schemas/distribution.ts';
import { staff } from '../../../auth/access.ts';

/**
 * /v1/orders/:id/distribution, /assign and /status: the manufacturer's view of an order's distribution
 * (the decision trace) and its decisions on it. Who acts comes from the authenticated principal;
 * every rule lives in core/distribution and core/flows.
 */
const orderDistributionRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  // Status changes go through the order lifecycle: core status, stock, distribution and the channel follow them.
  const lifecycle = new OrderLifecycle(deps.db);
  const distribution = lifecycle.distribution;
  const queries = new DistributionQueries(deps.db);
  const tags = ['distribution'];

  app.get(
    '/orders/:id/distribution',
    {
      config: staff('distribution.read'),
      schema: {
        tags,
        summary: "An order's distribution: the decision trace (every dealer judged, every tier), offers and events",
        params: OrderIdParamsSchema,
        response: { 200: DistributionDetailsSchema, ...errors(404) },
      },
    },
    async (request) => queries.details(scopeOf(request), request.params.id),
  );

  app.post(
    '/orders/:id/distribution',
    {
      config: staff('distribution.assign'),
      schema: {
        tags,
        summary: 'Distribute the order (again) with the configuration in force',
        description: 'force (default true) decides again whatever the state, a new round in which earlier declines stand; a completed order is refused (409). skipped while distribution is off.',
        params: OrderIdParamsSchema,
        body: DistributeBodySchema,
        response: { 200: DistributeOutcomeSchema, ...errors(400, 404, 409) },
      },
      // The body is optional: a POST without one is {} (force defaults to true).
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => distribution.distribute(request.params.id, { force: request.body.force ?? true, by: actorOf(request).login }),
  );

  app.post(
    '/orders/:id/assign',
    {
      config: staff('distribution.assign'),
      schema: {
        tags,
        summary: 'Hand the order to a dealer directly (from offering, unassigned, or another dealer)',
        description:
          'The dealer must not be blocked, must be authorised and must not be excluded by regional exclusivity in the order\'s region; otherwise 409 with details.checks listing each failed check. force: true with a written reason assigns anyway (not a blocked dealer); the reason is recorded in the order history and the audit log.',
        params: OrderIdParamsSchema,
        body: AssignBodySchema,
        response: { 200: AssignResultSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => distribution.assign(request.params.id, request.body.dealer, actorOf(request), { note: request.body.note, force: request.body.force, reason: request.body.reason }),
  );

  app.post(
    '/orders/:id/status',
    {
      config: staff('distribution.assign'),
      schema: {
        tags,
        summary: "The manufacturer moves a distributed order on or cancels an order (also one still offered, or never distributed); the dealer's points follow as for the dealer",
        description: 'Goes through the order lifecycle (docs/lifecycle.md): the core status follows, stock is shipped on completion and released on cancellation, distribution ends on cancellation, and the channel is to hear the new status.',
        params: OrderIdParamsSchema,
        body: StatusChangeBodySchema,
        response: { 200: StatusChangeResultSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const result = await lifecycle.changeFulfilment(scopeOf(request), request.params.id, request.body);
      // The channel's write-back was queued with the change; the sender goes now rather than at the next tick.
      await deps.actions.nudgeStatusWriteBack?.();
      return result;
    },
  );
};

export default orderDistributionRoutes;
