import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DistributionQueries } from '../../../core/distribution/distribution-queries.ts';
import { OrderLifecycle } from '../../../core/flows/order-lifecycle.ts';
import { whatIf } from '../../../core/distribution/what-if.ts';
import { HubError, isHubError } from '../../../core/errors.ts';
import type { RouteDeps } from '../../deps.ts';
import { actorOf, scopeOf } from '../../auth/request-context.ts';
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
  ReassignBodySchema,
  ReassignResultSchema,
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
import { dealer, staff, staffOrDealer } from '../../auth/access.ts';
import { auditChange } from '../../auth/audit-change.ts';

/**
 * Distribution of orders to dealers: the strategy configuration's versions (/v1/distribution/config),
 * the admin's order list, decisions and reports (/v1/distribution, /v1/orders/:id/...), and each
 * dealer's side (/v1/dealers/:code/orders, /v1/dealers/:code/notifications). Who acts comes from
 * the authenticated principal (api/auth); every rule and every visibility filter lives in core/distribution.
 */
const distributionRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  // Status changes go through the order lifecycle: core status, stock, distribution and the channel follow them.
  const lifecycle = new OrderLifecycle(deps.db);
  const distribution = lifecycle.distribution;
  const configs = distribution.configs;
  const queries = new DistributionQueries(deps.db);
  const tags = ['distribution'];

  // ---- the strategy configuration -----------------------------------------------------------------------------------

  app.get(
    '/distribution/config',
    { config: staff('distribution.read'), schema: { tags, summary: 'The strategy configuration in force (404 while distribution is off: no version saved yet)', response: { 200: ConfigVersionSchema, ...errors(404) } } },
    async () => {
      const active = await configs.active();
      if (!active) throw new HubError('not_found', 'Distribution is off: no strategy configuration has been saved yet.');
      return active;
    },
  );

  app.get(
    '/distribution/config/versions',
    { config: staff('distribution.read'), schema: { tags, summary: 'Every saved version, newest first (the newest is in force)', response: { 200: Type.Object({ items: Type.Array(ConfigVersionSchema) }) } } },
    async () => ({ items: await configs.list() }),
  );

  app.get(
    '/distribution/config/versions/:version',
    { config: staff('distribution.read'), schema: { tags, summary: 'One saved version', params: ConfigVersionParamsSchema, response: { 200: ConfigVersionSchema, ...errors(404) } } },
    async (request) => configs.get(request.params.version),
  );

  app.put(
    '/distribution/config',
    {
      config: staff('distribution.config'),
      schema: {
        tags,
        summary: 'Save a new version of the strategy configuration; it is in force at once (the first one turns distribution on)',
        description: 'Validated first: 400 names the field at fault as config.<path>. Orders already distributed keep the version that decided them.',
        body: SaveConfigBodySchema,
        response: { 200: ConfigVersionSchema, ...errors(400) },
      },
    },
    async (request) => {
      const before = await configs.active();
      const saved = await asConfigField(() => configs.save(request.body.config, actorOf(request).login, request.body.note));
      await auditChange(deps.db, request, { action: 'distribution-config.save', target: { type: 'distribution-config', id: String(saved.version) }, before: before?.config ?? null, after: saved.config });
      return saved;
    },
  );

  app.post(
    '/distribution/config/validate',
    {
      config: staff('distribution.config'),
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
      config: staff('distribution.read'),
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

  // ---- a dealer's actions -----------------------------------------------------------------------------------------------

  app.post(
    '/dealers/:code/orders/:orderId/take',
    {
      config: dealer('dealer.orders.take'),
      schema: {
        tags,
        summary: 'Take an order offered to the dealer now; exactly one of many concurrent takers wins',
        description:
          'A dealer that lost the race (another dealer took it, the manufacturer assigned it elsewhere) and a dealer it was never offered to both get 404 "not offered to you" (details.reason taken_by_another, not_offered); ' +
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
        params: DealerOrderParamsSchema,
        body: StatusChangeBodySchema,
        response: { 200: StatusChangeResultSchema, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => lifecycle.changeFulfilment(scopeOf(request), request.params.orderId, request.body),
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

  // ---- admin's view and actions -----------------------------------------------------------------------------------------

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
    async (request) => lifecycle.changeFulfilment(scopeOf(request), request.params.id, request.body),
  );

  app.post(
    '/distribution/advance',
    {
      config: staff('distribution.tick'),
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
      config: staff('distribution.what-if'),
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
      config: staff('distribution.read'),
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
      config: staff('distribution.read'),
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
      config: dealer('dealer.notifications'),
      schema: {
        tags,
        summary: "The dealer's notifications (offers, assignments, cancellations, changes), newest first",
        params: DealerParamsSchema,
        querystring: NotificationsQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(NotificationSchema) }), ...errors(400, 404) },
      },
    },
    async (request) => ({ items: await queries.notifications(scopeOf(request), { unreadOnly: request.query.unread, limit: request.query.limit }) }),
  );

  app.post(
    '/dealers/:code/notifications/read',
    {
      config: dealer('dealer.notifications'),
      schema: {
        tags,
        summary: "Mark the dealer's notifications read (ids of other dealers' notifications change nothing)",
        params: DealerParamsSchema,
        body: MarkReadBodySchema,
        response: { 200: MarkReadResultSchema, ...errors(400, 404) },
      },
    },
    async (request) => ({ marked: await queries.markRead(scopeOf(request), request.body.ids) }),
  );

  app.post(
    '/notifications/read',
    {
      config: staff('distribution.read'),
      schema: {
        tags,
        summary: "Mark the manufacturer's notifications read (ids of dealers' notifications change nothing)",
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
