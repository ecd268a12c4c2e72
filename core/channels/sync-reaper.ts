import type { Database } from '../db/database.ts';

/**
 * Closing runs whose worker is gone. A sync holds its channel's lease (sync-lease.ts) for its whole
 * length and renews it by a heartbeat; its run row names that holder (sync_run.lease_owner). A run
 * still `running` whose channel lease has expired, was released, or is held by another owner has
 * nobody left to finish it (the worker was killed, the machine died): it is closed as `failed` with
 * the code `interrupted` and a reason in words, and the channel is synced again by whoever reaped it
 * (the interrupted work resumes from the stored cursor, which only ever covers stored pages).
 *
 * A run started before runs named their holder (lease_owner NULL) is reaped only once the channel's
 * lease is free or expired.
 */
export const REAPED_RUN_CODE = 'interrupted';
/** The error code of a run a shutdown stopped between pages (the same word: it is resumed the same way). */
export const INTERRUPTED_RUN_CODE = REAPED_RUN_CODE;

export interface ReapedRun {
  runId: string;
  channelId: string;
  channelName: string;
  /** The lease's end when it had expired (the dead holder's last heartbeat plus the TTL). */
  leaseExpiredAt: Date | null;
  reason: string;
}

interface Candidate {
  id: string;
  channel_id: string;
  name: string;
  lease_owner: string | null;
  sync_lease_owner: string | null;
  sync_lease_until: Date | string | null;
  expired: boolean | null;
  pages: number;
}

/** The holder of a run is gone: the lease is free, expired, or another owner's. */
const HOLDER_GONE = `(c.sync_lease_owner IS NULL OR c.sync_lease_until IS NULL OR c.sync_lease_until <= now()
                      OR (r.lease_owner IS NOT NULL AND r.lease_owner <> c.sync_lease_owner))`;

export interface ReapOptions {
  /** Only this channel's runs (a sync that just took the channel's lease reaps its predecessors). */
  channelId?: string | undefined;
  /**
   * The caller's own lease (it just took the channel's lease): every other running run of the
   * channel is an orphan, those started before runs named their holder included.
   */
  heldBy?: string | undefined;
  /** When the lease the caller took over ended (said in the reason). */
  previousLeaseUntil?: Date | null | undefined;
}

/** The caller holds the channel's lease ($2): any other running run of the channel is an orphan. */
const HELD_BY_CALLER = `(c.sync_lease_owner = $2 AND r.lease_owner IS DISTINCT FROM $2)`;

/** Closes every running run whose lease holder is gone; returns them (one per closed run). */
export async function reapOrphanedSyncRuns(db: Database, options: ReapOptions = {}): Promise<ReapedRun[]> {
  const candidates = await db.query<Candidate>(
    `SELECT r.id, r.channel_id, c.name, r.lease_owner, c.sync_lease_owner, c.sync_lease_until,
            (c.sync_lease_until <= now()) AS expired, r.pages
       FROM sync_run r JOIN channel c ON c.id = r.channel_id
      WHERE r.status = 'running' AND ($1::text IS NULL OR r.channel_id = $1::text)
        AND ${options.heldBy ? HELD_BY_CALLER : HOLDER_GONE}
      ORDER BY r.started_at`,
    options.heldBy ? [options.channelId ?? null, options.heldBy] : [options.channelId ?? null],
  );
  const reaped: ReapedRun[] = [];
  for (const run of candidates) {
    let until = run.sync_lease_until === null ? null : new Date(run.sync_lease_until);
    const takenOver = run.sync_lease_owner !== null && run.lease_owner !== run.sync_lease_owner && !run.expired;
    if (takenOver) until = options.previousLeaseUntil ?? null;
    const why =
      takenOver
        ? until
          ? `lease expired at ${until.toISOString()}; another sync took the channel over`
          : 'its lease was taken over by another sync'
        : until
          ? `lease expired at ${until.toISOString()}`
          : 'its lease was released without the run being closed';
    const reason = `Sync run closed: the worker running it stopped (${why}); ${run.pages} page(s) were stored, the next sync resumes from the stored cursor.`;
    const errors = [{ page: null, source: null, payloadId: null, code: REAPED_RUN_CODE, message: reason }];
    // The same test again under the row's lock: a holder that renewed meanwhile keeps its run.
    const closed = await db.query<{ id: string }>(
      `UPDATE sync_run r
          SET status = 'failed', error_code = $2, error = $3, errors = $4::jsonb, finished_at = now()
         FROM channel c
        WHERE r.id = $1 AND c.id = r.channel_id AND r.status = 'running' AND ${options.heldBy ? HELD_BY_CALLER.replaceAll('$2', '$5') : HOLDER_GONE}
        RETURNING r.id`,
      [run.id, REAPED_RUN_CODE, reason, JSON.stringify(errors), ...(options.heldBy ? [options.heldBy] : [])],
    );
    if (closed.length > 0) reaped.push({ runId: run.id, channelId: run.channel_id, channelName: run.name, leaseExpiredAt: run.expired || takenOver ? until : null, reason });
  }
  return reaped;
}

/**
 * Channels to resume at start: enabled ones whose latest run was reaped or interrupted (closed by a
 * shutdown or by the reaper) and not followed by another run. Their cursor is where the work stopped.
 */
export async function channelsToResume(db: Database): Promise<string[]> {
  const rows = await db.query<{ channel_id: string }>(
    `SELECT latest.channel_id
       FROM (SELECT DISTINCT ON (r.channel_id) r.channel_id, r.status, r.error_code, r.error
               FROM sync_run r
              ORDER BY r.channel_id, r.started_at DESC) latest
       JOIN channel c ON c.id = latest.channel_id AND c.enabled
      WHERE latest.status = 'running'
         OR (latest.status = 'failed' AND (latest.error_code = $1 OR latest.error LIKE '%interrupted; will run again%'))`,
    [REAPED_RUN_CODE],
  );
  return rows.map((r) => r.channel_id);
}
