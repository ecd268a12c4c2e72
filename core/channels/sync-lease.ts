import type { Database } from '../db/database.ts';

/**
 * The per-channel sync lease: at most one sync of a channel runs at a time, across processes and
 * machines. It lives in the channel row (sync_lease_owner, sync_lease_until) and is taken and kept
 * with conditional UPDATEs judged by the database clock, so no two workers need to agree on time.
 * A crashed worker holds nothing forever: its lease simply expires and the next sync takes over.
 */
export interface SyncLease {
  channelId: string;
  /** Unique per holder (one sync attempt), so a holder can only renew or release its own lease. */
  owner: string;
  until: Date;
}

/**
 * Short, because the holder renews it by a heartbeat every TTL/3 whatever its pages do (a slow page
 * keeps it): a dead holder's lease is taken over within one TTL, and its run reaped (sync-reaper.ts).
 */
export const DEFAULT_LEASE_TTL_MS = 15_000;

/**
 * How long the channel's lease is still held (by the database clock); 0 when it is free or expired.
 * A sync that found the lease held waits about this long (at most its follow-up delay) before it
 * tries again, so a dead holder's lease is taken over as soon as it expires.
 */
export async function leaseRemainingMs(db: Database, channelId: string): Promise<number> {
  const rows = await db.query<{ ms: number | string | null }>(
    `SELECT GREATEST(0, CEIL(EXTRACT(EPOCH FROM (sync_lease_until - now())) * 1000))::int AS ms FROM channel WHERE id = $1 AND sync_lease_owner IS NOT NULL`,
    [channelId],
  );
  return Number(rows[0]?.ms ?? 0);
}

/** Takes the lease when nobody holds it or the holder's lease has expired; undefined when it is held. */
export async function acquireSyncLease(db: Database, channelId: string, owner: string, ttlMs = DEFAULT_LEASE_TTL_MS): Promise<SyncLease | undefined> {
  const rows = await db.query<{ sync_lease_until: Date | string }>(
    `UPDATE channel
        SET sync_lease_owner = $2, sync_lease_until = now() + ($3::int * interval '1 millisecond')
      WHERE id = $1
        AND (sync_lease_owner IS NULL OR sync_lease_until IS NULL OR sync_lease_until <= now())
      RETURNING sync_lease_until`,
    [channelId, owner, Math.ceil(ttlMs)],
  );
  const row = rows[0];
  return row ? { channelId, owner, until: new Date(row.sync_lease_until) } : undefined;
}

/** Extends a lease its owner still holds; false when it was lost (expired and taken over). */
export async function renewSyncLease(db: Database, lease: SyncLease, ttlMs = DEFAULT_LEASE_TTL_MS): Promise<boolean> {
  const rows = await db.query<{ sync_lease_until: Date | string }>(
    `UPDATE channel
        SET sync_lease_until = now() + ($3::int * interval '1 millisecond')
      WHERE id = $1 AND sync_lease_owner = $2
      RETURNING sync_lease_until`,
    [lease.channelId, lease.owner, Math.ceil(ttlMs)],
  );
  const row = rows[0];
  if (!row) return false;
  lease.until = new Date(row.sync_lease_until);
  return true;
}

/** Gives the lease back; a no-op when it was already lost to another holder. */
export async function releaseSyncLease(db: Database, lease: SyncLease): Promise<void> {
  await db.query(
    `UPDATE channel SET sync_lease_owner = NULL, sync_lease_until = NULL WHERE id = $1 AND sync_lease_owner = $2`,
    [lease.channelId, lease.owner],
  );
}

/**
 * Stores the connector's cursor only while the lease is held, so a worker that lost its lease
 * (stalled past expiry) cannot move the cursor under the one that took over. False when lost.
 */
export async function saveSyncStateUnderLease(db: Database, lease: SyncLease, state: unknown): Promise<boolean> {
  const rows = await db.query<{ id: string }>(
    `UPDATE channel SET sync_state = $3::jsonb WHERE id = $1 AND sync_lease_owner = $2 RETURNING id`,
    [lease.channelId, lease.owner, JSON.stringify(state ?? {})],
  );
  return rows.length > 0;
}
