import type { FastifyInstance } from 'fastify';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concernedDealers } from '../../core/distribution/dealer-feed.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { actingAs, makeUser, type TestUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { kertAndOther, offered, send } from '../helpers/dealer-scene.ts';
import { orderDraft } from '../helpers/orders.ts';
import { buildTestApp } from './fakes.ts';

/**
 * The dealer cabinet's API (issue 14) as a dealer's users see it, on real PostgreSQL: the tabs'
 * counts and the "all" view, the order card (contacts only once taken, "taken by another" for the
 * dealer that lost it), comments, and the live events stream over a real HTTP connection.
 */
describe('the dealer cabinet API', () => {
  let t: TestDatabase;
  let admin: FastifyInstance;
  let anonymous: FastifyInstance;
  let head: TestUser;
  let eva: TestUser;
  let other: TestUser;
  let channelId: string;
  let counter = 0;

  const as = (user: TestUser) => actingAs(anonymous, user);

  /** A new order from the site, distributed: offered to every dealer at once (one taxi tier). */
  async function offeredOrder(): Promise<string> {
    counter += 1;
    const draft = orderDraft(`CAB-${counter}`, {
      customer: { name: 'Nagy Béla', phone: '+36 30 111 2222', email: 'bela@example.hu' },
      shippingAddress: { name: 'Nagy Béla', line1: 'Fő utca 1.', city: 'Budapest', postcode: '1011', country: 'HU' },
      placedAt: new Date(Date.UTC(2026, 10, 20, 10, counter)).toISOString(),
    });
    return offered(t, admin, channelId, draft);
  }

  beforeAll(async () => {
    t = await createTestPostgres();
    ({ app: admin, anonymous } = await buildTestApp(t.db));
    // The demo's settings leave the points at their defaults, as this scene does.
    channelId = await kertAndOther(t, admin);
    head = await makeUser(t.db, { login: 'kert.head', roles: ['dealer_head'], dealer: 'KERT', password: 'kert-head-password-1' });
    eva = await makeUser(t.db, { login: 'kert.eva', roles: ['dealer_manager'], dealer: 'KERT' });
    other = await makeUser(t.db, { login: 'other.head', roles: ['dealer_head'], dealer: 'OTHER' });
  });

  afterAll(async () => {
    await anonymous?.close();
    await t?.drop();
  });

  it("counts the cabinet's tabs as the lists do, and view=all lists them together, newest first, contacts only on its own", async () => {
    const offered = await offeredOrder();
    const working = await offeredOrder();
    const done = await offeredOrder();
    for (const id of [working, done]) expect((await send(as(head), 'POST', `/v1/dealers/KERT/orders/${id}/take`)).status).toBe(200);
    expect((await send(as(head), 'POST', `/v1/dealers/KERT/orders/${done}/status`, { status: 'contacted' })).status).toBe(200);
    // Completing earns the default 100 points (what the cabinet shows as "+100 points").
    expect((await send(as(head), 'POST', `/v1/dealers/KERT/orders/${done}/status`, { status: 'completed' })).body).toMatchObject({ status: 'completed', points: { delta: 100 } });

    expect((await send(as(eva), 'GET', '/v1/dealers/KERT/orders/counts')).body).toEqual({ offered: 1, mine: 1, completed: 1, all: 3 });
    expect((await send(as(other), 'GET', '/v1/dealers/OTHER/orders/counts')).body).toEqual({ offered: 1, mine: 0, completed: 0, all: 1 });
    // The list's filters apply to the counts too.
    expect((await send(as(head), 'GET', '/v1/dealers/KERT/orders/counts?q=CAB-2')).body).toEqual({ offered: 0, mine: 1, completed: 0, all: 1 });
    expect((await send(as(head), 'GET', '/v1/dealers/KERT/orders/counts?responsible=kert.eva')).body).toEqual({ offered: 0, mine: 0, completed: 0, all: 0 });

    const all = (await send(as(head), 'GET', '/v1/dealers/KERT/orders?view=all')).body;
    expect(all.total).toBe(3);
    expect(all.orders.map((o: { orderId: string }) => o.orderId)).toEqual([done, working, offered]);
    const byId = Object.fromEntries(all.orders.map((o: { orderId: string }) => [o.orderId, o]));
    expect(byId[offered]).toMatchObject({ distributionStatus: 'offering', offer: { tier: 'taxi' } });
    expect(byId[offered].client).not.toHaveProperty('phone');
    expect(byId[working]).toMatchObject({ distributionStatus: 'assigned', client: { phone: '+36 30 111 2222', email: 'bela@example.hu' }, responsible: 'kert.head' });
    expect(byId[done]).toMatchObject({ distributionStatus: 'completed', client: { phone: '+36 30 111 2222' } });
    // OTHER's "all" holds only what is offered to it; KERT's orders are not its business.
    expect((await send(as(other), 'GET', '/v1/dealers/OTHER/orders?view=all')).body.orders.map((o: { orderId: string }) => o.orderId)).toEqual([offered]);
  });

  it('shows the card without contacts or address while offered, with them once taken; the dealer that lost it hears taken_by_another', async () => {
    const orderId = await offeredOrder();
    const { number } = await t.db.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    const before = await send(as(head), 'GET', `/v1/dealers/KERT/orders/${orderId}`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      orderId, number, distributionStatus: 'offering', client: { name: 'Nagy Béla', city: 'Budapest' }, offer: { tier: 'taxi', expiresAt: null },
      lines: [
        { sku: 'TILE-1', name: 'Floor tile 30x30', quantity: '2', unitPrice: '1000', total: '2000' },
        { sku: null, name: 'Courier', quantity: '1', unitPrice: '500', total: '500' },
      ],
      delivery: { region: 'HU-BU', city: 'Budapest', address: null },
      responsible: null, dueAt: null, comments: [],
      allowed: { take: true, decline: true, statuses: [], reassign: false, comment: false },
    });
    expect(before.body.client).not.toHaveProperty('phone');
    expect(before.body.client).not.toHaveProperty('email');
    expect(before.body.history.map((h: { kind: string }) => h.kind)).toEqual(['offer_visible']);
    expect(JSON.stringify(before.body.history)).not.toContain('OTHER');

    expect((await send(as(eva), 'POST', `/v1/dealers/KERT/orders/${orderId}/take`)).status).toBe(200);
    const after = (await send(as(eva), 'GET', `/v1/dealers/KERT/orders/${orderId}`)).body;
    expect(after).toMatchObject({
      distributionStatus: 'assigned', client: { phone: '+36 30 111 2222', email: 'bela@example.hu' }, responsible: 'kert.eva', dueAt: expect.any(String),
      delivery: { address: 'Fő utca 1., 1011, Budapest' },
      allowed: { take: false, decline: false, statuses: ['contacted', 'in_progress', 'cancelled'], reassign: false, comment: true },
    });
    expect(after).not.toHaveProperty('offer');
    expect(after.history.map((h: { kind: string; actor: string | null }) => [h.kind, h.actor])).toEqual([['offer_visible', null], ['taken', 'kert.eva']]);
    // The head may reassign; another employee sees the order but may not move it on.
    expect((await send(as(head), 'GET', `/v1/dealers/KERT/orders/${orderId}`)).body.allowed).toMatchObject({ reassign: true, statuses: ['contacted', 'in_progress', 'cancelled'] });
    const olga = await makeUser(t.db, { login: 'kert.olga', roles: ['dealer_manager'], dealer: 'KERT' });
    expect((await send(as(olga), 'GET', `/v1/dealers/KERT/orders/${orderId}`)).body.allowed).toEqual({ take: false, decline: false, statuses: [], reassign: false, comment: true });

    const lost = { status: 404, body: { error: { code: 'not_found', message: `Order ${number} is not offered to you.`, details: { reason: 'taken_by_another' } } } };
    expect(await send(as(other), 'GET', `/v1/dealers/OTHER/orders/${orderId}`)).toEqual(lost);
    expect(await send(as(other), 'POST', `/v1/dealers/OTHER/orders/${orderId}/take`)).toEqual(lost);
    expect(await send(as(other), 'GET', `/v1/dealers/OTHER/orders/${orderId}/comments`)).toEqual(lost);

    // An order never distributed is one never offered.
    counter += 1;
    const [quiet] = await ingestOrders(t.db, { channelId, drafts: [orderDraft(`CAB-${counter}`)] });
    expect(await send(as(head), 'GET', `/v1/dealers/KERT/orders/${quiet!.orderId}`)).toMatchObject({ status: 404, body: { error: { details: { reason: 'not_offered' } } } });
    // Another dealer's code in the URL is refused before any of this.
    expect((await send(as(head), 'GET', `/v1/dealers/OTHER/orders/${orderId}`)).status).toBe(404);
  });

  it('keeps comments on an order the dealer has: client and internal ones, none on an offer, none for another dealer', async () => {
    const orderId = await offeredOrder();
    const onOffer = await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/comments`, { text: 'Can we deliver on Monday?', visibility: 'client' });
    expect(onOffer).toMatchObject({ status: 409, body: { error: { code: 'conflict', details: { reason: 'not_taken' } } } });
    expect((await send(as(head), 'GET', `/v1/dealers/KERT/orders/${orderId}/comments`)).body).toEqual({ comments: [] });

    expect((await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/take`)).status).toBe(200);
    const forClient = await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/comments`, { text: '  We deliver on Monday.  ', visibility: 'client' });
    expect(forClient).toEqual({ status: 201, body: { id: expect.any(String), at: expect.any(String), author: 'kert.head', authorName: null, visibility: 'client', text: 'We deliver on Monday.' } });
    // Any employee of the dealer comments on any of its orders, not only its own.
    const internal = await send(as(eva), 'POST', `/v1/dealers/KERT/orders/${orderId}/comments`, { text: 'Client prefers mornings', visibility: 'internal' });
    expect(internal).toMatchObject({ status: 201, body: { author: 'kert.eva', visibility: 'internal' } });

    expect((await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/comments`, { text: 'x'.repeat(4001), visibility: 'internal' })).status).toBe(400);
    expect((await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/comments`, { text: 'hi', visibility: 'public' })).status).toBe(400);
    expect((await send(as(head), 'POST', `/v1/dealers/KERT/orders/${orderId}/comments`, { text: '   ', visibility: 'internal' })).status).toBe(400);

    const list = (await send(as(eva), 'GET', `/v1/dealers/KERT/orders/${orderId}/comments`)).body.comments;
    expect(list.map((c: { text: string; visibility: string }) => [c.visibility, c.text])).toEqual([['client', 'We deliver on Monday.'], ['internal', 'Client prefers mornings']]);
    const card = (await send(as(head), 'GET', `/v1/dealers/KERT/orders/${orderId}`)).body;
    expect(card.comments).toEqual(list);
    expect(card.history.filter((h: { kind: string }) => h.kind === 'comment').map((h: { actor: string }) => h.actor)).toEqual(['kert.head', 'kert.eva']);

    // OTHER lost the order: it neither reads nor writes its comments.
    const refused = await send(as(other), 'POST', `/v1/dealers/OTHER/orders/${orderId}/comments`, { text: 'mine?', visibility: 'internal' });
    expect(refused).toMatchObject({ status: 404, body: { error: { details: { reason: 'taken_by_another' } } } });
    // The manufacturer reads them all; a dealer cannot use the staff route.
    expect((await send(admin, 'GET', `/v1/orders/${orderId}/comments`)).body.comments).toEqual(list);
    expect((await send(as(head), 'GET', `/v1/orders/${orderId}/comments`)).status).toBe(403);
    expect((await send(admin, 'GET', '/v1/orders/no-such-order/comments')).status).toBe(404);
  });

  it('streams order events and notifications to the dealers concerned, over a real connection, until the app closes', async () => {
    // A second app on the same database: the one that writes the changes below stands for another process.
    const { anonymous: streaming } = await buildTestApp(t.db);
    await streaming.listen({ port: 0, host: '127.0.0.1' });
    const { port } = streaming.server.address() as AddressInfo;
    try {
      // KERT's head signs in as the browser does and streams with its session cookie; OTHER with its API token.
      const login = await streaming.inject({ method: 'POST', url: '/v1/auth/login', payload: { login: 'kert.head', password: 'kert-head-password-1' } });
      expect(login.statusCode).toBe(200);
      const cookie = [login.headers['set-cookie']].flat().map((c) => String(c).split(';')[0]).join('; ');
      const kert = await openStream(port, '/v1/dealers/KERT/events', { cookie });
      const otherStream = await openStream(port, '/v1/dealers/OTHER/events', other.headers);
      expect(kert.headers).toMatchObject({ 'content-type': expect.stringContaining('text/event-stream'), 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      await kert.next((e) => e.comment === 'ready');
      await otherStream.next((e) => e.comment === 'ready');

      const orderId = await offeredOrder();
      expect(await kert.next((e) => e.event === 'orders' && e.data.orderId === orderId)).toMatchObject({ data: { orderId, reason: 'offered' } });
      expect(await otherStream.next((e) => e.event === 'orders' && e.data.orderId === orderId)).toMatchObject({ data: { reason: 'offered' } });
      expect(await kert.next((e) => e.event === 'notification' && e.data.orderId === orderId)).toMatchObject({ data: { id: expect.any(String), kind: 'offered', message: expect.any(String) } });

      expect((await send(as(other), 'POST', `/v1/dealers/OTHER/orders/${orderId}/take`)).status).toBe(200);
      expect(await kert.next((e) => e.event === 'orders' && e.data.orderId === orderId)).toMatchObject({ data: { reason: 'lost' } });
      expect(await otherStream.next((e) => e.event === 'orders' && e.data.orderId === orderId)).toMatchObject({ data: { reason: 'taken' } });

      expect((await send(as(other), 'POST', `/v1/dealers/OTHER/orders/${orderId}/status`, { status: 'contacted' })).status).toBe(200);
      expect(await otherStream.next((e) => e.event === 'orders' && e.data.orderId === orderId && e.data.reason === 'changed')).toMatchObject({ data: { orderId } });

      // A session that ended: the stream is refused like any request.
      await expect(openStream(port, '/v1/dealers/KERT/events', { cookie: 'hub_session=nope' })).rejects.toThrow('stream answered 401');

      const closing = streaming.close();
      await kert.ended;
      await otherStream.ended;
      await closing;
    } finally {
      await streaming.close();
    }
  });
});

interface SseEvent {
  event?: string;
  data?: any;
  comment?: string;
}

/**
 * Opens an event stream and reads it as it arrives: next() waits for the first event matching (and
 * drops those before it); the bounded wait only turns a hang into a failure.
 */
function openStream(port: number, path: string, headers: Record<string, string>): Promise<{ headers: http.IncomingHttpHeaders; next: (match: (e: SseEvent) => boolean) => Promise<SseEvent>; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`stream answered ${response.statusCode}`));
        return;
      }
      response.setEncoding('utf8');
      const queue: SseEvent[] = [];
      let waiting: (() => void) | undefined;
      let buffer = '';
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          for (const line of block.split('\n')) {
            if (line.startsWith(': ')) queue.push({ comment: line.slice(2) });
          }
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event) queue.push({ event, data: data ? JSON.parse(data) : undefined });
        }
        waiting?.();
      });
      const ended = new Promise<void>((done) => response.on('end', () => done()));
      const next = async (match: (e: SseEvent) => boolean): Promise<SseEvent> => {
        const guard = Date.now() + 20_000;
        for (;;) {
          while (queue.length) {
            const e = queue.shift()!;
            if (match(e)) return e;
          }
          if (Date.now() > guard) throw new Error('no such event arrived');
          await new Promise<void>((arrived) => {
            const timer = setTimeout(arrived, 1000);
            waiting = () => {
              clearTimeout(timer);
              arrived();
            };
          });
        }
      };
      resolve({ headers: response.headers, next, ended });
    });
    request.on('error', reject);
  });
}

describe('who hears of a distribution event', () => {
  const who = { eventDealer: null, holder: null, offeredTo: ['A', 'B'] };
  it('tells the dealers an offer names that it is offered, and nobody else', () => {
    expect([...concernedDealers('offer_visible', { tier: 'taxi', dealers: ['B'] }, who)]).toEqual([['B', 'offered']]);
  });
  it('tells the taker taken and the other dealers offered it lost', () => {
    expect(Object.fromEntries(concernedDealers('taken', {}, { eventDealer: 'A', holder: 'A', offeredTo: ['A', 'B'] }))).toEqual({ A: 'taken', B: 'lost' });
  });
  it("tells the dealer an admin assigns it changed, and the one that had it lost", () => {
    expect(Object.fromEntries(concernedDealers('assigned', { previous: 'C' }, { eventDealer: 'A', holder: 'A', offeredTo: ['B'] }))).toEqual({ A: 'changed', B: 'lost', C: 'lost' });
  });
  it('tells everyone who sees or saw the order of any other change', () => {
    expect(Object.fromEntries(concernedDealers('status', {}, { eventDealer: 'A', holder: 'A', offeredTo: ['A', 'B'] }))).toEqual({ A: 'changed', B: 'changed' });
    expect(concernedDealers('distributed', {}, { eventDealer: null, holder: null, offeredTo: [] }).size).toBe(0);
  });
});
