import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Database } from '../../../../core/db/database.ts';
import { feedStart, notificationsAfter, orderEventsAfter, type FeedCursor } from '../../../../core/distribution/dealer-feed.ts';
import { mayCall, type Access } from '../../../../core/identity/access-rules.ts';
import type { Principal } from '../../../../core/identity/principal.ts';
import { HubError } from '../../../../core/errors.ts';
import type { RouteDeps } from '../../../deps.ts';
import { dealer } from '../../../auth/access.ts';
import { SESSION_COOKIE } from '../../../auth/auth-hooks.ts';
import { clientOf, principalOf } from '../../../auth/request-context.ts';
import { errors } from '../../../schemas/common.ts';
import { DealerEventsDescription } from '../../../schemas/dealer-cabinet.ts';
import { DealerParamsSchema } from '../../../schemas/distribution.ts';

/**
 * GET /v1/dealers/:code/events: the dealer cabinet's live events as Server-Sent Events. One poller
 * per API process, running only while a stream is open, reads the new distribution events and
 * notifications once a second (core/distribution/dealer-feed.ts) and writes them to the open
 * streams of the dealers they concern; the writer of a change may be any process. A stream holds
 * no database connection while idle.
 */

const POLL_MS = 1000;
const PING_MS = 20_000;
const RECHECK_MS = 60_000;
/**
 * Ids are handed out when a row is inserted, not when its transaction commits: a row may become
 * visible after one with a higher id. The poller reads this many ids back again and skips what it
 * already sent, so a late commit within the window is not lost.
 */
const LATE_WINDOW = 50n;

interface Stream {
  dealerCode: string;
  write(event: string, data: unknown): void;
  end(): void;
}

/** The process's poller: starts with the first open stream, stops with the last. */
export class DealerEventHub {
  private readonly streams = new Map<string, Set<Stream>>();
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private cursor: FeedCursor | undefined;
  private readonly sent = { event: new Set<bigint>(), notification: new Set<bigint>() };
  private polling = false;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly log: FastifyBaseLogger,
    private readonly pollMs = POLL_MS,
  ) {}

  get open(): number {
    let n = 0;
    for (const set of this.streams.values()) n += set.size;
    return n;
  }

  /** Adds a stream; resolves once the poller knows where the news starts (what happens from then on reaches it). */
  async subscribe(stream: Stream): Promise<() => void> {
    if (this.closed) throw new HubError('upstream_unavailable', 'The hub is stopping; connect again.');
    let set = this.streams.get(stream.dealerCode);
    if (!set) this.streams.set(stream.dealerCode, (set = new Set()));
    set.add(stream);
    const leave = (): void => {
      const own = this.streams.get(stream.dealerCode);
      own?.delete(stream);
      if (own?.size === 0) this.streams.delete(stream.dealerCode);
      if (this.open === 0) this.stop();
    };
    try {
      await this.start();
    } catch (error) {
      leave();
      throw error;
    }
    return leave;
  }

  /** Ends every stream and the poller (the app is closing). */
  close(): void {
    this.closed = true;
    for (const set of [...this.streams.values()]) for (const stream of [...set]) stream.end();
    this.streams.clear();
    this.stop();
  }

  private start(): Promise<void> {
    if (this.cursor && this.timer) return Promise.resolve();
    this.starting ??= (async () => {
      try {
        this.cursor = await feedStart(this.db);
        this.sent.event.clear();
        this.sent.notification.clear();
        if (this.open > 0 && !this.closed) this.timer = setInterval(() => void this.poll(), this.pollMs);
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.cursor = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling || !this.cursor) return;
    this.polling = true;
    try {
      const cursor = this.cursor;
      const events = await orderEventsAfter(this.db, cursor.event);
      const notifications = await notificationsAfter(this.db, cursor.notification);
      if (this.cursor !== cursor) return; // stopped (or restarted) meanwhile
      for (const e of events) {
        const id = BigInt(e.id);
        if (this.sent.event.has(id)) continue;
        this.sent.event.add(id);
        for (const [code, reason] of e.dealers) this.deliver(code, 'orders', { orderId: e.orderId, reason });
      }
      for (const n of notifications) {
        const id = BigInt(n.id);
        if (this.sent.notification.has(id)) continue;
        this.sent.notification.add(id);
        if (n.dealer) this.deliver(n.dealer, 'notification', { id: n.id, kind: n.kind, message: n.message, orderId: n.orderId });
      }
      cursor.event = advance(cursor.event, this.sent.event);
      cursor.notification = advance(cursor.notification, this.sent.notification);
    } catch (error) {
      this.log.warn({ err: error }, 'dealer events: could not read the new events; trying again');
    } finally {
      this.polling = false;
    }
  }

  private deliver(dealerCode: string, event: string, data: unknown): void {
    for (const stream of this.streams.get(dealerCode) ?? []) stream.write(event, data);
  }
}

/** Moves the floor up to LATE_WINDOW below the highest id sent, forgetting the ids under it. */
function advance(floor: bigint, sent: Set<bigint>): bigint {
  let top = floor;
  for (const id of sent) if (id > top) top = id;
  const next = top - LATE_WINDOW > floor ? top - LATE_WINDOW : floor;
  for (const id of sent) if (id <= next) sent.delete(id);
  return next;
}

const dealerEventRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const hub = new DealerEventHub(deps.db, app.log);
  // preClose: the server waits for open connections before onClose hooks run, so the streams end first.
  app.addHook('preClose', async () => hub.close());
  app.addHook('onClose', async () => hub.close());

  app.get(
    '/dealers/:code/events',
    {
      config: dealer('dealer.orders.read'),
      schema: {
        tags: ['distribution'],
        summary: "The dealer cabinet's live events (Server-Sent Events): orders that changed and new notifications",
        description: DealerEventsDescription,
        produces: ['text/event-stream'],
        params: DealerParamsSchema,
        response: { 200: Type.String({ description: 'text/event-stream' }), ...errors(404) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const dealerCode = principal.dealer!.code;
      const raw: ServerResponse = reply.raw;
      let ended = false;
      const subscription: { leave?: () => void } = {};
      const timers: NodeJS.Timeout[] = [];
      const end = (): void => {
        if (ended) return;
        ended = true;
        for (const t of timers) clearInterval(t);
        subscription.leave?.();
        if (!raw.writableEnded) raw.end();
      };
      const stream: Stream = {
        dealerCode,
        write: (event, data) => {
          if (!ended) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        },
        end,
      };
      subscription.leave = await hub.subscribe(stream);
      reply.hijack();
      if (raw.destroyed) {
        // The client went away while the poller started.
        end();
        return;
      }
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      // The poller knows where the news starts: from here on nothing is missed. The comment says so (tests wait for it).
      raw.write('retry: 5000\n: ready\n\n');
      // The response's close: the client disconnected (or the stream was ended).
      raw.on('close', end);
      timers.push(setInterval(() => !ended && raw.write(': ping\n\n'), PING_MS));
      timers.push(
        setInterval(() => {
          void stillSignedIn(deps, request.cookies[SESSION_COOKIE], request.headers.authorization, principal, clientOf(request), request.routeOptions.config.access!)
            .then((ok) => ok || end())
            .catch((error: unknown) => request.log.warn({ err: error }, 'dealer events: could not check the session'));
        }, RECHECK_MS),
      );
    },
  );
};

/**
 * The stream's caller is still the same dealer user, and the route's access still lets it in (the one
 * decision the auth hook made, mayCall): its session or token has not ended, its right not been taken.
 * Looking does not count as activity: an open tab alone does not keep a session from idling out.
 */
async function stillSignedIn(deps: RouteDeps, cookie: string | undefined, authorization: string | undefined, principal: Principal, client: ReturnType<typeof clientOf>, access: Access): Promise<boolean> {
  let now: Principal | undefined;
  if (principal.via === 'session' && cookie) now = (await deps.authenticator.session(cookie, { touch: false }))?.principal;
  else if (principal.via === 'token' && authorization?.toLowerCase().startsWith('bearer ')) now = await deps.authenticator.token(authorization.slice(7).trim(), client);
  else return true;
  return !!now && now.dealer?.code === principal.dealer?.code && mayCall(access, now, principal.dealer?.code).allowed;
}

export default dealerEventRoutes;
