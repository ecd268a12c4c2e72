import type { Database } from '../db/database.ts';
import { IN_FULFILMENT } from './fulfilment-rules.ts';

/**
 * When distribution next has something to do, and a hint that it may have changed.
 *
 * The moments stay rows (offers' visible_from, the distribution's deadline_at, the fulfilment's
 * due_at): `nextDueAt` reads the earliest one, so a job runner that arms a timer for it after a
 * restart arms the same timer. `dueTimesChanged` is only a nudge to read it again, sent after a
 * decision, an escalation or an advance commits; a runner that misses it (another process made
 * the change) still has its minute tick.
 */

export type DueTimesListener = () => void;

/** Keyed by the Prisma client: wrappers of one Database (tests' interleavings) share it. */
const listeners = new WeakMap<object, Set<DueTimesListener>>();

export function onDueTimesChanged(db: Database, listener: DueTimesListener): () => void {
  let set = listeners.get(db.prisma);
  if (!set) listeners.set(db.prisma, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

export function dueTimesChanged(db: Database): void {
  for (const listener of listeners.get(db.prisma) ?? []) {
    try {
      listener();
    } catch {
      // A listener's failure is its own (it logs); the change that was committed stands.
    }
  }
}

/**
 * The earliest moment advance() has work: an open offer becoming visible that nobody was told
 * of yet, an offering distribution's deadline, a fulfilment term running out (flagged once it is
 * past, hence the millisecond after). Null when nothing is waiting.
 */
export async function nextDueAt(db: Database, now: Date): Promise<Date | null> {
  const [row] = await db.query<{ at: Date | null }>(
    // An offer that expired before anyone was told is never told (notifyVisible): it is due no more.
    `SELECT least(
       (SELECT min(visible_from) FROM dealer_offer WHERE status = 'open' AND notified_at IS NULL AND (expires_at IS NULL OR expires_at > $1::timestamptz)),
       (SELECT min(deadline_at) FROM order_distribution WHERE status = 'offering'),
       (SELECT min(due_at) + interval '1 millisecond' FROM order_distribution
         WHERE status = ANY($2::text[]) AND due_at IS NOT NULL AND overdue_notified_at IS NULL)
     ) AS at`,
    [now.toISOString(), IN_FULFILMENT],
  );
  return row?.at ? new Date(row.at) : null;
}
