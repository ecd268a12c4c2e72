import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

export type { paths };

/** The JSON body of an answer (or a request) in the generated types. */
export type JsonOf<T> = T extends { content: { 'application/json': infer J } } ? J : never;

/** The hub's error body ({error: {code, message, field?, details?}}) as a thrown Error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | undefined;

/** The session's CSRF token (from sign-in or /v1/auth/me): every change made with the cookie carries it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API answers 401 to a signed-in screen: the session ended elsewhere. */
export function whenSignedOut(listener: () => void): void {
  onUnauthorized = listener;
}

const session: Middleware = {
  onRequest({ request }) {
    if (csrfToken && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.endsWith('/v1/auth/login') && !request.url.endsWith('/v1/auth/me')) onUnauthorized?.();
    return response;
  },
};

/** Typed against the hub's OpenAPI document (schema.d.ts is generated: npm run web:types). */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(session);

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string; details?: Record<string, unknown> };
}

/** The data of an answer, or the hub's error thrown as ApiError (react-query shows it). */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = (error ?? {}) as ErrorBody;
  throw new ApiError(response.status, body.error?.code ?? 'http_' + response.status, body.error?.message ?? response.statusText, body.error?.field, body.error?.details);
}

/** A download (CSV, PDF) through the session cookie: the browser saves it under the name the hub gives. */
export function downloadUrl(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}
