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
