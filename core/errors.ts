/**
 * The hub's closed vocabulary of failures. Every layer throws HubError with one of these codes;
 * jobs treat permanent ones as no-retry and the API maps them to HTTP status in one place.
 */
export const ERROR_CODES = {
  invalid_data: { http: 400, permanent: true },
  not_found: { http: 404, permanent: true },
  not_allowed: { http: 403, permanent: true },
  unauthorized: { http: 401, permanent: true },
  conflict: { http: 409, permanent: true },
  /** Too many attempts (failed sign-ins); details.retryAfterSeconds says when to try again. */
  rate_limited: { http: 429, permanent: false },
  upstream_rejected: { http: 502, permanent: true },
  upstream_unavailable: { http: 503, permanent: false },
  internal: { http: 500, permanent: false },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class HubError extends Error {
  readonly code: ErrorCode;
  /** The input field at fault, for invalid_data. */
  readonly field: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { field?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }

  get permanent(): boolean {
    return ERROR_CODES[this.code].permanent;
  }
}

export function isHubError(error: unknown): error is HubError {
  return error instanceof HubError;
}
