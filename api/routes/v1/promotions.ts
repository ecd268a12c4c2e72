import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DealerService } from '../../../core/dealers/dealer-service.ts';
import { auditChange } from '../../auth/audit-change.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors } from '../../schemas/common.ts';
import { CreatePromotionBodySchema, PromotionSchema } from '../../schemas/dealers.ts';
import { staff, staffOrDealer } from '../../auth/access.ts';

/**
 * /v1/promotions: the promotions dealers may join (a dealer joins or leaves one under
 * /v1/dealers/:code/promotions, dealers/index.ts). Every rule lives in core/dealers (DealerService).
 */
const promotionRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const dealers = new DealerService(deps.db);
  const tags = ['dealers'];

  app.get(
    '/promotions',
    { config: staffOrDealer('dealers.read', 'dealer.profile.read'), schema: { tags, summary: 'Promotions by code, with how many dealers joined each', response: { 200: Type.Object({ items: Type.Array(PromotionSchema) }) } } },
    async () => ({ items: await dealers.listPromotions() }),
  );

  app.post(
    '/promotions',
    { config: staff('dealers.write'), schema: { tags, summary: 'Make a promotion', body: CreatePromotionBodySchema, response: { 201: PromotionSchema, ...errors(400, 409) } } },
    async (request, reply) => {
      const promotion = await dealers.createPromotion(request.body);
      await auditChange(deps.db, request, { action: 'promotion.create', target: { type: 'promotion', id: promotion.code }, after: promotion });
      return reply.code(201).send(promotion);
    },
  );
};

export default promotionRoutes;
