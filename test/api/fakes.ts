import type { Actor } from '../../core/audit/actor.ts';
import { HubError } from '../../core/errors.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.ts';
import type { SecuritySettings } from '../../api/deps.ts';
import { asAdmin, type TestUser } from '../helpers/auth.ts';
import type { Database } from '../../core/db/database.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import type { OrderDraft } from '../../core/model/order.ts';
import { processPayload, type PayloadOutcome } from '../../core/orders/payload-processing.ts';
import { QuoteService } from '../../core/quotes/quotes.ts';
import { manualMapping } from '../../mappings/manual/index.ts';
import type { FailedJobView, ManualOrderReceipt, CheckReport, ConnectorCatalog, ConnectorInfo, HealthReport, HubActions, ResyncReceipt, SyncRequestReceipt, SyncTrigger, WebhookReceipt } from '../../core/ports.ts';

/** A connector spec with a URL, a public key, a secret and a defaulted number. */
export const TestShopSpec = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https?://' }),
    apiKey: Type.String({ minLength: 1 }),
    apiSecret: Type.String({ minLength: 1 }),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  },
  { additionalProperties: false },
);

type CatalogEntry = ConnectorInfo & { canPull: boolean; canReceiveWebhooks: boolean };

const CONNECTORS: CatalogEntry[] = [
  { type: 'testshop', title: 'Test shop', channelKind: 'webshop', spec: TestShopSpec, secretFields: ['apiSecret'], canPull: true, canReceiveWebhooks: true },
  {
    type: 'testpos',
    title: 'Test POS',
    channelKind: 'pos',
    spec: Type.Object({ storeCode: Type.String({ minLength: 1 }) }),
    secretFields: [],
    canPull: false,
    canReceiveWebhooks: true,
  },
];

export const fakeCatalog: ConnectorCatalog = {
  get: (type) => CONNECTORS.find((c) => c.type === type),
  list: () => [...CONNECTORS],
};

/** Reads `{ "orders": [drafts] }`; anything else is one mapping error. */
export const testMapping: ChannelMapping = {
  optionsSchema: Type.Object({}),
  map(payload) {
    try {
      const parsed = JSON.parse(payload.body) as { orders?: OrderDraft[] };
      return { orders: parsed.orders ?? [], errors: [] };
    } catch (error) {
      return { orders: [], errors: [{ message: `not JSON: ${(error as Error).message}` }] };
    }
  },
};

export type ActionCall =
  | { action: 'checkChannel'; channelId: string }
  | { action: 'requestSync'; channelId: string; trigger: SyncTrigger }
  | { action: 'resyncChannel'; channelId: string; since: string | null; requestedBy: string }
  | { action: 'receiveWebhook'; channelId: string; headers: Record<string, string | string[] | undefined>; rawBody: Buffer }
  | { action: 'reprocessPayload'; payloadId: string; requestedBy?: string }
  | { action: 'channelChanged'; channelId: string }
  | { action: 'health' };

/**
 * HubActions (our own port) that records what the API asked for. Reprocessing runs the real
 * payload processing with the test mapping, so payload verdicts land in the database.
 */
export class FakeActions implements HubActions {
  readonly calls: ActionCall[] = [];
  checkReport: CheckReport = { ok: true, message: 'Reached the test shop; credentials accepted.', details: { version: '9.1' } };
  webhookReceipt: (rawBody: Buffer) => WebhookReceipt = () => ({ kind: 'accepted', payloadId: 'payload-1', duplicate: false });
  healthReport: HealthReport = { ok: true, database: { ok: true, kind: 'postgres' }, redis: { ok: true, configured: true } };
  failWith: Error | undefined;

  readonly quotes: QuoteService;

  constructor(private readonly db: Database) {
    this.quotes = new QuoteService(db, (type) => (type === 'manual' ? manualMapping : undefined));
  }

  async recordManualOrder(): Promise<ManualOrderReceipt> {
    throw new Error('FakeActions does not record manual orders; use the real hub actions (test/api/sales-desk.test.ts).');
  }

  async checkChannel(channelId: string): Promise<CheckReport> {
    this.calls.push({ action: 'checkChannel', channelId });
    return this.checkReport;
  }

  async requestSync(channelId: string, trigger: SyncTrigger): Promise<SyncRequestReceipt> {
    this.calls.push({ action: 'requestSync', channelId, trigger });
    return { jobId: `sync-${channelId}`, queued: true };
  }

  async resyncChannel(channelId: string, options: { since?: Date | undefined; requestedBy: string }): Promise<ResyncReceipt> {
    const since = options.since?.toISOString() ?? null;
    this.calls.push({ action: 'resyncChannel', channelId, since, requestedBy: options.requestedBy });
    return { runId: 'run-1', since, sync: { jobId: `sync-${channelId}`, queued: true } };
  }

  async receiveWebhook(channelId: string, request: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer }): Promise<WebhookReceipt> {
    this.calls.push({ action: 'receiveWebhook', channelId, headers: request.headers, rawBody: request.rawBody });
    return this.webhookReceipt(request.rawBody);
  }

  /** The dead letters the fake's queue holds (tests put them here). */
  failed: FailedJobView[] = [];

  async failedJobs(): Promise<{ items: FailedJobView[]; note: string | null }> {
    return { items: this.failed, note: null };
  }

  async retryFailedJobs(id: string): Promise<number> {
    const retried = id === 'all' ? this.failed : this.failed.filter((j) => j.id === id);
    if (retried.length === 0) throw new HubError('not_found', `No failed job ${id}.`);
    this.failed = this.failed.filter((j) => !retried.includes(j));
    return retried.length;
  }

  async reprocessPayload(payloadId: string, requestedBy?: Actor): Promise<PayloadOutcome> {
    this.calls.push({ action: 'reprocessPayload', payloadId, ...(requestedBy && { requestedBy: requestedBy.login }) });
    return processPayload(this.db, payloadId, () => testMapping);
  }

  async channelChanged(channelId: string): Promise<void> {
    this.calls.push({ action: 'channelChanged', channelId });
  }

  async health(): Promise<HealthReport> {
    this.calls.push({ action: 'health' });
    if (this.failWith) throw this.failWith;
    return this.healthReport;
  }
}

/**
 * The API with fake hub actions. `app` is the API as an admin sees it (every request carries a
 * real admin's token); `anonymous` is the same app without credentials.
 */
export async function buildTestApp(
  db: Database,
  options: { webhookBodyLimit?: number; security?: SecuritySettings } = {},
): Promise<{ app: FastifyInstance; anonymous: FastifyInstance; actions: FakeActions; admin: TestUser }> {
  const actions = new FakeActions(db);
  const anonymous = await buildApp({ db, catalog: fakeCatalog, actions, ...options });
  const { app, admin } = await asAdmin(anonymous, db);
  return { app, anonymous, actions, admin };
}

let counter = 0;
/** A channel name no other test uses. */
export function uniqueName(prefix = 'shop'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function testShopBody(overrides: Record<string, unknown> = {}) {
  return {
    name: uniqueName(),
    connectorType: 'testshop',
    config: { url: 'https://shop.example.hu', apiKey: 'ck_public', apiSecret: 'cs_very_secret' },
    ...overrides,
  };
}

/** Creates a channel through the API and returns its public form. */
export async function createChannel(app: FastifyInstance, overrides: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: testShopBody(overrides) });
  if (response.statusCode !== 201) throw new Error(`channel not created: ${response.statusCode} ${response.body}`);
  return response.json();
}
