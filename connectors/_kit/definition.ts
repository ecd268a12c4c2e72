import type { TSchema } from '@sinclair/typebox';

/**
 * What every connector exports: one definition object (spec / check / pull / webhook), after the
 * Airbyte protocol. Connectors only talk to the outside world; they never touch the database and
 * never import core or mappings. Types here are structural so core can describe them without
 * importing this folder.
 */
export interface ConnectorDefinition<Config = any, State = any> {
  /** Stable connector type stored on the channel: `woocommerce`, `shoprenter`, ... */
  readonly type: string;
  readonly title: string;
  /** Channel kind a new channel of this connector gets unless ops choose another. */
  readonly channelKind: string;
  /** TypeBox schema of the channel config; validated once, at the boundary. */
  readonly spec: TSchema;
  /** Config fields that are secrets: redacted in API answers and logs, never put in job payloads. */
  readonly secretFields: readonly string[];
  /** Verifies credentials and reachability. Never throws: it reports. */
  check(config: Config, options?: CallOptions): Promise<CheckReport>;
  /**
   * Pulls changed orders page by page. Each yielded page is archived raw before it is parsed.
   * `state` on a page is the cursor to persist once that page and every page before it are
   * durably stored; pages without it do not advance the cursor.
   * Throws ConnectorError when the sync cannot go on (bad credentials, upstream down after retries).
   */
  pull?(config: Config, state: State | undefined, options?: PullOptions): AsyncGenerator<PulledPage<State>>;
  /**
   * Fetches one order by its id in the channel (the drafts' externalId) as a page to archive and read
   * like a pulled one; never moves the sync cursor. The hub calls it when a webhook about that order
   * cannot be mapped. Throws ConnectorError like `pull` (`upstream_rejected` for an unknown order).
   */
  fetchOrder?(config: Config, externalId: string, options?: CallOptions): Promise<PulledPage<State>>;
  /**
   * Reconciliation: lists the channel's orders modified in `window` as ids and modification times only,
   * with the cheapest calls the API has, page by page. Never moves the sync cursor; the hub compares
   * the list with what it holds and fetches what is missing or stale (`fetchOrders` / `fetchOrder`).
   * Throws ConnectorError like `pull`.
   */
  listOrders?(config: Config, window: ListWindow, options?: ListOptions<State>): AsyncGenerator<OrderListPage<State>>;
  /**
   * Fetches these orders (ids in the channel) as pages to archive and read like pulled ones, in as few
   * calls as the API allows (e.g. WooCommerce `include=`); never moves the sync cursor. Ids the channel
   * does not know are simply absent from the pages.
   */
  fetchOrders?(config: Config, externalIds: readonly string[], options?: CallOptions): AsyncGenerator<PulledPage<State>>;
  /**
   * The state to store for a resync: the cursor set back to `since` (undefined: a full re-read), keeping
   * what is not the cursor (a call budget, a ban's hold, reference data). Pure; the hub stores it under
   * the sync lease.
   */
  resetCursor?(state: State | undefined, since: Date | undefined): State;
  /** Push endpoint (webhooks): verify and classify a request before anything is stored. */
  webhook?: WebhookHandler<Config>;
  /**
   * Sets one order's status at the channel (status write-back). One attempt per call: the hub's job
   * retries with backoff. Throws ConnectorError: `upstream_unavailable` (network, 5xx, 429) is worth
   * retrying; `unauthorized` and `upstream_rejected` (404 unknown order, 400 unknown status) are not.
   */
  writeStatus?(config: Config, update: StatusUpdate, options?: CallOptions): Promise<StatusWriteReceipt>;
}

export interface StatusUpdate {
  /** The order's id in the channel's API. */
  externalId: string;
  /** The channel's own status (a slug, a name or a status id, as the connector's API takes it). */
  status: string;
}

export interface StatusWriteReceipt {
  /** Where it was sent (request URL without secrets). */
  target: string;
  /** The status the channel reports after the change, when its answer says. */
  statusNow?: string | undefined;
}

/** The modification window a reconciliation lists: orders modified at or after `since`, before `until`. */
export interface ListWindow {
  since: Date;
  until: Date;
}

/** One order as the channel lists it: its id in the channel and when it was last modified (ISO UTC). */
export interface OrderStamp {
  externalId: string;
  /** Undefined when the channel's listing does not say (it then counts as stale when the hub holds it). */
  modifiedAt: string | undefined;
}

export interface ListOptions<State = unknown> extends CallOptions {
  /** The channel's stored sync state (e.g. a call budget the listing must respect). */
  state?: State | undefined;
}

/** One page of a reconciliation listing. */
export interface OrderListPage<State = unknown> {
  /** Where it came from (request URL without secrets). */
  source: string;
  page: number;
  orders: OrderStamp[];
  /** Something ops should know (e.g. the store ignored the window filter and listed everything). */
  warning?: string | undefined;
  /**
   * When the listing call itself answers with whole orders (UNAS getOrder): that answer, to archive and
   * read like a pulled page when it holds a missing or stale order (then nothing more is fetched for them).
   */
  payload?: PulledPage<State> | undefined;
  /**
   * State to store (under the lease) once the page is handled: a call budget spent, a ban's hold. Never
   * a moved cursor: the listing keeps the channel's cursor as it found it.
   */
  state?: State | undefined;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface PullOptions extends CallOptions {
  /** Clock, injectable for tests. */
  now?: () => Date;
  onProgress?: (progress: { page: number; totalPages?: number | undefined }) => void;
}

export interface CheckReport {
  ok: boolean;
  /** One sentence ops can act on: what worked, or what is wrong and where. */
  message: string;
  details?: Record<string, unknown>;
}

export interface PulledPage<State = unknown> {
  /** Where the page came from (request URL without secrets). */
  source: string;
  contentType: string;
  /** The body exactly as received, even when it is not valid. */
  body: string;
  /**
   * The body as bytes, when the connector has them (a file read from an inbox): archived as read,
   * NUL bytes and all, instead of `body` (left empty then).
   */
  bytes?: Uint8Array | undefined;
  /** The encoding of `bytes`, when the connector knows it (e.g. declared inside the file); else it is sniffed. */
  encoding?: string | undefined;
  page: number;
  totalPages?: number | undefined;
  /**
   * Something ops should know that is not an error (the page itself is fine): a cursor in the future
   * was reset, the store ignores modified_after. Kept on the sync run and logged; never payload data.
   */
  warning?: string | undefined;
  /** Set when the page arrived but is broken (not JSON, cut short): it is archived with this error. */
  error?: { code: string; message: string } | undefined;
  state?: State | undefined;
  /**
   * The hub tells the connector what became of the page before it asks for the next one: archived
   * and read (`status` parsed / partial / failed / skipped, with the payload id and error), or not
   * archived (`archived: false`, the error). A connector that owns its source (an inbox) moves the
   * file by it; a consumer that never calls it leaves the connector's default in force.
   */
  settled?: ((fate: PageFate) => void) | undefined;
}

export type PageFate =
  | { archived: true; payloadId: string; status: 'parsed' | 'partial' | 'failed' | 'skipped'; error?: string | undefined }
  | { archived: false; error: string };

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Path and query as requested (for senders that can only authenticate with a URL token). */
  url?: string | undefined;
  /** The raw body bytes, before any JSON parsing: signatures are computed over them. */
  rawBody: Buffer;
}

/** What the hub learnt of a streamed body as it passed (decode then sees only its start as `rawBody`). */
export interface WholeBody {
  size: number;
  /** sniffEncoding over the whole body, with no charset declared. */
  encoding: string;
  /** The whole body is valid UTF-8. */
  utf8: boolean;
}

export type WebhookVerdict =
  /** A liveness ping (e.g. WooCommerce's webhook creation ping): answer 2xx, store nothing. */
  | { kind: 'ping' }
  /** Authentic payload to archive and process. */
  | { kind: 'accepted'; topic?: string | undefined; deliveryId?: string | undefined }
  /** Not authentic (bad or missing signature): answer 401, store nothing. */
  | { kind: 'rejected'; reason: string };

export interface WebhookHandler<Config = any> {
  verify(request: WebhookRequest, config: Config): WebhookVerdict;
  /**
   * Says what the accepted raw bytes are: the content type to record and, when the connector knows
   * it (a charset declared inside the file), the encoding they are in. The bytes themselves are
   * archived as received; without it the request's content type is recorded and the encoding sniffed.
   */
  decode?(request: WebhookRequest, config: Config, whole?: WholeBody): { contentType?: string; encoding?: string };
  /**
   * Uploads (files sent to /files) whose sender is proven by the headers alone (a bearer upload
   * token, no signature over the body): the hub then streams the body into the archive as it
   * arrives instead of holding it, and `decode` gets the body's start with `whole`. Without it the
   * channel takes no uploads.
   */
  verifyUpload?(request: Omit<WebhookRequest, 'rawBody'>, config: Config): WebhookVerdict;
  /**
   * The largest body this channel accepts, in bytes (e.g. an EDI channel's maxFileBytes); without it
   * the hub's default for pushes applies. A larger body is cut there, never read whole into memory.
   */
  maxBodyBytes?(config: Config): number;
}
