import { createHmac, randomBytes } from 'node:crypto';
import type { WooOrder } from '../../connectors/woocommerce/types.ts';
import type { Database } from '../../core/db/database.ts';
import { phpJsonEncode, type WooSandbox } from '../../testkit/woo-sandbox.ts';
import { makeUser, type TestUser } from './auth.ts';
import { runHub } from './cli.ts';
import { freePort } from './free-port.ts';
import { HubProcess } from './hub-process.ts';

/**
 * A split deployment for the fault suite, every part a real process: `hub start` with HUB_ROLE=api
 * (API and schedules) and `hub worker`s on BullMQ, sharing a database, a Redis of the test's own, a
 * queue prefix and the secret keys; a WooCommerce channel on the sandbox, added with the CLI.
 */
export class WooDeployment {
  readonly env: Record<string, string>;
  #port = 0;
  #admin: TestUser | undefined;
  #workers = 0;

  constructor(
    private readonly db: Database,
    databaseUrl: string,
    redisUrl: string,
  ) {
    this.env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      HUB_QUEUE_PREFIX: `orderhub-faults-${randomBytes(4).toString('hex')}`,
      HUB_SECRET_KEYS: `fault-key:${randomBytes(32).toString('base64')}`,
      LOG_LEVEL: 'info',
    };
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** `hub start` as the API (and scheduler) only; resolves once it listens. */
  async startApi(): Promise<HubProcess> {
    this.#port = await freePort();
    const api = new HubProcess('api', { ...this.env, HUB_ROLE: 'api', PORT: String(this.#port) }, 'start');
    await api.untilOutput(/orderhub listening at /);
    this.#admin = await makeUser(this.db, { roles: ['admin'] });
    return api;
  }

  /** A `hub worker`; resolves once it takes jobs. */
  async startWorker(): Promise<HubProcess> {
    const worker = new HubProcess(`worker ${++this.#workers}`, this.env, 'worker');
    await worker.untilOutput(/orderhub worker running/);
    return worker;
  }

  /** `hub channels add` for the sandbox (syncs only when asked: its cron is once a year); the channel's id. */
  async addWooChannel(name: string, sandbox: WooSandbox, credentials: { consumerKey: string; consumerSecret: string; webhookSecret?: string }): Promise<string> {
    const config = { url: sandbox.url, ...credentials, maxAttempts: 2 };
    const added = await runHub(this.env, 'channels', 'add', name, '--type', 'woocommerce', '--config', JSON.stringify(config), '--schedule', '0 0 1 1 *', '--json');
    if (added.code !== 0) throw new Error(`hub channels add failed (${added.code}): ${added.stderr}${added.stdout}`);
    return (JSON.parse(added.stdout) as { id: string }).id;
  }

  /** POST /v1/channels/:id/sync as an admin: the API queues the sync for the workers. */
  async requestSync(channelId: string): Promise<{ jobId: string; queued: boolean }> {
    const response = await fetch(`${this.apiUrl}/v1/channels/${channelId}/sync`, { method: 'POST', headers: this.#admin!.headers });
    if (response.status !== 202) throw new Error(`POST /sync answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as { jobId: string; queued: boolean };
  }

  /**
   * A WooCommerce order webhook as the store delivers it (WC_Webhook::deliver): the order as PHP's
   * json_encode writes it, X-WC-Webhook-Signature = base64(HMAC-SHA256(raw body, webhook secret)).
   * https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks
   */
  async deliverWebhook(channelId: string, order: WooOrder, secret: string, deliveryId: string): Promise<Response> {
    const body = Buffer.from(phpJsonEncode(order), 'utf8');
    return fetch(`${this.apiUrl}/v1/channels/${channelId}/webhook`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-wc-webhook-source': `${new URL(this.apiUrl).origin}/`,
        'x-wc-webhook-topic': 'order.updated',
        'x-wc-webhook-resource': 'order',
        'x-wc-webhook-event': 'updated',
        'x-wc-webhook-id': '7',
        'x-wc-delivery-id': deliveryId,
        'x-wc-webhook-signature': createHmac('sha256', secret).update(body).digest('base64'),
      },
    });
  }
}

/** The hub's orders of a channel: external id → { modified (ms), version }; throws on an id held twice. */
export async function hubOrders(db: Database, channelId: string): Promise<Map<string, { modified: number | undefined; version: number }>> {
  const rows = await db.prisma.order.findMany({ where: { channelId }, select: { externalId: true, sourceUpdatedAt: true, version: true } });
  const held = new Map<string, { modified: number | undefined; version: number }>();
  for (const row of rows) {
    if (held.has(row.externalId)) throw new Error(`order ${row.externalId} held twice`);
    held.set(row.externalId, { modified: row.sourceUpdatedAt?.getTime(), version: row.version });
  }
  return held;
}

/** The shop's orders: external id → date_modified_gmt (ms). */
export function shopOrders(sandbox: WooSandbox): Map<string, number> {
  return new Map(sandbox.orders.map((o) => [String(o.id), Date.parse(`${o.date_modified_gmt}Z`)]));
}

/** Orders the hub lacks, holds at another modification time than the shop, or holds without the shop having them. */
export function differences(hub: Map<string, { modified: number | undefined }>, shop: Map<string, number>): { missing: string[]; stale: string[]; extra: string[] } {
  return {
    missing: [...shop.keys()].filter((id) => !hub.has(id)),
    stale: [...shop].filter(([id, at]) => hub.has(id) && hub.get(id)!.modified !== at).map(([id]) => id),
    extra: [...hub.keys()].filter((id) => !shop.has(id)),
  };
}

/** How many raw payloads of the channel are in each status, per kind: { 'pull:parsed': 20, ... }. */
export async function payloadStatuses(db: Database, channelId: string): Promise<Record<string, number>> {
  const rows = await db.query<{ kind: string; status: string; n: number }>(
    'SELECT kind, status, count(*)::int AS n FROM raw_payload WHERE channel_id = $1 GROUP BY kind, status ORDER BY kind, status',
    [channelId],
  );
  return Object.fromEntries(rows.map((r) => [`${r.kind}:${r.status}`, r.n]));
}

/** The hub process's pid in a lease owner (`<host>/<pid>/<uuid>`). */
export function pidOfOwner(owner: string | null | undefined): number | undefined {
  const pid = owner?.split('/').at(-2);
  return pid === undefined ? undefined : Number(pid);
}
