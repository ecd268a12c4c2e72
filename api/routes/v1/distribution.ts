import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DistributionQueries } from '../../../core/distribution/distribution-queries.ts';
import { DistributionService } from '../../../core/distribution/distribution-service.ts';
import { whatIf } from '../../../core/distribution/what-if.ts';
import { HubError, isHubError } from '../../../core/errors.ts';
import type { AppDeps } from '../../app.ts';
import { actorOf, HubUserHeadersSchema, scopeOf } from '../../request-scope.ts';
import { errors } from '../../schemas/common.ts';
import {
  AdvanceReportSchema,
  AllOrdersQuerySchema,
  AssignBodySchema,
  AssignResultSchema,
  ConfigVersionParamsSchema,
  ConfigVersionSchema,
  DealerOrderParamsSchema,
  DealerParamsSchema,
  DealerOrdersQuerySchema,
  DeclineBodySchema,
  DeclineResultSchema,
  DistributeBodySchema,
  DistributeOutcomeSchema,
  DistributionDetailsSchema,
  MarkReadBodySchema,
  MarkReadResultSchema,
  NotificationSchema,
  NotificationsQuerySchema,
  OrderIdParamsSchema,
  OrderListSchema,
  RefusalReportSchema,
  RefusalsQuerySchema,
  SaveConfigBodySchema,
  StatusChangeBodySchema,
  StatusChangeResultSchema,
  TakeResultSchema,
  ValidateConfigBodySchema,
  ValidConfigSchema,
  WhatIfBodySchema,
  WhatIfReportSchema,
} from '../../schemas/distribution.ts';

/**
 * Distribution of orders to dealers: the strategy configuration's versions (/v1/distribution/config),
 * the admin's order list, decisions and reports (/v1/distribution, /v1/orders/:id/...), and each
 * dealer's side (/v1/dealers/:code/orders, /v1/dealers/:code/notifications). Who acts comes from
 * scopeOf (api/request-scope.ts); every rule and every visibility filter lives in core/distribution.
 */
const distributionRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const distribution = new DistributionService(deps.db);
  const configs = distribution.configs;
  const queries = new DistributionQueries(deps.db);
  const tags = ['distribution'];

  // ---- the strategy configuration -----------------------------------------------------------------------------------

  app.get(
    '/distribution/config',
    { schema: { tags, summary: 'The strategy configuration in force (404 while distribution is off: no version saved yet)', response: { 200: ConfigVersionSchema, ...errors(404) } } },
    async () => {
      const active = await configs.active();
      if (!active) throw new HubError('not_found', 'Distribution is off: no strategy configuration has been saved yet.');
      return active;
    },
  );

  app.get(
    '/distribution/config/versions',
    { schema: { tags, summary: 'Every saved version, newest first (the newest is in force)', response: { 200: Type.Object({ items: Type.Array(ConfigVersionSchema) }) } } },
    async () => ({ items: await configs.list() }),
  );

  app.get(
    '/distribution/config/versions/:version',
    { schema: { tags, summary: 'One saved version', params: ConfigVersionParamsSchema, response: { 200: ConfigVersionSchema, ...errors(404) } } },
    async (request) => configs.get(request.params.version),
  );

  app.put(
    '/distribution/config',
    {
      schema: {
        tags,
        summary: 'Save a new version of the strategy configuration; it is in force at once (the first one turns distribution on)',
        description: 'Validated first: 400 names the field at fault as config.<path>. Orders already distributed keep the version that decided them.',
        headers: HubUserHeadersSchema,
        body: SaveConfigBodySchema,
        response: { 200: ConfigVersionSchema, ...errors(400) },
      },
    },
    async (request) => asConfigField(() => configs.save(request.body.config, actorOf(request), request.body.note)),
  );

  app.post(
    '/distribution/config/validate',
    {
      schema: {
        tags,
        summary: 'Check a configuration without saving it; answers it as it would be saved (defaults filled in)',
        body: ValidateConfigBodySchema,
        response: { 200: ValidConfigSchema, ...errors(400) },
      },
    },
    async (request) => ({ valid: true as const, config: await asConfigField(() => configs.validate(request.body.config)) }),
  );

  // ---- order lists ------------------------------------------------------------------------------------------------------

  app.get(
    '/distribution/orders',
    {
      schema: {
        tags,
        summary: "All distributed orders (the manufacturer's view), newest first",
        querystring: AllOrdersQuerySchema,
        response: { 200: OrderListSchema, ...errors(400, 404) },
      },
    },
    async (request) => {
      const { dealer, ...filter } = request.query;
      return queries.listOrders(scopeOf(request), { view: 'all', dealerCode: dealer, ...filter });
    },
  );

  app.get(
    '/dealers/:code/orders',
    {
      schema: {
        tags,
        summary: "A dealer's orders: offered to it now (no client contacts until taken), its own in work, or completed",
        params: DealerParamsSchema,
        headers: HubUserHeadersSchema,
        querystring: DealerOrdersQuerySchema,
        response: { 200: OrderListSchema, ...errors(400, 404) },
      },
    },
    async (request) => queries.listOrders(scopeOf(request), request.query),
  );

  // ---- a dealer's actions -----------------------------------------------------------------------------------------------

  app.post(
    '/dealers/:code/orders/:orderId/take',
    {
      schema: {
        tags,
        summary: 'Take an order offered to the dealer now; exactly one of many concurrent takers wins',
        description: 'The dealers it was offered to but who were too late get 409 conflict with details.reason already_taken; 403 not_allowed says why the dealer may not take it (details.reason not_offered, declined, not_yet_visible, expired, dealer_blocked).',
        params: DealerOrderParamsSchema,
        headers: HubUserHeadersSchema,
        response: { 200: TakeResultSchema, ...errors(403, 404, 409) },
      },
    },
    async (request) => distribution.take(scopeOf(request), request.params.orderId),
  );

  app.post(
    '/dealers/:code/orders/:orderId/decline',
    {
      schema: {
        tags,
        summary: 'Decline an order offered to the dealer, with a reason; when nobody who sees it is left, the next tier opens now',
        params: DealerOrderParamsSchema,
        headers: HubUserHeadersSchema,
        body: DeclineBodySchema,
        response: { 200: DeclineResultSchema, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => distribution.decline(scopeOf(request), request.params.orderId, request.body.reason),
  );

  app.post(
    '/dealers/:code/orders/:orderId/status',
    {
      schema: {
        tags,
        summary: "Move the dealer's order on: contacted, in_progress, completed (earns points), cancelled with a reason (costs points)",
        params: DealerOrderParamsSchema,
        headers: HubUserHeadersSchema,
        body: StatusChangeBodySchema,
        response: { 200: StatusChangeResultSchema, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => distribution.changeStatus(scopeOf(request), request.params.orderId, request.body),
  );

  app.get(
    '/dealers/:code/orders/:orderId/distribution',
    {
      schema: {
        tags,
        summary: "The dealer's view of an order's distribution: its own offers and events, no decision trace",
        params: DealerOrderParamsSchema,
        headers: HubUserHeadersSchema,
        response: { 200: DistributionDetailsSchema, ...errors(404) },
      },
    },
    async (request) => queries.details(scopeOf(request), request.params.orderId),
  );

  // ---- admin's view and actions -----------------------------------------------------------------------------------------

  app.get(
    '/orders/:id/distribution',
    {
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
      schema: {
        tags,
        summary: 'Distribute the order (again) with the configuration in force',
        description: 'force (default true) decides again whatever the state, a new round in which earlier declines stand; a completed order is refused (409). skipped while distribution is off.',
        params: OrderIdParamsSchema,
        headers: HubUserHeadersSchema,
        body: DistributeBodySchema,
        response: { 200: DistributeOutcomeSchema, ...errors(400, 404, 409) },
      },
      // The body is optional: a POST without one is {} (force defaults to true).
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => distribution.distribute(request.params.id, { force: request.body.force ?? true, by: actorOf(request) }),
  );

  app.post(
    '/orders/:id/assign',
    {
      schema: {
        tags,
        summary: 'Hand the order to a dealer directly (from offering, unassigned, or another dealer)',
        params: OrderIdParamsSchema,
        headers: HubUserHeadersSchema,
        body: AssignBodySchema,
        response: { 200: AssignResultSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => distribution.assign(request.params.id, request.body.dealer, actorOf(request), request.body.note),
  );

  app.post(
    '/orders/:id/status',
    {
      schema: {
        tags,
        summary: "The manufacturer moves a distributed order on or cancels it (also while it is still offered); the dealer's points follow as for the dealer",
        params: OrderIdParamsSchema,
        headers: HubUserHeadersSchema,
        body: StatusChangeBodySchema,
        response: { 200: StatusChangeResultSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => distribution.changeStatus(scopeOf(request), request.params.id, request.body),
  );

  app.post(
    '/distribution/advance',
    {
      schema: {
        tags,
        summary: "Run the minute's tick now: notify offers that became visible, hand overdue orders to the fallback, flag overdue fulfilment, catch up missed orders",
        response: { 200: AdvanceReportSchema },
      },
    },
    async () => distribution.advance(),
  );

  app.post(
    '/distribution/what-if',
    {
      schema: {
        tags,
        summary: 'Replay a configuration (given, a saved version, or the one in force) over past orders; changes nothing',
        description: 'Per dealer: how many orders it would have been offered and would have got, beside what it actually got.',
        body: WhatIfBodySchema,
        response: { 200: WhatIfReportSchema, ...errors(400, 404) },
      },
    },
    async (request) => {
      // Checked here first so a problem in the configuration is named as the request has it (config.<path>).
      const config = request.body.config;
      if (config !== undefined) await asConfigField(() => configs.validate(config));
      return whatIf(deps.db, request.body);
    },
  );

  app.get(
    '/distribution/reports/refusals',
    {
      schema: {
        tags: [...tags, 'reports'],
        summary: "Why orders were refused in a period (dealers' declines, cancellations by whom) and how fast dealers take",
        querystring: RefusalsQuerySchema,
        response: { 200: RefusalReportSchema, ...errors(400) },
      },
    },
    async (request) => queries.refusals(request.query),
  );

  // ---- notifications ----------------------------------------------------------------------------------------------------

  app.get(
    '/notifications',
    {
      schema: {
        tags,
        summary: "The manufacturer's notifications (unassigned orders, dealers' cancellations, overdue orders), newest first",
        querystring: NotificationsQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(NotificationSchema) }) },
      },
    },
    async (request) => ({ items: await queries.notifications(scopeOf(request), { unreadOnly: request.query.unread, limit: request.query.limit }) }),
  );

  app.get(
    '/dealers/:code/notifications',
    {
      schema: {
        tags,
        summary: "The dealer's notifications (offers, assignments, cancellations, changes), newest first",
        params: DealerParamsSchema,
        headers: HubUserHeadersSchema,
        querystring: NotificationsQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(NotificationSchema) }), ...errors(400, 404) },
      },
    },
    async (request) => ({ items: await queries.notifications(scopeOf(request), { unreadOnly: request.query.unread, limit: request.query.limit }) }),
  );

  app.post(
    '/dealers/:code/notifications/read',
    {
      schema: {
        tags,
        summary: "Mark the dealer's notifications read (ids of other dealers' notifications change nothing)",
        params: DealerParamsSchema,
        headers: HubUserHeadersSchema,
        body: MarkReadBodySchema,
        response: { 200: MarkReadResultSchema, ...errors(400, 404) },
      },
    },
    async (request) => ({ marked: await queries.markRead(scopeOf(request), request.body.ids) }),
  );

  app.post(
    '/notifications/read',
    {
      schema: {
        tags,
        summary: "Mark the manufacturer's notifications read (ids of dealers' notifications change nothing)",
        headers: HubUserHeadersSchema,
        body: MarkReadBodySchema,
        response: { 200: MarkReadResultSchema, ...errors(400) },
      },
    },
    async (request) => ({ marked: await queries.markRead(scopeOf(request), request.body.ids) }),
  );
};

/**
 * Runs work on a configuration sent as a request body's `config` (core validates it first): a
 * problem with it names its field as the request has it (config.tiers.0.delayMinutes).
 */
async function asConfigField<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isHubError(error) || error.code !== 'invalid_data') throw error;
    const path = error.field && error.field !== '(root)' ? `.${error.field}` : '';
    throw new HubError('invalid_data', error.message, { field: `config${path}`, details: error.details, cause: error });
  }
}

export default distributionRoutes;
