import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CatalogueQueries } from '../../../core/catalogue/catalogue-queries.ts';
import { ColumnPriceSchema, PriceColumnSchema } from '../../../core/catalogue/catalogue-schemas.ts';
import { staffOrDealer } from '../../auth/access.ts';
import { viewerOf } from '../../auth/request-context.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors, IdParamsSchema, IsoDateTime, NextCursor, PageQuery } from '../../schemas/common.ts';

/** /v1/price-columns: 1C's price types and the prices in each; a dealer's user sees only the columns it buys at. */
const priceColumnRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const queries = new CatalogueQueries(deps.db);
  const tags = ['catalogue'];

  app.get(
    '/price-columns',
    {
      config: staffOrDealer('catalogue.read', 'dealer.catalogue.read'),
      schema: { tags, summary: 'Price columns (1C price types); a dealer’s user sees its own', response: { 200: Type.Object({ items: Type.Array(PriceColumnSchema) }) } },
    },
    async (request) => ({ items: await queries.columns(viewerOf(request)) }),
  );

  app.get(
    '/price-columns/:id/prices',
    {
      config: staffOrDealer('catalogue.read', 'dealer.catalogue.read'),
      schema: {
        tags,
        summary: 'Prices in a column by SKU, current or valid at a moment; keyset paging',
        description: 'A dealer’s user asking for a column it does not buy at is told it does not exist (404).',
        params: IdParamsSchema,
        querystring: Type.Object({ at: Type.Optional(IsoDateTime), ...PageQuery }),
        response: { 200: Type.Object({ items: Type.Array(ColumnPriceSchema), nextCursor: NextCursor }), ...errors(400, 404) },
      },
    },
    async (request) =>
      queries.columnPrices(viewerOf(request), request.params.id, {
        at: request.query.at ? new Date(request.query.at) : undefined,
        cursor: request.query.cursor,
        limit: request.query.limit,
      }),
  );
};

export default priceColumnRoutes;
