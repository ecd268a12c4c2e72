import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DealerPrices } from '../../../../core/catalogue/dealer-prices.ts';
import { staff, staffOrDealer } from '../../../auth/access.ts';
import { auditChange } from '../../../auth/audit-change.ts';
import type { RouteDeps } from '../../../deps.ts';
import { errors, Nullable } from '../../../schemas/common.ts';
import { DealerCodeParamsSchema } from '../../../schemas/dealers.ts';

const ColumnRefSchema = Type.Object({ id: Type.String(), code: Type.String(), name: Type.String(), currency: Nullable(Type.String()), vatIncluded: Nullable(Type.Boolean()) });

const DealerPriceColumnsSchema = Type.Object(
  {
    dealer: Type.String(),
    priceColumn: Nullable(Type.String({ description: 'as stored: the code staff set, or what 1C sent (a price type’s Ид or name)' })),
    column: Nullable(ColumnRefSchema),
    regions: Type.Array(Type.Object({ region: Type.String(), column: ColumnRefSchema })),
  },
  { title: 'DealerPriceColumns' },
);

/** /v1/dealers/:code/price-column: the column a dealer buys at, and its regional overrides. */
const dealerPriceColumnRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const prices = new DealerPrices(deps.db);
  const tags = ['dealers'];

  app.get(
    '/dealers/:code/price-column',
    {
      config: staffOrDealer('dealers.read', 'dealer.profile.read'),
      schema: { tags, summary: 'The dealer’s price column and its regional overrides', params: DealerCodeParamsSchema, response: { 200: DealerPriceColumnsSchema, ...errors(404) } },
    },
    async (request) => prices.columnsOf(request.params.code),
  );

  app.put(
    '/dealers/:code/price-column',
    {
      config: staff('prices.assign'),
      schema: {
        tags,
        summary: 'Set the dealer’s price column (by code) and replace its regional overrides',
        description: 'An override applies in its region and the cities inside it; the deepest one containing an order’s region wins. Without `regions` the overrides stay as they are.',
        params: DealerCodeParamsSchema,
        body: Type.Object(
          {
            column: Nullable(Type.String({ minLength: 1, maxLength: 200 })),
            regions: Type.Optional(Type.Array(Type.Object({ region: Type.String({ minLength: 1 }), column: Type.String({ minLength: 1 }) }, { additionalProperties: false }), { maxItems: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: DealerPriceColumnsSchema, ...errors(400, 404) },
      },
    },
    async (request) => {
      const before = await prices.columnsOf(request.params.code);
      const after = await prices.setColumns(request.params.code, request.body);
      await auditChange(deps.db, request, { action: 'dealer.price_column', target: { type: 'dealer', id: request.params.code }, before, after });
      return after;
    },
  );
};

export default dealerPriceColumnRoutes;
