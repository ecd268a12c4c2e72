import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ExclusivityService } from '../../../core/exclusivity/exclusivity-service.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors } from '../../schemas/common.ts';
import { CheckBodySchema, DealerLinesCheckSchema } from '../../schemas/exclusivity.ts';
import { staff } from '../../auth/access.ts';

/** /v1/exclusivity/check: may a dealer order these lines, judged by the rules (exclusivity-rules.ts) and the region tree. */
const exclusivityRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const rules = new ExclusivityService(deps.db);
  const tags = ['exclusivity'];

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
