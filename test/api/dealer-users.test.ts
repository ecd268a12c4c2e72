import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestOrders } from '../../core/orders/intake.ts';
import { actingAs, makeUser, type TestUser } from '../helpers/auth.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { kertAndOther, offered, send } from '../helpers/dealer-scene.ts';
import { orderDraft } from '../helpers/orders.ts';
import { buildTestApp } from './fakes.ts';

/**
 * A dealer's cabinet as its users see it: the head and its employees, who answers for which order
 * (employees change only their own), what of its own record the head may change, and how the head
 * manages employees' sign-ins.
 */
describe.each(DATABASE_KINDS)("a dealer's users on %s", (_kind, createDatabase) => {
  let t: TestDatabase;
  let admin: FastifyInstance;
  let anonymous: FastifyInstance;
  let head: TestUser;
  let eva: TestUser;
  let oleg: TestUser;
  let channelId: string;
  let counter = 0;

  const as = (user: TestUser) => actingAs(anonymous, user);

  async function offeredOrder(): Promise<string> {
    counter += 1;
    return offered(t, admin, channelId, orderDraft(`C-${counter}`, { customer: { name: 'Client', phone: '+36 30 000 0000' } }));
  }

  beforeAll(async () => {
    t = await createDatabase();
    ({ app: admin, anonymous } = await buildTestApp(t.db));
    channelId = await kertAndOther(t, admin);
    head = await makeUser(t.db, { login: 'kert.head', roles: ['dealer_head'], dealer: 'KERT' });
    eva = await makeUser(t.db, { login: 'kert.eva', roles: ['dealer_manager'], dealer: 'KERT' });
    oleg = await makeUser(t.db, { login: 'kert.oleg', roles: ['dealer_manager'], dealer: 'KERT' });
  });

  afterAll(async () => {
    await anonymous?.close();
    await t?.drop();
  });

  it('tells a dealer user who it is: its role from its manager row, its dealer, its permissions', async () => {
    expect((await send(as(head), 'GET', '/v1/auth/me')).body).toMatchObject({ login: 'kert.head', roles: ['dealer_head'], dealer: { code: 'KERT', head: true } });
    const me = (await send(as(eva), 'GET', '/v1/auth/me')).body;
    expect(me).toMatchObject({ roles: ['dealer_manager'], dealer: { code: 'KERT', head: false } });
    expect(me.permissions).toContain('dealer.orders.take');
    expect(me.permissions).not.toContain('dealer.employees.manage');
  });

  describe('when employees take orders', () => {
    it('makes the taker responsible; other employees see the order but cannot move it; the head can, and reassigns', async () => {
      const orderId = await offeredOrder();
      expect((await send(as(eva), 'POST', `/v1/dealers/KERT/orders/${orderId}/take`)).status).toBe(200);
      const mine = (await send(as(oleg), 'GET', '/v1/dealers/KERT/orders?view=mine')).body.orders;
      expect(mine.find((o: { orderId: string }) => o.orderId === orderId)).toMatchObject({ responsible: 'kert.eva', client: { phone: '+36 30 000 0000' } });
      expect((await send(as(oleg), 'GET', `/v1/dealers/KERT/orders?view=mine&responsible=kert.oleg`)).body.orders).toEqual([]);

      const olegTries = await send(as(oleg), 'POST', `/v1/dealers/KERT/orders/${orderId}/status`, { status: 'contacted' });
      expect(olegTries).toMatchObject({ status: 403, body: { error: { code: 'not_allowed', details: { reason: 'not_responsible' } } } });
      expect((await send(as(eva), 'POST', `/v1/dealers/KERT/orders/${orderId}/status`, { status: 'contacted' })).status).toBe(200);
      expect((await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/status`, { status: 'in_progress' })).status).toBe(200);

      // Only the head reassigns, and only to the dealer's own active managers.
      expect((await send(as(eva), 'POST', `/v1/dealers/KERT/orders/${orderId}/responsible`, { login: 'kert.oleg' })).status).toBe(403);
      expect((await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/responsible`, { login: 'somebody' })).body.error).toMatchObject({ field: 'login' });
      const reassigned = await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/responsible`, { login: 'kert.oleg' });
      expect(reassigned.body).toEqual({ orderId, dealerCode: 'KERT', responsible: 'kert.oleg' });
      expect((await send(as(eva), 'POST', `/v1/dealers/KERT/orders/${orderId}/status`, { status: 'completed' })).status).toBe(403);
      expect((await send(as(oleg), 'POST', `/v1/dealers/KERT/orders/${orderId}/status`, { status: 'completed' })).status).toBe(200);

      const events = (await send(as(head), 'GET', `/v1/dealers/KERT/orders/${orderId}/distribution`)).body.events;
      expect(events.find((e: { kind: string }) => e.kind === 'taken')).toMatchObject({ actor: 'kert.eva' });
      expect(events.find((e: { kind: string }) => e.kind === 'responsible')).toMatchObject({ actor: 'kert.head', detail: { from: 'kert.eva', to: 'kert.oleg' } });
    });

    it("gives an order the manufacturer assigns to the dealer's head, and staff reassign it too", async () => {
      const orderId = await offeredOrder();
      expect((await send(admin, 'POST', `/v1/orders/${orderId}/assign`, { dealer: 'KERT' })).status).toBe(200);
      expect((await send(admin, 'GET', `/v1/orders/${orderId}/distribution`)).body).toMatchObject({ dealer: 'KERT', responsible: 'kert.head' });
      expect((await send(as(eva), 'POST', `/v1/dealers/KERT/orders/${orderId}/status`, { status: 'contacted' })).status).toBe(403);
      expect((await send(admin, 'POST', `/v1/dealers/KERT/orders/${orderId}/responsible`, { login: 'kert.eva' })).body).toMatchObject({ responsible: 'kert.eva' });
      expect((await send(as(eva), 'POST', `/v1/dealers/KERT/orders/${orderId}/status`, { status: 'contacted' })).status).toBe(200);
      // Staff name the dealer that has the order; another dealer's code finds nothing.
      expect((await send(admin, 'POST', `/v1/dealers/OTHER/orders/${orderId}/responsible`, { login: 'kert.eva' })).status).toBe(404);
    });

    it("answers another dealer's order as one not offered to it, never saying whose it is", async () => {
      const orderId = await offeredOrder();
      const { number } = await t.db.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
      const other = await makeUser(t.db, { login: 'other.head', roles: ['dealer_head'], dealer: 'OTHER' });
      // Offered to KERT too, not yet taken: KERT is told to take it first.
      expect(await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/status`, { status: 'contacted' })).toMatchObject({ status: 409, body: { error: { details: { reason: 'not_taken' } } } });
      expect((await send(as(other), 'POST', `/v1/dealers/OTHER/orders/${orderId}/take`)).status).toBe(200);
      // KERT was offered it, so it may hear its number; not who took it.
      const lost = { status: 404, body: { error: { code: 'not_found', message: `Order ${number} is not offered to you.`, details: { reason: 'taken_by_another' } } } };
      expect(await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/status`, { status: 'contacted' })).toEqual(lost);
      expect(await send(as(head), 'GET', `/v1/dealers/KERT/orders/${orderId}/distribution`)).toEqual(lost);
      expect(await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/decline`, { reason: 'too late' })).toEqual(lost);

      // An order never offered to KERT (not distributed at all) is named by its id only.
      counter += 1;
      const [quiet] = await ingestOrders(t.db, { channelId, drafts: [orderDraft(`C-${counter}`, { customer: { name: 'Client', phone: '+36 30 000 0000' } })] });
      const unknown = { status: 404, body: { error: { code: 'not_found', message: `Order ${quiet!.orderId} is not offered to you.`, details: { reason: 'not_offered' } } } };
      expect(await send(as(head), 'POST', `/v1/dealers/KERT/orders/${quiet!.orderId}/status`, { status: 'contacted' })).toEqual(unknown);
      expect(await send(as(head), 'GET', `/v1/dealers/KERT/orders/${quiet!.orderId}/distribution`)).toEqual(unknown);
      expect(await send(as(head), 'POST', `/v1/dealers/KERT/orders/${quiet!.orderId}/decline`, { reason: 'not ours' })).toEqual(unknown);
    });

    it("does not let the manufacturer's staff act as a dealer", async () => {
      const orderId = await offeredOrder();
      const take = await send(admin, 'POST', `/v1/dealers/KERT/orders/${orderId}/take`);
      expect(take).toMatchObject({ status: 403, body: { error: { details: { reason: 'dealer_only' } } } });
    });
  });

  describe("when the head edits the dealer's record", () => {
    it('changes contacts, description and logo, but not flags, regions, points or the price column', async () => {
      const edited = await send(as(head), 'PATCH', '/v1/dealers/KERT', { contacts: { phones: ['+36 1 222 3333'], site: 'https://kert.example' }, description: 'Garden furniture', logoUrl: 'https://kert.example/logo.png' });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ contacts: { site: 'https://kert.example' }, description: 'Garden furniture' });
      const flags = await send(as(head), 'PATCH', '/v1/dealers/KERT', { description: 'x', authorised: false, priceColumn: 'VIP' });
      expect(flags).toMatchObject({ status: 403, body: { error: { field: 'authorised', details: { reason: 'staff_field', fields: ['authorised', 'priceColumn'] } } } });
      expect((await send(admin, 'GET', '/v1/dealers/KERT')).body).toMatchObject({ authorised: true, description: 'Garden furniture', priceColumn: null });
      expect((await send(as(eva), 'PATCH', '/v1/dealers/KERT', { description: 'mine now' })).status).toBe(403);
      // What a page shows as a link cannot be made to run script.
      for (const site of ['javascript:alert(document.cookie)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>1</script>']) {
        expect((await send(as(head), 'PATCH', '/v1/dealers/KERT', { contacts: { site } })).body.error).toMatchObject({ code: 'invalid_data', field: 'contacts.site' });
      }
      expect((await send(as(head), 'PATCH', '/v1/dealers/KERT', { logoUrl: 'javascript:alert(1)' })).body.error).toMatchObject({ field: 'logoUrl' });
      expect((await send(as(head), 'PATCH', '/v1/dealers/KERT', { contacts: { site: 'www.kert.example' } })).status).toBe(200);
      expect((await send(as(head), 'PUT', '/v1/dealers/KERT/assortment', { items: [] })).status).toBe(403);
      expect((await send(as(head), 'POST', '/v1/dealers/KERT/points', { delta: 1000, note: 'me' })).status).toBe(403);
    });
  });

  describe("when the head manages the dealer's employees", () => {
    it('adds an employee and gives it a sign-in; the employee signs in to this dealer only', async () => {
      const added = await send(as(head), 'POST', '/v1/dealers/KERT/managers', { login: 'kert.zoli', name: 'Zoltán' });
      expect(added).toMatchObject({ status: 201, body: { login: 'kert.zoli', canSignIn: false, isHead: false } });
      const password = await send(as(head), 'PUT', '/v1/dealers/KERT/managers/kert.zoli/password', { password: 'zoli the new guy' });
      expect(password.body).toMatchObject({ login: 'kert.zoli', roles: ['dealer_manager'], dealer: { code: 'KERT' } });
      expect((await send(as(head), 'GET', '/v1/dealers/KERT/managers')).body.items.find((m: { login: string }) => m.login === 'kert.zoli')).toMatchObject({ canSignIn: true });
      const signIn = await anonymous.inject({ method: 'POST', url: '/v1/auth/login', payload: { login: 'kert.zoli', password: 'zoli the new guy' } });
      expect(signIn.json()).toMatchObject({ roles: ['dealer_manager'], dealer: { code: 'KERT' } });

      // The head cannot crown anyone, nor lock itself out; employees manage nobody; another dealer's employees do not exist.
      expect((await send(as(head), 'POST', '/v1/dealers/KERT/managers', { login: 'kert.boss', name: 'Boss', isHead: true })).body.error).toMatchObject({ field: 'isHead' });
      expect((await send(as(head), 'PATCH', '/v1/dealers/KERT/managers/kert.head', { active: false })).body.error.details).toEqual({ reason: 'self' });
      expect((await send(as(head), 'DELETE', '/v1/dealers/KERT/managers/kert.head')).body.error.details).toEqual({ reason: 'self' });
      expect((await send(as(head), 'POST', '/v1/dealers/KERT/head', { login: 'kert.zoli' })).status).toBe(403);
      expect((await send(as(head), 'PUT', '/v1/dealers/KERT/managers/kert.head/password', { password: 'no current one needed?' })).body.error.details).toEqual({ reason: 'self' });
      // Staff who keep dealers' records do not crown heads either: that is an admin's (users.manage).
      const keeper = await makeUser(t.db, { roles: ['distribution'] });
      const crowned = await send(as(keeper), 'PATCH', '/v1/dealers/KERT/managers/kert.zoli', { isHead: true });
      expect(crowned).toMatchObject({ status: 403, body: { error: { field: 'isHead', details: { reason: 'head_appointment' } } } });
      expect((await send(as(keeper), 'POST', '/v1/dealers/KERT/managers', { login: 'kert.crown', name: 'Crown', isHead: true })).status).toBe(403);
      expect((await send(as(keeper), 'PATCH', '/v1/dealers/KERT/managers/kert.zoli', { phone: '+36 1 999' })).status).toBe(200);
      expect((await send(as(eva), 'POST', '/v1/dealers/KERT/managers', { login: 'kert.x', name: 'X' })).status).toBe(403);
      expect((await send(as(head), 'PUT', '/v1/dealers/OTHER/managers/other.x/password', { password: 'whatever long' })).status).toBe(404);

      // Blocking the employee stops its sign-in and its tokens at once.
      const zoli = await makeUser(t.db, { login: 'kert.zoli.script', roles: ['dealer_manager'], dealer: 'KERT' });
      expect((await send(as(zoli), 'GET', '/v1/dealers/KERT/orders')).status).toBe(200);
      expect((await send(as(head), 'PATCH', '/v1/dealers/KERT/managers/kert.zoli.script', { active: false })).body).toMatchObject({ active: false });
      expect((await send(as(zoli), 'GET', '/v1/dealers/KERT/orders')).status).toBe(401);
      expect((await anonymous.inject({ method: 'POST', url: '/v1/auth/login', payload: { login: 'kert.zoli', password: 'zoli the new guy' } })).statusCode).toBe(200);
    });

    it('follows the head the manufacturer appoints: the old head becomes an employee', async () => {
      expect((await send(admin, 'POST', '/v1/dealers/KERT/head', { login: 'kert.eva' })).body).toMatchObject({ login: 'kert.eva', isHead: true });
      expect((await send(as(eva), 'GET', '/v1/auth/me')).body).toMatchObject({ roles: ['dealer_head'] });
      expect((await send(as(head), 'GET', '/v1/auth/me')).body).toMatchObject({ roles: ['dealer_manager'] });
      expect((await send(as(head), 'PATCH', '/v1/dealers/KERT', { description: 'not any more' })).status).toBe(403);
      const audit = (await send(admin, 'GET', '/v1/audit?action=dealer.head')).body.items;
      expect(audit[0]).toMatchObject({ target: { type: 'dealer', id: 'KERT' }, before: { login: 'kert.head' }, after: { login: 'kert.eva' } });
      await send(admin, 'POST', '/v1/dealers/KERT/head', { login: 'kert.head' });
    });
  });
});
