import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { DealerService } from '../../../../core/dealers/dealer-service.ts';
import { HubError } from '../../../../core/errors.ts';
import { DEALER_EDITABLE_FIELDS } from '../../../../core/identity/access-rules.ts';
import { PasswordBodySchema, UserSchema } from '../../../../core/identity/identity-schemas.ts';
import { auditChange } from '../../../auth/audit-change.ts';
import { actorOf, principalOf } from '../../../auth/request-context.ts';
import type { RouteDeps } from '../../../deps.ts';
import { errors } from '../../../schemas/common.ts';
import {
  AddManagerBodySchema,
  AppointHeadBodySchema,
  AssortmentBodySchema,
  AssortmentSchema,
  AssortmentSummarySchema,
  CreateDealerBodySchema,
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
  UpdateDealerBodySchema,
  UpdateManagerBodySchema,
} from '../../../schemas/dealers.ts';
import { staff, staffOrDealer } from '../../../auth/access.ts';

/**
 * /v1/dealers: the dealer network's profiles and regions, assortment, managers and head, the
 * promotions a dealer joined, and points. A dealer's orders and notifications are beside this file
 * (dealers/orders.ts, dealers/notifications.ts); the promotions themselves in promotions.ts.
 * Every rule lives in core/dealers (DealerService).
 */
const dealerRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const dealers = new DealerService(deps.db);
  const tags = ['dealers'];

  // ---- dealers ----------------------------------------------------------------------------------------------------------

  app.post(
    '/dealers',
    { config: staff('dealers.write'), schema: { tags, summary: 'Register a dealer (code, name, main region; the rest defaults)', body: CreateDealerBodySchema, response: { 201: DealerSchema, ...errors(400, 409) } } },
    async (request, reply) => {
      const dealer = await dealers.create(request.body);
      await auditChange(deps.db, request, { action: 'dealer.create', target: { type: 'dealer', id: dealer.code }, after: dealer });
      return reply.code(201).send(dealer);
    },
  );

  app.get(
    '/dealers',
    {
      config: staff('dealers.read'),
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
      config: staff('dealers.load'),
      schema: {
        tags,
        summary: 'Load dealers idempotently by code, in one transaction (as 1C sends them)',
        description: 'A new code makes a dealer, a known one is updated when something differs; fields left out keep their stored value; dealers absent from the load are left alone.',
        body: LoadDealersBodySchema,
        response: { 200: DealerLoadSummarySchema, ...errors(400) },
      },
    },
    async (request) => {
      const summary = await dealers.load(request.body.dealers);
      await auditChange(deps.db, request, { action: 'dealer.load', target: { type: 'dealer', id: '*' }, details: { ...summary, codes: request.body.dealers.slice(0, 100).map((d) => d.code) } });
      return summary;
    },
  );

  app.get(
    '/dealers/:code',
    { config: staffOrDealer('dealers.read', 'dealer.profile.read'), schema: { tags, summary: 'A dealer with its regions, managers, promotions and points', params: DealerCodeParamsSchema, response: { 200: DealerSchema, ...errors(404) } } },
    async (request) => dealers.get(request.params.code),
  );

  app.patch(
    '/dealers/:code',
    {
      config: staffOrDealer('dealers.write', 'dealer.profile.edit'),
      schema: {
        tags,
        summary: 'Change a dealer: the fields given (mainRegion replaces the main region, extraRegions the extra ones; null clears a text)',
        params: DealerCodeParamsSchema,
        body: UpdateDealerBodySchema,
        response: { 200: DealerSchema, ...errors(400, 404) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.dealer) {
        // A dealer's head edits how the dealer presents itself; flags, regions, points and the price column stay with staff.
        const refused = Object.keys(request.body).filter((field) => !(DEALER_EDITABLE_FIELDS as readonly string[]).includes(field));
        if (refused.length > 0) {
          throw new HubError('not_allowed', `A dealer may change only its ${DEALER_EDITABLE_FIELDS.join(', ')}; ${refused.join(', ')} stay with the manufacturer.`, {
            field: refused[0],
            details: { reason: 'staff_field', fields: refused },
          });
        }
      }
      const before = await dealers.get(request.params.code);
      const after = await dealers.update(request.params.code, request.body);
      await auditChange(deps.db, request, { action: 'dealer.update', target: { type: 'dealer', id: after.code }, before, after });
      return after;
    },
  );

  app.delete(
    '/dealers/:code',
    {
      config: staff('dealers.write'),
      schema: {
        tags,
        summary: 'Delete a dealer that never took part in distribution (409 otherwise: block it with active false instead)',
        params: DealerCodeParamsSchema,
        response: { 204: Type.Null(), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const before = await dealers.get(request.params.code);
      await dealers.remove(request.params.code);
      await auditChange(deps.db, request, { action: 'dealer.delete', target: { type: 'dealer', id: before.code }, before });
      return reply.code(204).send(null);
    },
  );

  // ---- assortment -------------------------------------------------------------------------------------------------------

  app.get(
    '/dealers/:code/assortment',
    { config: staffOrDealer('dealers.read', 'dealer.profile.read'), schema: { tags, summary: "The dealer's assortment by SKU, with its own prices", params: DealerCodeParamsSchema, response: { 200: AssortmentSchema, ...errors(404) } } },
    async (request) => dealers.getAssortment(request.params.code),
  );

  app.put(
    '/dealers/:code/assortment',
    {
      config: staff('dealers.write'),
      schema: {
        tags,
        summary: "Replace the dealer's assortment (and wholeRange / productLines when given)",
        description: 'Every SKU must be in the catalogue; own prices only for a dealer allowed them.',
        params: DealerCodeParamsSchema,
        body: AssortmentBodySchema,
        response: { 200: AssortmentSummarySchema, ...errors(400, 404) },
      },
    },
    async (request) => {
      const before = await dealers.getAssortment(request.params.code);
      const summary = await dealers.setAssortment(request.params.code, request.body);
      const after = await dealers.getAssortment(request.params.code);
      // A whole catalogue would swell the log: beyond a thousand items, the counts stand for the lists.
      const brief = (view: typeof before) => (view.items.length <= 1000 ? view : { ...view, items: `${view.items.length} items` });
      await auditChange(deps.db, request, { action: 'dealer.assortment', target: { type: 'dealer', id: request.params.code }, before: brief(before), after: brief(after), details: summary });
      return summary;
    },
  );

  // ---- managers ---------------------------------------------------------------------------------------------------------

  app.get(
    '/dealers/:code/managers',
    { config: staffOrDealer('dealers.read', 'dealer.employees.read'), schema: { tags, summary: "The dealer's managers, the head first", params: DealerCodeParamsSchema, response: { 200: Type.Object({ items: Type.Array(ManagerSchema) }), ...errors(404) } } },
    async (request) => ({ items: await dealers.listManagers(request.params.code) }),
  );

  app.post(
    '/dealers/:code/managers',
    {
      config: staffOrDealer('dealers.write', 'dealer.employees.manage'),
      schema: {
        tags,
        summary: 'Add a manager (the login is unique across every dealer; isHead moves the head role here)',
        params: DealerCodeParamsSchema,
        body: AddManagerBodySchema,
        response: { 201: ManagerSchema, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      refuseHeadChange(request, request.body.isHead);
      const manager = await dealers.addManager(request.params.code, request.body);
      await auditChange(deps.db, request, { action: 'manager.create', target: { type: 'dealer', id: request.params.code }, after: manager });
      return reply.code(201).send(manager);
    },
  );

  app.patch(
    '/dealers/:code/managers/:login',
    {
      config: staffOrDealer('dealers.write', 'dealer.employees.manage'),
      schema: {
        tags,
        summary: 'Change a manager (a blocked manager stops being the head)',
        params: ManagerParamsSchema,
        body: UpdateManagerBodySchema,
        response: { 200: ManagerSchema, ...errors(400, 404) },
      },
    },
    async (request) => {
      refuseHeadChange(request, request.body.isHead);
      if (request.body.active === false) refuseSelf(request, request.params.login, 'block');
      const before = (await dealers.listManagers(request.params.code)).find((m) => m.login === request.params.login);
      const after = await dealers.updateManager(request.params.code, request.params.login, request.body);
      await auditChange(deps.db, request, { action: 'manager.update', target: { type: 'dealer', id: request.params.code }, before, after });
      return after;
    },
  );

  app.delete(
    '/dealers/:code/managers/:login',
    { config: staffOrDealer('dealers.write', 'dealer.employees.manage'), schema: { tags, summary: 'Remove a manager', params: ManagerParamsSchema, response: { 204: Type.Null(), ...errors(404) } } },
    async (request, reply) => {
      refuseSelf(request, request.params.login, 'remove');
      const before = (await dealers.listManagers(request.params.code)).find((m) => m.login === request.params.login);
      await dealers.removeManager(request.params.code, request.params.login);
      await auditChange(deps.db, request, { action: 'manager.delete', target: { type: 'dealer', id: request.params.code }, before });
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/dealers/:code/managers/:login/password',
    {
      config: staffOrDealer('users.manage', 'dealer.employees.manage'),
      schema: {
        tags,
        summary: "Set a manager's password: the manager can sign in to the dealer's cabinet (its sessions end when it is changed)",
        params: ManagerParamsSchema,
        body: PasswordBodySchema,
        response: { 200: UserSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      // One's own password changes with the current one (POST /v1/auth/password), not through the employees' route.
      refuseSelf(request, request.params.login, 'set the password of');
      return deps.authenticator.users.setManagerPassword(request.params.code, request.params.login, request.body.password, actorOf(request));
    },
  );

  app.post(
    '/dealers/:code/head',
    {
      config: staff('users.manage'),
      schema: {
        tags,
        summary: "Make a manager the dealer's head (the previous head stays a manager)",
        params: DealerCodeParamsSchema,
        body: AppointHeadBodySchema,
        response: { 200: ManagerSchema, ...errors(400, 404) },
      },
    },
    async (request) => {
      const before = (await dealers.listManagers(request.params.code)).find((m) => m.isHead) ?? null;
      const head = await dealers.appointHead(request.params.code, request.body.login);
      await auditChange(deps.db, request, { action: 'dealer.head', target: { type: 'dealer', id: request.params.code }, before, after: head });
      return head;
    },
  );

  // ---- promotions -------------------------------------------------------------------------------------------------------

  app.put(
    '/dealers/:code/promotions/:promotionCode',
    {
      config: staffOrDealer('dealers.write', 'dealer.promotions.join'),
      schema: { tags, summary: 'The dealer joins the promotion (idempotent)', params: DealerPromotionParamsSchema, response: { 200: MembershipChangeSchema, ...errors(404) } },
    },
    async (request) => {
      const change = await dealers.joinPromotion(request.params.code, request.params.promotionCode);
      if (change.changed) await auditChange(deps.db, request, { action: 'promotion.join', target: { type: 'dealer', id: request.params.code }, details: { promotion: request.params.promotionCode } });
      return change;
    },
  );

  app.delete(
    '/dealers/:code/promotions/:promotionCode',
    {
      config: staffOrDealer('dealers.write', 'dealer.promotions.join'),
      schema: { tags, summary: 'The dealer leaves the promotion (idempotent)', params: DealerPromotionParamsSchema, response: { 200: MembershipChangeSchema, ...errors(404) } },
    },
    async (request) => {
      const change = await dealers.leavePromotion(request.params.code, request.params.promotionCode);
      if (change.changed) await auditChange(deps.db, request, { action: 'promotion.leave', target: { type: 'dealer', id: request.params.code }, details: { promotion: request.params.promotionCode } });
      return change;
    },
  );

  // ---- points -----------------------------------------------------------------------------------------------------------

  app.get(
    '/dealers/:code/points',
    {
      config: staffOrDealer('dealers.read', 'dealer.profile.read'),
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
      config: staff('dealers.points'),
      schema: {
        tags,
        summary: "An admin's manual change of the dealer's points, with the reason",
        params: DealerCodeParamsSchema,
        body: PointsAdjustmentBodySchema,
        response: { 200: PointsBalanceSchema, ...errors(400, 404) },
      },
    },
    async (request) => {
      const balance = await dealers.adjustPoints(request.params.code, request.body, actorOf(request).login);
      await auditChange(deps.db, request, { action: 'dealer.points', target: { type: 'dealer', id: request.params.code }, details: { ...request.body, balance: balance.balance } });
      return balance;
    },
  );
};

/**
 * Who is the dealer's head is a permission (the head manages employees and their passwords):
 * only those who may appoint heads (users.manage) set isHead, here as with POST /v1/dealers/:code/head.
 */
function refuseHeadChange(request: FastifyRequest, isHead: boolean | undefined): void {
  if (isHead !== undefined && !principalOf(request).permissions.has('users.manage')) {
    throw new HubError('not_allowed', "The dealer's head is appointed by the manufacturer's admins (users.manage).", { field: 'isHead', details: { reason: 'head_appointment', fields: ['isHead'] } });
  }
}

/** A dealer's user cannot lock itself out of its own cabinet. */
function refuseSelf(request: FastifyRequest, login: string, what: 'block' | 'remove' | 'set the password of'): void {
  const principal = principalOf(request);
  if (principal.dealer && principal.login.toLowerCase() === login.toLowerCase()) {
    throw new HubError('not_allowed', `You cannot ${what} your own login; ask the manufacturer.`, { details: { reason: 'self' } });
  }
}

export default dealerRoutes;
