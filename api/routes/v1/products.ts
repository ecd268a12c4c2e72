import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CatalogueQueries } from '../../../core/catalogue/catalogue-queries.ts';
import { ProductDetailSchema, ProductSummarySchema } from '../../../core/catalogue/catalogue-schemas.ts';
import { staffOrDealer } from '../../auth/access.ts';
import { viewerOf } from '../../auth/request-context.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors, IdParamsSchema, NextCursor, PageQuery } from '../../schemas/common.ts';

/**
 * /v1/products: the catalogue (from 1C, or loaded through /v1/stock) with free stock per warehouse
 * and prices per column. Staff see every column; a dealer's user only the column it buys at.
 */
const productRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const queries = new CatalogueQueries(deps.db);
  const tags = ['catalogue'];

  app.get(
    '/products',
    {
      config: staffOrDealer('catalogue.read', 'dealer.catalogue.read'),
      schema: {
        tags,
        summary: 'Products by SKU: search by name, article, SKU or barcode, filter by group (and the groups inside it) and active; keyset paging',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          group: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "a group's 1C id" })),
          active: Type.Optional(Type.Boolean()),
          ...PageQuery,
        }),
        response: { 200: Type.Object({ items: Type.Array(ProductSummarySchema), nextCursor: NextCursor }), ...errors(400) },
      },
    },
    async (request) => queries.listProducts(viewerOf(request), request.query),
  );

  app.get(
    '/products/:id',
    {
      config: staffOrDealer('catalogue.read', 'dealer.catalogue.read'),
      schema: { tags, summary: 'A product with its groups, property values, variants, stock and prices', params: IdParamsSchema, response: { 200: ProductDetailSchema, ...errors(404) } },
    },
    async (request) => queries.product(viewerOf(request), request.params.id),
  );
};

export default productRoutes;
