import { createHash } from 'node:crypto';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import { ConnectorError } from '../_kit/connector-error.ts';
import { bodyExcerpt, defaultSleep, parseRetryAfter, type HttpClientOptions } from '../_kit/http.ts';
import { DEFAULT_MAX_BYTES, decodeLossy } from '../_kit/decode.ts';
import { escapeXml, parseXmlBytes, xmlChild, xmlText, type XmlBytesResult } from '../_kit/xml.ts';
import type { ResolvedUnasConfig } from './spec.ts';
import { parseUnasBanTime, parseUnasDateTime } from './time.ts';

/**
 * Transport only: login and token reuse, one POST per call, retries, error wrapping. Paging and state
 * live in streams/orders.ts.
 *
 * Why not connectors/_kit/http.ts: it reads every body as UTF-8 text, and UNAS answers must be read
 * as bytes and decoded by their declared charset (ISO-8859-2 shops exist). The retry policy below is
 * the kit's (same backoff, `Retry-After`, retryable statuses) on an axios instance that returns bytes.
 * If the kit grows a bytes mode, this file should use it.
 */

/** Test seams and tuning that are not channel config. */
export type UnasHttpOptions = Pick<HttpClientOptions, 'sleep' | 'random' | 'now' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'jitter'>;

export interface UnasResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  bytes: Buffer;
  contentType: string;
  /** The function URL (no secrets: UNAS takes none in the URL). */
  url: string;
  attempts: number;
}

/** UNAS banned this IP (too many calls or failed calls): nothing works before `bannedUntil`. */
export class UnasBannedError extends ConnectorError {
  readonly bannedUntil: Date | undefined;

  constructor(message: string, bannedUntil: Date | undefined, status?: number) {
    super('upstream_unavailable', message, { ...(status !== undefined && { status }), notBefore: bannedUntil });
    this.name = 'UnasBannedError';
    this.bannedUntil = bannedUntil;
  }
}

export interface GetOrderQuery {
  /** Unix seconds, modification time from (TimeModStart). */
  timeModStart?: number | undefined;
  /** Unix seconds, modification time to (TimeModEnd). */
  timeModEnd?: number | undefined;
  limitNum: number;
  /** Offset; sent only when > 0. */
  limitStart?: number | undefined;
  status?: string | undefined;
}

type UnasFunction = 'login' | 'getOrder' | 'getOrderStatus' | 'setOrder';

/** The answer behind a refusal (an `<Error>` body, a 4xx page), so the pull can archive it with its text. */
export interface UnasAnswer {
  fn: UnasFunction;
  url: string;
  status: number;
  contentType: string;
  /** Decoded text (lossy when the bytes were invalid in their charset). */
  body: string;
}

const answers = new WeakMap<Error, UnasAnswer>();

/** The UNAS answer a client error was made from, when there was one (none for network errors). */
export function unasAnswerOf(error: unknown): UnasAnswer | undefined {
  return error instanceof Error ? answers.get(error) : undefined;
}

/** An `<Error>` answer is a few hundred bytes: larger 2xx bodies are not parsed twice to look for one. */
const MAX_ERROR_BODY_BYTES = 16_384;

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524]);
/** Renew the token this long before UNAS's Expire (clock skew, long pages). */
const TOKEN_MARGIN_MS = 5 * 60_000;
/** Used when Expire is missing or unreadable: UNAS tokens live 2 hours [doc]. */
const DEFAULT_TOKEN_LIFETIME_MS = 2 * 60 * 60_000;
/**
 * After a refused login the same key is not tried again for this long: UNAS bans an IP after 5 failed
 * logins per hour, so a schedule that keeps trying a wrong key would lock the shop out.
 */
export const FAILED_LOGIN_HOLD_MS = 15 * 60_000;

interface CachedToken {
  token: string;
  /** Epoch ms after which the token is not used any more (Expire − margin). */
  usableUntil: number;
  expire: string | undefined;
}

/** In-memory, per process, keyed by a hash of baseUrl + apiKey (the key itself is never a map key). */
const tokens = new Map<string, CachedToken>();
const failedLogins = new Map<string, { until: number; message: string }>();
/**
 * Bans seen by this process, per API root (UNAS bans the IP): check and write-back calls, which have
 * no sync state, send nothing before the end either. The pull's hold is stored in its sync state.
 */
const bans = new Map<string, { until: number; message: string }>();

/** Forgets every cached token, failed login and ban (tests, or after a key rotation). */
export function resetUnasAuthCache(): void {
  tokens.clear();
  failedLogins.clear();
  bans.clear();
}

export function authCacheKey(baseUrl: string, apiKey: string): string {
  return createHash('sha256').update(`${baseUrl}\u0000${apiKey}`).digest('hex');
}

/** The text of `<Error>…</Error>` when the body is one, else undefined. */
export function unasErrorMessage(parsed: XmlBytesResult): string | undefined {
  if (!parsed.ok || parsed.root !== 'Error') return undefined;
  return (xmlText(parsed.value) ?? '').trim() || 'no message';
}

const BAN = /\bbanned\b/i;
const TOKEN_PROBLEM = /token|expired|lejárt|authori[sz]|unauthori[sz]ed|not logged/i;

export class UnasClient {
  readonly #config: ResolvedUnasConfig;
  readonly #options: UnasHttpOptions;
  readonly #axios: AxiosInstance;
  readonly #service: string;
  readonly #cacheKey: string;

  constructor(config: ResolvedUnasConfig, options: UnasHttpOptions = {}, service = 'UNAS') {
    this.#config = config;
    this.#options = options;
    this.#service = service;
    // No defaults on the instance: every call builds its own config object.
    this.#axios = axios.create();
    this.#cacheKey = authCacheKey(config.baseUrl, config.apiKey);
  }

  /** Hash of baseUrl + key (never the key): tells whether a stored login hold is about this key. */
  get keyHash(): string {
    return this.#cacheKey;
  }

  urlOf(fn: UnasFunction): string {
    return `${this.#config.baseUrl}/${fn}`;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #backoff(retry: number): number {
    const base = this.#options.baseDelayMs ?? 500;
    const raw = Math.min(this.#options.maxDelayMs ?? 30_000, base * 2 ** (retry - 1));
    const spread = raw * (this.#options.jitter ?? 0.2) * ((this.#options.random ?? Math.random)() * 2 - 1);
    return Math.max(0, Math.round(raw + spread));
  }

  /**
   * One POST of an XML body, read as bytes. Network errors, timeouts, 408/425/429/5xx are retried with
   * exponential backoff (honouring `Retry-After` up to maxRetryAfterMs); every other status is
   * returned to the caller, which knows what UNAS's 400 `<Error>` means for its function.
   */
  async #post(fn: UnasFunction, body: string, headers: Record<string, string>, attempts: number, signal?: AbortSignal): Promise<UnasResponse> {
    const url = this.urlOf(fn);
    const ban = bans.get(this.#config.baseUrl);
    if (ban && ban.until > this.#now()) {
      throw new UnasBannedError(`${this.#service} banned this IP: no call before ${new Date(ban.until).toISOString()} (POST ${url} not sent). ${ban.message}`, new Date(ban.until));
    }
    const sleep = this.#options.sleep ?? defaultSleep;
    const maxRetryAfterMs = this.#options.maxRetryAfterMs ?? 120_000;
    let lastProblem = 'no attempt made';
    let lastStatus: number | undefined;
    for (let attempt = 1; ; attempt++) {
      let wait: number | undefined;
      try {
        const res = await this.#axios.request<ArrayBuffer>({
          method: 'POST',
          url,
          data: body,
          headers: { 'Content-Type': 'application/xml; charset=UTF-8', Accept: 'application/xml, text/xml', 'User-Agent': 'orderhub-unas/0.1', ...headers },
          timeout: this.#config.timeoutMs,
          responseType: 'arraybuffer',
          transformResponse: [(data: unknown) => data],
          validateStatus: () => true,
          maxRedirects: 0,
          maxContentLength: DEFAULT_MAX_BYTES,
          decompress: true,
          ...(signal ? { signal } : {}),
        });
        const out: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers ?? {})) {
          if (value !== undefined && value !== null) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
        }
        const bytes = Buffer.from(res.data ?? new ArrayBuffer(0));
        const response: UnasResponse = { status: res.status, headers: out, bytes, contentType: out['content-type'] ?? '', url, attempts: attempt };
        if (!RETRYABLE_STATUS.has(res.status)) return response;
        lastStatus = res.status;
        lastProblem = `HTTP ${res.status}${bytes.length > 0 ? `: ${bodyExcerpt(decodeLossy(bytes, { contentType: response.contentType }))}` : ''}`;
        wait = parseRetryAfter(out['retry-after'], this.#now());
        if (wait !== undefined && wait > maxRetryAfterMs) {
          throw new ConnectorError('upstream_unavailable', `${this.#service} asked to wait ${Math.ceil(wait / 1000)} s (Retry-After) for POST ${url}; giving up for now: ${lastProblem}`, {
            status: res.status,
          });
        }
      } catch (error) {
        if (error instanceof ConnectorError) throw error;
        if (signal?.aborted) throw signal.reason ?? error;
        if (!(error instanceof AxiosError) || error.response) {
          throw new ConnectorError('upstream_unavailable', `POST ${url} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
        }
        lastStatus = undefined;
        lastProblem =
          error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT'
            ? `no answer within ${this.#config.timeoutMs} ms`
            : error.code === 'ERR_BAD_RESPONSE' && /maxContentLength/i.test(error.message)
              ? `answer larger than ${DEFAULT_MAX_BYTES} bytes`
              : error.code
                ? `${error.code} (${error.message})`
                : error.message;
      }
      if (attempt >= attempts) {
        throw new ConnectorError(
          'upstream_unavailable',
          `${this.#service} unavailable: POST ${url} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}; last: ${lastProblem}`,
          lastStatus === undefined ? {} : { status: lastStatus },
        );
      }
      await sleep(wait ?? this.#backoff(attempt), signal);
    }
  }

  /** A non-2xx answer as a ConnectorError: ban → upstream_unavailable (with the end), 401/403 → unauthorized. */
  #failure(fn: UnasFunction, response: UnasResponse): ConnectorError {
    const error = this.#failureOf(fn, response);
    answers.set(error, { fn, url: response.url, status: response.status, contentType: response.contentType, body: decodeLossy(response.bytes, { contentType: response.contentType }) });
    return error;
  }

  #failureOf(fn: UnasFunction, response: UnasResponse): ConnectorError {
    const parsed = parseXmlBytes(response.bytes, { contentType: response.contentType });
    const message = unasErrorMessage(parsed) ?? (bodyExcerpt(parsed.ok ? decodeLossy(response.bytes, { contentType: response.contentType }) : parsed.text) || 'no message');
    const what = `POST ${response.url}`;
    if (BAN.test(message)) {
      const until = parseUnasBanTime(message);
      if (until) bans.set(this.#config.baseUrl, { until: until.getTime(), message });
      return new UnasBannedError(
        `${this.#service} banned this IP${until ? ` until ${until.toISOString()}` : ''} (${what}, HTTP ${response.status}): ${message}`,
        until,
        response.status,
      );
    }
    if (fn === 'login' || response.status === 401 || response.status === 403) {
      return new ConnectorError('unauthorized', `${this.#service} refused the ${fn === 'login' ? 'login' : 'token'} (${what}, HTTP ${response.status}): ${message}`, {
        status: response.status,
      });
    }
    if (response.status === 404) {
      return new ConnectorError('upstream_rejected', `${this.#service} has no ${fn} function at ${response.url} (HTTP 404): ${message}`, { status: 404 });
    }
    if (response.status >= 200 && response.status < 300) {
      return new ConnectorError('upstream_rejected', `${this.#service} answered ${what} with HTTP ${response.status} and <Error>: ${message}`, { status: response.status });
    }
    return new ConnectorError('upstream_rejected', `${this.#service} rejected ${what} with HTTP ${response.status}: ${message}`, { status: response.status });
  }

  /** A 2xx whose body is `<Error>…</Error>` (UNAS answers some refusals with HTTP 200). */
  #isErrorAnswer(response: UnasResponse): boolean {
    if (response.bytes.length > MAX_ERROR_BODY_BYTES) return false;
    const parsed = parseXmlBytes(response.bytes, { contentType: response.contentType });
    return parsed.ok && parsed.root === 'Error';
  }

  /**
   * Login with the API key → Token + Expire. Never retried (5 failed logins per hour ban the IP); a
   * refused key is remembered for FAILED_LOGIN_HOLD_MS and not sent again meanwhile.
   * Docs: https://unas.hu/tudastar/api/azonositas-login-keres (request),
   *       https://unas.hu/tudastar/api/azonositas-login-valasz (Token, Expire), https://unas.hu/tudastar/api/limitaciok
   */
  async #login(signal?: AbortSignal): Promise<CachedToken> {
    const held = failedLogins.get(this.#cacheKey);
    if (held && held.until > this.#now()) {
      throw new ConnectorError(
        'unauthorized',
        `${held.message} (not retried before ${new Date(held.until).toISOString()}: UNAS bans the IP after 5 failed logins per hour)`,
      );
    }
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Params><ApiKey>${escapeXml(this.#config.apiKey)}</ApiKey></Params>`;
    const response = await this.#post('login', body, {}, 1, signal);
    if (response.status < 200 || response.status >= 300 || this.#isErrorAnswer(response)) {
      const error = this.#failure('login', response);
      if (error.code === 'unauthorized') failedLogins.set(this.#cacheKey, { until: this.#now() + FAILED_LOGIN_HOLD_MS, message: error.message });
      throw error;
    }
    const parsed = parseXmlBytes(response.bytes, { contentType: response.contentType });
    const token = parsed.ok ? xmlText(xmlChild(parsed.value, 'Token'))?.trim() : undefined;
    if (!parsed.ok || !token) {
      const why = !parsed.ok ? parsed.message : `no <Token> in <${parsed.root}>: ${bodyExcerpt(parsed.decoded.text)}`;
      const error = new ConnectorError('unauthorized', `${this.#service} login at ${response.url} gave no token: ${why}`, { status: response.status });
      answers.set(error, { fn: 'login', url: response.url, status: response.status, contentType: response.contentType, body: decodeLossy(response.bytes, { contentType: response.contentType }) });
      failedLogins.set(this.#cacheKey, { until: this.#now() + FAILED_LOGIN_HOLD_MS, message: error.message });
      throw error;
    }
    failedLogins.delete(this.#cacheKey);
    const expire = xmlText(xmlChild(parsed.value, 'Expire'))?.trim();
    const expiresAt = parseUnasDateTime(expire)?.getTime() ?? this.#now() + DEFAULT_TOKEN_LIFETIME_MS;
    // A token that looks already expired (clock skew) is still used for this call, and cached briefly.
    const usableUntil = Math.max(expiresAt - TOKEN_MARGIN_MS, this.#now() + 60_000);
    const cached: CachedToken = { token, usableUntil, expire };
    tokens.set(this.#cacheKey, cached);
    return cached;
  }

  /** The Bearer token for the next call: the API key itself (custom `bearer` mode), a cached token, or a new login. */
  async #token(signal?: AbortSignal): Promise<{ token: string; fresh: boolean }> {
    if (this.#config.authMode === 'bearer') return { token: this.#config.apiKey, fresh: true };
    const cached = tokens.get(this.#cacheKey);
    if (cached && cached.usableUntil > this.#now()) return { token: cached.token, fresh: false };
    tokens.delete(this.#cacheKey);
    return { token: (await this.#login(signal)).token, fresh: true };
  }

  /** Logs in (or reuses the token) without fetching anything: `check` uses it to tell key problems apart. */
  async authenticate(signal?: AbortSignal): Promise<{ reused: boolean }> {
    const { fresh } = await this.#token(signal);
    return { reused: !fresh };
  }

  /**
   * One page of orders. Never sends InvoiceAutoSet (it marks the returned orders as invoiced).
   * A 401/403, or a 400 whose `<Error>` is about the token, with a cached token → one new login and
   * one more try. Any other non-2xx becomes a ConnectorError; a 200 is returned as is (bytes) for the
   * stream to archive, even when it is not valid XML.
   * Docs: https://unas.hu/tudastar/api/megrendelesek-getOrder-keres (request params),
   *       https://unas.hu/tudastar/api/megrendelesek-adatszerkezet (response), https://unas.hu/tudastar/api/limitaciok
   */
  async getOrders(query: GetOrderQuery, options: { signal?: AbortSignal | undefined; maxAttempts?: number } = {}): Promise<UnasResponse> {
    const params: string[] = [];
    if (query.timeModStart !== undefined) params.push(`<TimeModStart>${Math.floor(query.timeModStart)}</TimeModStart>`);
    if (query.timeModEnd !== undefined) params.push(`<TimeModEnd>${Math.floor(query.timeModEnd)}</TimeModEnd>`);
    if (query.status !== undefined) params.push(`<Status>${escapeXml(query.status)}</Status>`);
    params.push(`<LimitNum>${Math.trunc(query.limitNum)}</LimitNum>`);
    if (query.limitStart !== undefined && query.limitStart > 0) params.push(`<LimitStart>${Math.trunc(query.limitStart)}</LimitStart>`);
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Params>${params.join('')}</Params>`;
    return this.#call('getOrder', body, options.maxAttempts ?? this.#config.maxAttempts, options.signal);
  }

  /**
   * The shop's order statuses (each with its id, name and type: open_normal, close_ok, close_fault, …).
   * The request has no parameters (`<Params></Params>`). One attempt: the list is refreshed once a day
   * and a failure only means the cached list (or names alone) is used until the next try.
   * Docs: https://unas.hu/tudastar/api/megrendeles-statuszok (getOrderStatus),
   *       https://unas.hu/tudastar/api/megrendeles-statuszok-adatszerkezet (data structure)
   */
  async getOrderStatuses(signal?: AbortSignal): Promise<UnasResponse> {
    return this.#call('getOrderStatus', `<?xml version="1.0" encoding="UTF-8"?>\n<Params></Params>`, 1, signal);
  }

  /**
   * Sets one order's status by its Key: setOrder with `<Action>modify</Action>`; nodes left out are not
   * changed [doc: "a node not sent is not modified"], so only Key and Status go. `StatusEmail` no: the
   * customer hears from the shop's own settings, not from every hub change. The answer is
   * `<Orders><Order><Key/><Status>ok</Status>…</Order></Orders>`; any other Status is a refusal.
   * One attempt: the write-back job retries with its own backoff.
   * Docs: https://unas.hu/tudastar/api (setOrder: create or modify orders; Orders/Order as in getOrder's
   * data structure, Status = the status name); request and answer shape as used by public UNAS clients
   * (Orders/Order/Action modify, Key, Status; answer Orders/Order/Status "ok").
   */
  async setOrderStatus(key: string, status: string, signal?: AbortSignal): Promise<{ response: UnasResponse; status: string | undefined }> {
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<Orders><Order><Action>modify</Action><Key>${escapeXml(key)}</Key>` +
      `<Status>${escapeXml(status)}</Status></Order></Orders>`;
    const response = await this.#call('setOrder', body, 1, signal);
    const parsed = parseXmlBytes(response.bytes, { contentType: response.contentType });
    if (!parsed.ok) throw new ConnectorError('upstream_unavailable', `${this.#service} answered setOrder with something that is not XML: ${parsed.message}`, { status: response.status });
    const order = xmlChild(parsed.value, 'Order');
    const outcome = xmlText(xmlChild(order, 'Status'))?.trim();
    if (outcome !== 'ok') {
      const detail = bodyExcerpt(parsed.decoded.text);
      throw new ConnectorError('upstream_rejected', `${this.#service} refused to set order ${key} to "${status}" (setOrder answered ${outcome ?? 'no Status'}): ${detail}`, {
        status: response.status,
      });
    }
    return { response, status: outcome };
  }

  /**
   * One function call with the token: a 401/403, or a 400 whose `<Error>` is about the token, with a
   * cached token → one new login and one more try. Any other non-2xx becomes a ConnectorError.
   */
  async #call(fn: 'getOrder' | 'getOrderStatus' | 'setOrder', body: string, attempts: number, signal: AbortSignal | undefined): Promise<UnasResponse> {
    let { token, fresh } = await this.#token(signal);
    for (;;) {
      const response = await this.#post(fn, body, { Authorization: `Bearer ${token}` }, attempts, signal);
      const ok = response.status >= 200 && response.status < 300;
      if (ok && !this.#isErrorAnswer(response)) return response;
      const error = this.#failure(fn, response);
      const tokenProblem =
        !(error instanceof UnasBannedError) && (response.status === 401 || response.status === 403 || ((response.status === 400 || ok) && TOKEN_PROBLEM.test(error.message)));
      if (tokenProblem && !fresh && this.#config.authMode === 'login') {
        tokens.delete(this.#cacheKey);
        ({ token } = await this.#login(signal));
        fresh = true;
        continue;
      }
      if (tokenProblem) {
        const refused = new ConnectorError('unauthorized', error.message, error.status === undefined ? {} : { status: error.status });
        const answer = answers.get(error);
        if (answer) answers.set(refused, answer);
        throw refused;
      }
      throw error;
    }
  }
}
