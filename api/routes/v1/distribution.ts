import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DistributionQueries } from '../../../core/distribution/distribution-queries.ts';
import { DistributionService } from '../../../core/distribution/distribution-service.ts';
import { whatIf } from '../../../core/distribution/what-if.ts';
import { HubError, isHubError } from '../../../core/errors.ts';
import type { RouteDeps } from '../../deps.ts';
import { actorOf, scopeOf } from '../../auth/request-context.ts';
import { errors } from '../../schemas/common.ts';
import {
  AdvanceReportSchema,
  AllOrdersQuerySchema,
  ConfigVersionParamsSchema,
  ConfigVersionSchema,
  OrderListSchema,
  RefusalReportSchema,
  RefusalsQuerySchema,
  SaveConfigBodySchema,
  ValidateConfigBodySchema,
  ValidConfigSchema,
  WhatIfBodySchema,
  WhatIfReportSchema,
} from '../../schemas/distribution.ts';
import { staff } from '../../auth/access.ts';
import { auditChange } from '../../auth/audit-change.ts';

/**
 * /v1/distribution: the strategy configuration's versions, the manufacturer's list of distributed
 * orders, the minute's tick, what-if and the refusals report. An order's own distribution is under
 * /v1/orders/:id (orders/distribution.ts), a dealer's side under /v1/dealers/:code (dealers/orders.ts).
 * Every rule lives in core/distribution.
 */
const distributionRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const distribution = new DistributionService(deps.db);
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

  // ---- orders, the tick and reports -------------------------------------------------------------------------------------

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

  app.post(
    '/distribution/advance',
    {
      config: staff('distribution.tick'),
      schema: {
        tags,
        summary: "Run the minute's tick now: notify offers that became visible, hand overdue orders to the fallback, flag overdue fulfilment, catch up missed orders, retry due order steps",
        response: { 200: AdvanceReportSchema },
      },
    },
    // The hub's own tick when it is composed with one (it also retries the order lifecycle's due steps).
    async () => (deps.actions.advance ? deps.actions.advance() : distribution.advance()),
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
