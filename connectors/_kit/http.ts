import axios, { AxiosError, type AxiosInstance, type AxiosRequestConfig } from 'axios';
import { ConnectorError } from './connector-error.ts';

/**
 * The HTTP client every connector uses: one axios instance with no shared mutable defaults (request
 * options are built fresh per call, see n8n's leaked `per_page`), a timeout, retries of transient
 * failures with exponential backoff that honours `Retry-After`, and failures wrapped into
 * ConnectorError. Bodies are always read as text so a malformed page can still be archived as received.
 */

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface HttpClientOptions {
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
  /** Attempts per call, the first one included. Default 4. */
  maxAttempts?: number;
  /** Backoff before retry n (1-based) is `baseDelayMs * 2^(n-1)`, capped at `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the call fails as upstream_unavailable. Default 120 s. */
  maxRetryAfterMs?: number;
  /** Jitter as a fraction of the backoff (0 → none). Default 0.2. Never applied to `Retry-After`. */
  jitter?: number;
  /** Injectable for tests: record the requested delays instead of waiting. */
  sleep?: Sleep;
  /** Injectable for tests: a number in [0, 1). */
  random?: () => number;
  /** Clock used to read a `Retry-After` given as an HTTP date. */
  now?: () => number;
  /** Query parameter names whose values never appear in messages or `PulledPage.source`. */
  secretParams?: RegExp;
  /** Headers sent on every call (no secrets here: pass auth per request). */
  headers?: Record<string, string>;
  /** Used in messages: "WooCommerce answered 401 …". Default "upstream". */
  serviceName?: string;
}

export type QueryValue = string | number | boolean | undefined;

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  url: string;
  params?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  auth?: { username: string; password: string };
  data?: string | Buffer | Record<string, unknown>;
  signal?: AbortSignal | undefined;
  /** Statuses (beyond 2xx) the caller wants to see as a response instead of an error. */
  acceptStatuses?: readonly number[];
  /** Overrides the client's attempts for this call (e.g. a quick `check`). */
  maxAttempts?: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The body exactly as received, decoded as UTF-8. */
  body: string;
  contentType: string;
  /** The request URL with secret query values redacted and no userinfo. */
  url: string;
  attempts: number;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
}

const DEFAULT_SECRET_PARAMS = /secret|password|passwd|token|signature|api[-_]?key|consumer[-_]?key|^key$/i;
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524]);

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date. Returns milliseconds,
 * or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** `url` with the query built from `params`, secret values replaced by `***` and userinfo dropped. */
export function redactUrl(url: string, params: Record<string, QueryValue> = {}, secretParams = DEFAULT_SECRET_PARAMS): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
  parsed.username = '';
  parsed.password = '';
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) parsed.searchParams.set(name, String(value));
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (secretParams.test(name)) parsed.searchParams.set(name, '***');
  }
  return parsed.toString();
}

function headerMap(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers || typeof headers !== 'object') return out;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** A short, single-line excerpt of an upstream answer for messages (never the request secrets). */
export function bodyExcerpt(body: string, max = 200): string {
  let text = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string') {
      const code = 'code' in parsed && typeof parsed.code === 'string' ? `${parsed.code}: ` : '';
      text = `${code}${parsed.message}`;
    }
  } catch {
    text = body.replace(/<[^>]*>/g, ' ');
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function describeNetworkError(error: AxiosError, timeoutMs: number): string {
  if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') return `no answer within ${timeoutMs} ms`;
  return error.code ? `${error.code} (${error.message})` : error.message;
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
  const jitter = options.jitter ?? 0.2;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const secretParams = options.secretParams ?? DEFAULT_SECRET_PARAMS;
  const service = options.serviceName ?? 'upstream';

  // No defaults on the instance beyond what never changes: every call gets its own config object.
  const instance: AxiosInstance = axios.create();

  function backoff(retry: number): number {
    const raw = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
    const spread = raw * jitter * (random() * 2 - 1);
    return Math.max(0, Math.round(raw + spread));
  }

  async function request(req: HttpRequest): Promise<HttpResponse> {
    const method = req.method ?? 'GET';
    const shownUrl = redactUrl(req.url, req.params ?? {}, secretParams);
    const what = `${method} ${shownUrl}`;
    const attemptsAllowed = Math.max(1, req.maxAttempts ?? maxAttempts);
    let lastProblem = 'no attempt made';
    let lastStatus: number | undefined;

    for (let attempt = 1; ; attempt++) {
      const config: AxiosRequestConfig = {
        method,
        url: req.url,
        params: { ...req.params },
        headers: { Accept: 'application/json', ...options.headers, ...req.headers },
        timeout: timeoutMs,
        responseType: 'text',
        responseEncoding: 'utf8',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
        maxRedirects: 5,
        ...(req.auth ? { auth: { ...req.auth } } : {}),
        ...(req.data !== undefined ? { data: req.data } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      };

      let retryAfterMs: number | undefined;
      try {
        const res = await instance.request<string>(config);
        const headers = headerMap(res.headers);
        const body = typeof res.data === 'string' ? res.data : res.data == null ? '' : String(res.data);
        const status = res.status;
        if ((status >= 200 && status < 300) || req.acceptStatuses?.includes(status)) {
          return { status, headers, body, contentType: headers['content-type'] ?? '', url: shownUrl, attempts: attempt };
        }
        if (status === 401 || status === 403) {
          throw new ConnectorError(
            'unauthorized',
            `${service} refused the credentials (HTTP ${status}) for ${what}: ${bodyExcerpt(body) || 'no message'}`,
            { status },
          );
        }
        if (!RETRYABLE_STATUS.has(status)) {
          throw new ConnectorError('upstream_rejected', `${service} rejected ${what} with HTTP ${status}: ${bodyExcerpt(body) || 'no message'}`, {
            status,
          });
        }
        lastStatus = status;
        lastProblem = `HTTP ${status}${body ? `: ${bodyExcerpt(body)}` : ''}`;
        retryAfterMs = parseRetryAfter(headers['retry-after'], now());
        if (retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs) {
          throw new ConnectorError(
            'upstream_unavailable',
            `${service} asked to wait ${Math.ceil(retryAfterMs / 1000)} s (Retry-After) for ${what}; giving up for now: ${lastProblem}`,
            { status },
          );
        }
      } catch (error) {
        if (error instanceof ConnectorError) throw error;
        if (req.signal?.aborted) throw req.signal.reason ?? error;
        if (!(error instanceof AxiosError) || error.response) {
          throw new ConnectorError('upstream_unavailable', `${what} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
        }
        lastStatus = undefined;
        lastProblem = describeNetworkError(error, timeoutMs);
      }

      if (attempt >= attemptsAllowed) {
        throw new ConnectorError(
          'upstream_unavailable',
          `${service} unavailable: ${what} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}; last: ${lastProblem}`,
          lastStatus === undefined ? {} : { status: lastStatus },
        );
      }
      await sleep(retryAfterMs ?? backoff(attempt), req.signal);
    }
  }

  return { request };
}
