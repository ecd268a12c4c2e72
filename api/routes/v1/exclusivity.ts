import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ExclusivityService } from '../../../core/exclusivity/exclusivity-service.ts';
import { RegionService } from '../../../core/regions/region-service.ts';
import type { AppDeps } from '../../app.ts';
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

/** /v1/regions, /v1/exclusivity-rules and /v1/exclusivity/check: the region tree and regional exclusivity. */
const exclusivityRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const regions = new RegionService(deps.db);
  const rules = new ExclusivityService(deps.db);
  const tags = ['exclusivity'];

  app.put(
    '/regions',
    {
      schema: {
        tags,
        summary: 'Load the region tree (idempotent: upsert by code, parent by code; a moved region moves its subtree)',
        body: LoadRegionsBodySchema,
        response: { 200: RegionLoadSummarySchema, ...errors(400) },
      },
    },
    async (request) => regions.load(request.body.regions),
  );

  app.get(
    '/regions',
    { schema: { tags, summary: 'Regions in tree order', querystring: ListRegionsQuerySchema, response: { 200: Type.Object({ items: Type.Array(RegionSchema) }), ...errors(404) } } },
    async (request) => ({ items: await regions.list({ under: request.query.under }) }),
  );

  app.get(
    '/exclusivity-rules',
    { schema: { tags, summary: 'List exclusivity rules (at most 5,000)', querystring: ListRulesQuerySchema, response: { 200: Type.Object({ items: Type.Array(ExclusivityRuleSchema) }), ...errors(400) } } },
    async (request) => ({ items: await rules.list(request.query) }),
  );

  app.post(
    '/exclusivity-rules',
    { schema: { tags, summary: 'Make an exclusivity rule', body: CreateRuleBodySchema, response: { 201: ExclusivityRuleSchema, ...errors(400, 409) } } },
    async (request, reply) => reply.code(201).send(await rules.create(request.body)),
  );

  app.put(
    '/exclusivity-rules',
    {
      schema: {
        tags,
        summary: 'Load rules idempotently by externalId (creates new ones, updates changed ones, leaves others alone)',
        body: LoadRulesBodySchema,
        response: { 200: RuleLoadSummarySchema, ...errors(400) },
      },
    },
    async (request) => rules.load(request.body.rules),
  );

  app.get(
    '/exclusivity-rules/:id',
    { schema: { tags, summary: 'An exclusivity rule', params: IdParamsSchema, response: { 200: ExclusivityRuleSchema, ...errors(404) } } },
    async (request) => rules.get(request.params.id),
  );

  app.patch(
    '/exclusivity-rules/:id',
    {
      schema: { tags, summary: 'Change an exclusivity rule', params: IdParamsSchema, body: UpdateRuleBodySchema, response: { 200: ExclusivityRuleSchema, ...errors(400, 404, 409) } },
    },
    async (request) => rules.update(request.params.id, request.body),
  );

  app.delete(
    '/exclusivity-rules/:id',
    { schema: { tags, summary: 'Delete an exclusivity rule', params: IdParamsSchema, response: { 204: Type.Null(), ...errors(404) } } },
    async (request, reply) => {
      await rules.delete(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/exclusivity/check',
    {
      schema: {
        tags,
        summary: 'May this dealer order these lines on this date? A verdict per line, with the reason',
        description: 'The dealer is given by its code and region codes (main region, extra regions, cities). The date defaults to today (UTC).',
        body: CheckBodySchema,
        response: { 200: DealerLinesCheckSchema, ...errors(400) },
      },
    },
    async (request) => rules.checkDealerLines(request.body.dealer, request.body.lines, request.body.date),
  );
};

export default exclusivityRoutes;
