import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ExclusivityService } from '../../../core/exclusivity/exclusivity-service.ts';
import { RegionService } from '../../../core/regions/region-service.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors, IdParamsSchema } from '../../schemas/common.ts';
import {
  CheckBodySchema,
  CreateRuleBodySchema,
  DealerLinesCheckSchema,
  ExclusivityRuleSchema,
  ListRegionsQuerySchema,
  ListRulesQuerySchema,
  LoadRegionsBodySchema,
  LoadRulesBodySchema,
  RegionLoadSummarySchema,
  RegionSchema,
  RuleLoadSummarySchema,
  UpdateRuleBodySchema,
} from '../../schemas/exclusivity.ts';
import { staff } from '../../auth/access.ts';
import { auditChange } from '../../auth/audit-change.ts';

/** /v1/regions, /v1/exclusivity-rules and /v1/exclusivity/check: the region tree and regional exclusivity. */
const exclusivityRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const regions = new RegionService(deps.db);
  const rules = new ExclusivityService(deps.db);
  const tags = ['exclusivity'];

  app.put(
    '/regions',
    {
      config: staff('regions.write'),
      schema: {
        tags,
        summary: 'Load the region tree (idempotent: upsert by code, parent by code; a moved region moves its subtree)',
        body: LoadRegionsBodySchema,
        response: { 200: RegionLoadSummarySchema, ...errors(400) },
      },
    },
    async (request) => {
      const summary = await regions.load(request.body.regions);
      await auditChange(deps.db, request, { action: 'region.load', target: { type: 'region', id: '*' }, details: { ...summary, codes: request.body.regions.slice(0, 100).map((r) => r.code) } });
      return summary;
    },
  );

  app.get(
    '/regions',
    { config: staff('regions.read'), schema: { tags, summary: 'Regions in tree order', querystring: ListRegionsQuerySchema, response: { 200: Type.Object({ items: Type.Array(RegionSchema) }), ...errors(404) } } },
    async (request) => ({ items: await regions.list({ under: request.query.under }) }),
  );

  app.get(
    '/exclusivity-rules',
    { config: staff('exclusivity.read'), schema: { tags, summary: 'List exclusivity rules (at most 5,000)', querystring: ListRulesQuerySchema, response: { 200: Type.Object({ items: Type.Array(ExclusivityRuleSchema) }), ...errors(400) } } },
    async (request) => ({ items: await rules.list(request.query) }),
  );

  app.post(
    '/exclusivity-rules',
    { config: staff('exclusivity.write'), schema: { tags, summary: 'Make an exclusivity rule', body: CreateRuleBodySchema, response: { 201: ExclusivityRuleSchema, ...errors(400, 409) } } },
    async (request, reply) => {
      const rule = await rules.create(request.body);
      await auditChange(deps.db, request, { action: 'exclusivity-rule.create', target: { type: 'exclusivity-rule', id: rule.id }, after: rule });
      return reply.code(201).send(rule);
    },
  );

  app.put(
    '/exclusivity-rules',
    {
      config: staff('exclusivity.write'),
      schema: {
        tags,
        summary: 'Load rules idempotently by externalId (creates new ones, updates changed ones, leaves others alone)',
        body: LoadRulesBodySchema,
        response: { 200: RuleLoadSummarySchema, ...errors(400) },
      },
    },
    async (request) => {
      const summary = await rules.load(request.body.rules);
      await auditChange(deps.db, request, { action: 'exclusivity-rule.load', target: { type: 'exclusivity-rule', id: '*' }, details: summary });
      return summary;
    },
  );

  app.get(
    '/exclusivity-rules/:id',
    { config: staff('exclusivity.read'), schema: { tags, summary: 'An exclusivity rule', params: IdParamsSchema, response: { 200: ExclusivityRuleSchema, ...errors(404) } } },
    async (request) => rules.get(request.params.id),
  );

  app.patch(
    '/exclusivity-rules/:id',
    {
      config: staff('exclusivity.write'),
      schema: { tags, summary: 'Change an exclusivity rule', params: IdParamsSchema, body: UpdateRuleBodySchema, response: { 200: ExclusivityRuleSchema, ...errors(400, 404, 409) } },
    },
    async (request) => {
      const before = await rules.get(request.params.id);
      const after = await rules.update(request.params.id, request.body);
      await auditChange(deps.db, request, { action: 'exclusivity-rule.update', target: { type: 'exclusivity-rule', id: after.id }, before, after });
      return after;
    },
  );

  app.delete(
    '/exclusivity-rules/:id',
    { config: staff('exclusivity.write'), schema: { tags, summary: 'Delete an exclusivity rule', params: IdParamsSchema, response: { 204: Type.Null(), ...errors(404) } } },
    async (request, reply) => {
      const before = await rules.get(request.params.id);
      await rules.delete(request.params.id);
      await auditChange(deps.db, request, { action: 'exclusivity-rule.delete', target: { type: 'exclusivity-rule', id: before.id }, before });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/exclusivity/check',
    {
      config: staff('exclusivity.read'),
      schema: {
        tags,
        summary: 'May this dealer order these lines on this date? A verdict per line, with the reason',
        description:
          "The dealer is given by its code; the check uses its registered regions (main region, extra regions, cities) as the hub knows them, plus deliveryRegion when given. Region codes sent in dealer.regionCodes are ignored. The date defaults to today (UTC).",
        body: CheckBodySchema,
        response: { 200: DealerLinesCheckSchema, ...errors(400, 404) },
      },
    },
    async (request) => rules.checkDealerLines(request.body.dealer.code, request.body.lines, request.body.date, request.body.deliveryRegion),
  );
};

export default exclusivityRoutes;
