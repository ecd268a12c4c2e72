import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DealerPurchases } from '../../../../core/dealers/dealer-purchases.ts';
import { dealer } from '../../../auth/access.ts';
import { scopeOf } from '../../../auth/request-context.ts';
import type { RouteDeps } from '../../../deps.ts';
import { errors } from '../../../schemas/common.ts';
import { DealerCodeParamsSchema } from '../../../schemas/dealers.ts';
import { DealerCatalogueQuerySchema, DealerCatalogueSchema } from '../../../schemas/purchases.ts';

/**
 * /v1/dealers/:code/catalogue: the active products as the signed-in dealer buys them: one price (its
 * column, its main region's override applied) and the free stock on hand now. GET /v1/products has
 * the full detail (every warehouse, groups, variants); this is the purchase form's list.
 */
const dealerCatalogueRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const purchases = new DealerPurchases(deps.db);

  app.get(
    '/dealers/:code/catalogue',
    {
      config: dealer('dealer.catalogue.read'),
      schema: {
        tags: ['dealer purchases'],
        summary: "Active products with the dealer's price and free stock now, by SKU; search by name, article, SKU or barcode",
        params: DealerCodeParamsSchema,
        querystring: DealerCatalogueQuerySchema,
        response: { 200: DealerCatalogueSchema, ...errors(400, 404) },
      },
    },
    async (request) => purchases.catalogue(scopeOf(request), request.query),
  );
};

export default dealerCatalogueRoutes;
