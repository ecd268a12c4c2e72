/**
 * Failure of a call to the outside world, in the hub's closed vocabulary (see core/errors.ts;
 * connectors may not import core, so the codes are repeated here as a type only).
 */
export type ConnectorErrorCode = 'unauthorized' | 'upstream_rejected' | 'upstream_unavailable' | 'invalid_data';

export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode;
  readonly status: number | undefined;
  /** The outside said when to come back (a ban's end, a used-up call budget): no call is worth making before. */
  readonly notBefore: Date | undefined;

  constructor(code: ConnectorErrorCode, message: string, options: { status?: number; cause?: unknown; notBefore?: Date | undefined } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ConnectorError';
    this.code = code;
    this.status = options.status;
    this.notBefore = options.notBefore;
  }

  /** Worth retrying later (the sync job backs off); the others need a human. */
  get transient(): boolean {
    return this.code === 'upstream_unavailable';
  }
}
