import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { RegionService } from '../../../core/regions/region-service.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors } from '../../schemas/common.ts';
import { ListRegionsQuerySchema, LoadRegionsBodySchema, RegionLoadSummarySchema, RegionSchema } from '../../schemas/exclusivity.ts';
import { staff } from '../../auth/access.ts';
import { auditChange } from '../../auth/audit-change.ts';

/** /v1/regions: the region tree that dealers, orders and exclusivity rules refer to. */
const regionRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const regions = new RegionService(deps.db);
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
};

export default regionRoutes;
