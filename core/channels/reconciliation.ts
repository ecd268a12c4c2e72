import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import { validateCron } from './cron.ts';

/**
 * Reconciliation ("no silent loss by design"): the channel lists its orders' ids and modification
 * times over a window; the hub compares them with the orders it holds (channel + external id,
 * source_updated_at) and fetches what is missing or stale. The comparison lives here; the listing
 * and the fetching are the connector's, the driving is jobs/processors/reconcile-channel.ts.
 */

/** One order as the channel lists it (structurally the connectors' OrderStamp). */
export interface UpstreamStamp {
  externalId: string;
  /** ISO 8601; undefined when the listing does not say. */
  modifiedAt: string | undefined;
}

export interface StampComparison {
  /** Distinct orders listed by the channel. */
  checked: number;
  /** Listed by the channel, unknown to the hub. */
  missing: string[];
  /** The hub holds an older version (or one without a modification time, or the listing has none). */
  stale: string[];
  /** Listed more than once (pages moved while listing): counted once, at their latest time. */
  duplicates: number;
}

/** What a reconciliation run found and did; stored on its sync_run (findings). */
export interface ReconcileFindings {
  window: { since: string; until: string };
  checked: number;
  missing: number;
  stale: number;
  /** Missing or stale orders fetched and read. */
  fetched: number;
  /** Missing or stale orders that could not be fetched or read (their ids, the first 50, in failedIds). */
  failed: number;
  /** A few of the ids, for ops (the first 50 of each). */
  missingIds: string[];
  staleIds: string[];
  failedIds: string[];
  /** The connector's warnings while listing. */
  warnings: string[];
}

export const DEFAULT_RECONCILE_SCHEDULE = '17 3 * * *';
export const DEFAULT_RECONCILE_WINDOW_DAYS = 7;
/** `reconcileSchedule` value that turns a channel's reconciliation off. */
export const RECONCILE_OFF = 'off';
const LISTED_IDS = 50;

const timeOf = (value: string | Date | null | undefined): number | undefined => {
  if (value === null || value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * Pure: compares the channel's listing with the hub's (external id → source_updated_at; absent: not
 * held). Missing: listed, not held. Stale: held with an older modification time, or without one, or
 * listed without one (it cannot be proven current). A hub version newer than the listing is current.
 */
export function compareStamps(upstream: Iterable<UpstreamStamp>, hub: ReadonlyMap<string, Date | null>): StampComparison {
  const latest = new Map<string, number | undefined>();
  let duplicates = 0;
  for (const stamp of upstream) {
    const at = timeOf(stamp.modifiedAt);
    if (latest.has(stamp.externalId)) {
      duplicates += 1;
      const before = latest.get(stamp.externalId);
      if (before !== undefined && at !== undefined && at > before) latest.set(stamp.externalId, at);
      continue;
    }
    latest.set(stamp.externalId, at);
  }
  const missing: string[] = [];
  const stale: string[] = [];
  for (const [externalId, at] of latest) {
    if (!hub.has(externalId)) {
      missing.push(externalId);
      continue;
    }
    const held = timeOf(hub.get(externalId));
    if (at === undefined || held === undefined || held < at) stale.push(externalId);
  }
  return { checked: latest.size, missing, stale, duplicates };
}

/** The hub's orders of a channel among these external ids: external id → source_updated_at. */
export async function hubOrderStamps(db: Database, channelId: string, externalIds: readonly string[]): Promise<Map<string, Date | null>> {
  const stamps = new Map<string, Date | null>();
  for (let i = 0; i < externalIds.length; i += 1000) {
    const rows = await db.prisma.order.findMany({
      where: { channelId, externalId: { in: externalIds.slice(i, i + 1000) } },
      select: { externalId: true, sourceUpdatedAt: true },
    });
    for (const row of rows) stamps.set(row.externalId, row.sourceUpdatedAt);
  }
  return stamps;
}

/** The findings to store, with at most LISTED_IDS ids of each kind. */
export function reconcileFindings(
  window: { since: Date; until: Date },
  comparison: StampComparison,
  fetched: number,
  failedIds: readonly string[],
  warnings: readonly string[],
): ReconcileFindings {
  return {
    window: { since: window.since.toISOString(), until: window.until.toISOString() },
    checked: comparison.checked,
    missing: comparison.missing.length,
    stale: comparison.stale.length,
    fetched,
    failed: failedIds.length,
    missingIds: comparison.missing.slice(0, LISTED_IDS),
    staleIds: comparison.stale.slice(0, LISTED_IDS),
    failedIds: failedIds.slice(0, LISTED_IDS),
    warnings: [...warnings],
  };
}

/** Stores a run's findings (a reconciliation's or a resync's; undefined: none) and who asked. */
export async function recordRunFindings(db: Database, runId: string, findings: object | undefined, requestedBy?: string): Promise<void> {
  if (findings === undefined && requestedBy === undefined) return;
  await db.prisma.syncRun.update({
    where: { id: runId },
    data: { ...(findings !== undefined && { findings }), ...(requestedBy !== undefined && { requestedBy }) },
  });
}

/** Validates a channel's reconcileSchedule: a cron expression or "off". */
export function validateReconcileSchedule(schedule: string): void {
  if (schedule === RECONCILE_OFF) return;
  try {
    validateCron(schedule);
  } catch (error) {
    throw new HubError('invalid_data', `reconcileSchedule: ${(error as Error).message} Or "${RECONCILE_OFF}" for no reconciliation.`, { field: 'reconcileSchedule' });
  }
}

/** The window a reconciliation looks at: the last `days` days up to now, or from `since` when given. */
export function reconcileWindow(now: Date, days: number, since?: Date): { since: Date; until: Date } {
  return { since: since ?? new Date(now.getTime() - days * 86_400_000), until: now };
}
