import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DealerService } from '../../../core/dealers/dealer-service.ts';
import type { AppDeps } from '../../app.ts';
import { actorOf, HubUserHeadersSchema } from '../../request-scope.ts';
import { errors } from '../../schemas/common.ts';
import {
  AddManagerBodySchema,
  AppointHeadBodySchema,
  AssortmentBodySchema,
  AssortmentSchema,
  AssortmentSummarySchema,
  CreateDealerBodySchema,
  CreatePromotionBodySchema,
  DealerCodeParamsSchema,
  DealerListSchema,
  DealerLoadSummarySchema,
  DealerPromotionParamsSchema,
  DealerSchema,
  ListDealersQuerySchema,
  LoadDealersBodySchema,
  ManagerParamsSchema,
  ManagerSchema,
  MembershipChangeSchema,
  PointsAdjustmentBodySchema,
  PointsBalanceSchema,
  PointsChangeSchema,
  PointsQuerySchema,
  PromotionSchema,
  UpdateDealerBodySchema,
  UpdateManagerBodySchema,
} from '../../schemas/dealers.ts';

/**
 * /v1/dealers and /v1/promotions: the dealer network's profiles and regions, assortment, managers,
 * promotions and points. Every rule lives in core/dealers (DealerService).
 */
const dealerRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  const dealers = new DealerService(deps.db);
  const tags = ['dealers'];

  // ---- dealers ----------------------------------------------------------------------------------------------------------

  app.post(
    '/dealers',
    { schema: { tags, summary: 'Register a dealer (code, name, main region; the rest defaults)', body: CreateDealerBodySchema, response: { 201: DealerSchema, ...errors(400, 409) } } },
    async (request, reply) => reply.code(201).send(await dealers.create(request.body)),
  );

  app.get(
    '/dealers',
    {
      schema: {
        tags,
        summary: 'Dealers by code; the region filter matches dealers of the region, inside it or around it',
        querystring: ListDealersQuerySchema,
        response: { 200: DealerListSchema, ...errors(400) },
      },
    },
    async (request) => dealers.list(request.query),
  );

  app.put(
    '/dealers',
    {
      schema: {
        tags,
        summary: 'Load dealers idempotently by code, in one transaction (as 1C sends them)',
        description: 'A new code makes a dealer, a known one is updated when something differs; fields left out keep their stored value; dealers absent from the load are left alone.',
        body: LoadDealersBodySchema,
        response: { 200: DealerLoadSummarySchema, ...errors(400) },
      },
    },
    async (request) => dealers.load(request.body.dealers),
  );

  app.get(
    '/dealers/:code',
    { schema: { tags, summary: 'A dealer with its regions, managers, promotions and points', params: DealerCodeParamsSchema, response: { 200: DealerSchema, ...errors(404) } } },
    async (request) => dealers.get(request.params.code),
  );

  app.patch(
    '/dealers/:code',
    {
      schema: {
        tags,
        summary: 'Change a dealer: the fields given (mainRegion replaces the main region, extraRegions the extra ones; null clears a text)',
        params: DealerCodeParamsSchema,
        body: UpdateDealerBodySchema,
        response: { 200: DealerSchema, ...errors(400, 404) },
      },
    },
    async (request) => dealers.update(request.params.code, request.body),
  );

  app.delete(
    '/dealers/:code',
    {
      schema: {
        tags,
        summary: 'Delete a dealer that never took part in distribution (409 otherwise: block it with active false instead)',
        params: DealerCodeParamsSchema,
        response: { 204: Type.Null(), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      await dealers.remove(request.params.code);
      return reply.code(204).send(null);
    },
  );

  // ---- assortment -------------------------------------------------------------------------------------------------------

  app.get(
    '/dealers/:code/assortment',
    { schema: { tags, summary: "The dealer's assortment by SKU, with its own prices", params: DealerCodeParamsSchema, response: { 200: AssortmentSchema, ...errors(404) } } },
    async (request) => dealers.getAssortment(request.params.code),
  );

  app.put(
    '/dealers/:code/assortment',
    {
      schema: {
        tags,
        summary: "Replace the dealer's assortment (and wholeRange / productLines when given)",
        description: 'Every SKU must be in the catalogue; own prices only for a dealer allowed them.',
        params: DealerCodeParamsSchema,
        body: AssortmentBodySchema,
        response: { 200: AssortmentSummarySchema, ...errors(400, 404) },
      },
    },
    async (request) => dealers.setAssortment(request.params.code, request.body),
  );

  // ---- managers ---------------------------------------------------------------------------------------------------------

  app.get(
    '/dealers/:code/managers',
    { schema: { tags, summary: "The dealer's managers, the head first", params: DealerCodeParamsSchema, response: { 200: Type.Object({ items: Type.Array(ManagerSchema) }), ...errors(404) } } },
    async (request) => ({ items: await dealers.listManagers(request.params.code) }),
  );

  app.post(
    '/dealers/:code/managers',
    {
      schema: {
        tags,
        summary: 'Add a manager (the login is unique across every dealer; isHead moves the head role here)',
        params: DealerCodeParamsSchema,
        body: AddManagerBodySchema,
        response: { 201: ManagerSchema, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await dealers.addManager(request.params.code, request.body)),
  );

  app.patch(
    '/dealers/:code/managers/:login',
    {
      schema: {
        tags,
        summary: 'Change a manager (a blocked manager stops being the head)',
        params: ManagerParamsSchema,
        body: UpdateManagerBodySchema,
        response: { 200: ManagerSchema, ...errors(400, 404) },
      },
    },
    async (request) => dealers.updateManager(request.params.code, request.params.login, request.body),
  );

  app.delete(
    '/dealers/:code/managers/:login',
    { schema: { tags, summary: 'Remove a manager', params: ManagerParamsSchema, response: { 204: Type.Null(), ...errors(404) } } },
    async (request, reply) => {
      await dealers.removeManager(request.params.code, request.params.login);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/dealers/:code/head',
    {
      schema: {
        tags,
        summary: "Make a manager the dealer's head (the previous head stays a manager)",
        params: DealerCodeParamsSchema,
        body: AppointHeadBodySchema,
        response: { 200: ManagerSchema, ...errors(400, 404) },
      },
    },
    async (request) => dealers.appointHead(request.params.code, request.body.login),
  );

  // ---- promotions -------------------------------------------------------------------------------------------------------

  app.get(
    '/promotions',
    { schema: { tags, summary: 'Promotions by code, with how many dealers joined each', response: { 200: Type.Object({ items: Type.Array(PromotionSchema) }) } } },
    async () => ({ items: await dealers.listPromotions() }),
  );

  app.post(
    '/promotions',
    { schema: { tags, summary: 'Make a promotion', body: CreatePromotionBodySchema, response: { 201: PromotionSchema, ...errors(400, 409) } } },
    async (request, reply) => reply.code(201).send(await dealers.createPromotion(request.body)),
  );

  app.put(
    '/dealers/:code/promotions/:promotionCode',
    {
      schema: { tags, summary: 'The dealer joins the promotion (idempotent)', params: DealerPromotionParamsSchema, response: { 200: MembershipChangeSchema, ...errors(404) } },
    },
    async (request) => dealers.joinPromotion(request.params.code, request.params.promotionCode),
  );

  app.delete(
    '/dealers/:code/promotions/:promotionCode',
    {
      schema: { tags, summary: 'The dealer leaves the promotion (idempotent)', params: DealerPromotionParamsSchema, response: { 200: MembershipChangeSchema, ...errors(404) } },
    },
    async (request) => dealers.leavePromotion(request.params.code, request.params.promotionCode),
  );

  // ---- points -----------------------------------------------------------------------------------------------------------

  app.get(
    '/dealers/:code/points',
    {
      schema: {
        tags,
        summary: "The dealer's points changes, newest first (page with beforeId = the oldest id of the previous page)",
        params: DealerCodeParamsSchema,
        querystring: PointsQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(PointsChangeSchema) }), ...errors(400, 404) },
      },
    },
    async (request) => ({ items: await dealers.pointsHistory(request.params.code, request.query) }),
  );

  app.post(
    '/dealers/:code/points',
    {
      schema: {
        tags,
        summary: "An admin's manual change of the dealer's points, with the reason",
        params: DealerCodeParamsSchema,
        headers: HubUserHeadersSchema,
        body: PointsAdjustmentBodySchema,
        response: { 200: PointsBalanceSchema, ...errors(400, 404) },
      },
    },
    async (request) => dealers.adjustPoints(request.params.code, request.body, actorOf(request)),
  );
};

export default dealerRoutes;
