import type { Database } from './database.ts';

/**
 * What core tells this process after a decision has committed, for whoever counts it (jobs/metrics.ts):
 * core stays free of prom-client and of who listens. Like dueTimesChanged, a listener hears only what this
 * process committed through the same Database; the rows stay the truth.
 */
export interface CommittedEvents {
  /**
   * Distribution decided an order: `first` when it had no distribution yet (intake, the sweep of an
   * order an interrupted intake left), else a new round (changed order, admin, a dealer gave it back).
   */
  distributionDecided: { orderId: string; first: boolean; outcome: 'offer' | 'assign' | 'unassigned' };
  /** A stock check could not reserve an order in full: the order waits in the manual-review queue. */
  reservationConflict: { orderId: string; channelId: string; result: 'partial' | 'unavailable' };
}

export type CommittedEventName = keyof CommittedEvents;
type Listener<K extends CommittedEventName> = (event: CommittedEvents[K]) => void;

/** Keyed by the Prisma client: wrappers of one Database share it. */
const listeners = new WeakMap<object, Map<CommittedEventName, Set<Listener<never>>>>();

export function onCommitted<K extends CommittedEventName>(db: Database, name: K, listener: Listener<K>): () => void {
  let byName = listeners.get(db.prisma);
  if (!byName) listeners.set(db.prisma, (byName = new Map()));
  let set = byName.get(name) as Set<Listener<K>> | undefined;
  if (!set) byName.set(name, (set = new Set()) as Set<Listener<never>>);
  const own = set;
  own.add(listener);
  return () => own.delete(listener);
}

export function committed<K extends CommittedEventName>(db: Database, name: K, event: CommittedEvents[K]): void {
  for (const listener of (listeners.get(db.prisma)?.get(name) ?? []) as Set<Listener<K>>) {
    try {
      listener(event);
    } catch {
      // A listener's failure is its own; the decision that committed stands.
    }
  }
}
