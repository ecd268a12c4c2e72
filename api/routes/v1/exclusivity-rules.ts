import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ExclusivityService } from '../../../core/exclusivity/exclusivity-service.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors, IdParamsSchema } from '../../schemas/common.ts';
import { CreateRuleBodySchema, ExclusivityRuleSchema, ListRulesQuerySchema, LoadRulesBodySchema, RuleLoadSummarySchema, UpdateRuleBodySchema } from '../../schemas/exclusivity.ts';
import { staff } from '../../auth/access.ts';
import { auditChange } from '../../auth/audit-change.ts';

/** /v1/exclusivity-rules: regional exclusivity rules, one by one or loaded idempotently by externalId. */
const exclusivityRuleRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const rules = new ExclusivityService(deps.db);
  const tags = ['exclusivity'];

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
};

export default exclusivityRuleRoutes;
