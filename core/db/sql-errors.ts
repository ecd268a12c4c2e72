/** SQLSTATE of a database error, however the driver adapter wrapped it (Prisma P2010, pg, PGlite). */
export function sqlStateOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } }; cause?: unknown };
  const adapter = e?.meta?.driverAdapterError?.cause;
  const candidate = adapter?.originalCode ?? adapter?.code ?? (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined);
  if (typeof candidate === 'string') return candidate;
  return e?.cause && e.cause !== error ? sqlStateOf(e.cause) : undefined;
}

/** The database's own words for the error. */
export function sqlMessageOf(error: unknown): string {
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { originalMessage?: string; detail?: string } } } })?.meta?.driverAdapterError?.cause;
  if (cause?.originalMessage) return cause.detail ? `${cause.originalMessage} (${cause.detail})` : cause.originalMessage;
  return error instanceof Error ? error.message : String(error);
}

/**
 * True when the database refused the data itself (SQLSTATE class 22: bad value, overflow, bad
 * encoding): retrying will fail the same way, so the record is rejected rather than retried.
 */
export function isDataError(error: unknown): boolean {
  return sqlStateOf(error)?.startsWith('22') ?? false;
}

/** Adapter error kinds that mean the database could not be talked to (Prisma driver adapters). */
const OUTAGE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);
/** Prisma's own codes for the same: can't reach, timed out, connection closed, pool exhausted. */
const OUTAGE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const OUTAGE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/**
 * True when the database could not be reached or dropped the connection (SQLSTATE class 08,
 * admin/crash shutdown, too many connections, socket errors): the work is fine, it is tried again later.
 */
export function isDatabaseOutage(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state && (state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03' || state === '53300')) return true;
  for (let e = error as { code?: unknown; cause?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } } | undefined, depth = 0; e && depth < 5; depth++) {
    if (OUTAGE_KINDS.has(String(e.meta?.driverAdapterError?.cause?.kind))) return true;
    if (typeof e.code === 'string' && (OUTAGE_PRISMA_CODES.has(e.code) || OUTAGE_NODE_CODES.has(e.code))) return true;
    if (e instanceof Error && /Connection terminated|connection is closed|Can't reach database|is not queryable/i.test(e.message)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * True when the database refused the work itself and doing it again fails the same way: bad data
 * (22), integrity (23), a statement it cannot run (42), out of memory or shared memory (53, but not
 * too many connections), a program limit (54, e.g. an index row too big), an internal error (XX).
 * Serialization failures, deadlocks, lock and statement timeouts are none of these: they pass.
 */
export function isPermanentDatabaseError(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (!state || state === '53300') return false;
  return ['22', '23', '42', '53', '54', 'XX'].includes(state.slice(0, 2));
}
