import { Decimal } from 'decimal.js';

/**
 * Stock allocation policy (Vendure's StockAllocationStrategy pattern): given one order line and the
 * free quantity of every source of its product, decide what to take from where. Pure: no I/O, no
 * clock; the flows (core/stock/stock-service.ts) compute free quantities under a lock and write what
 * the strategy chose.
 */

/** Calendar date YYYY-MM-DD; compared as strings (the format sorts chronologically). */
export type IsoDay = string;

export interface OnHandSource {
  kind: 'on_hand';
  warehouseId: string;
  warehouseCode: string;
  /** On hand minus what active reservations already hold against it (may be ≤ 0: then unusable). */
  free: Decimal;
}

export interface IncomingSource {
  kind: 'incoming';
  supplyId: string;
  warehouseId: string;
  warehouseCode: string;
  reference: string;
  expectedOn: IsoDay;
  /** Open quantity (ordered − received) minus what active reservations already hold against it. */
  free: Decimal;
}

export type StockSource = OnHandSource | IncomingSource;

export interface AllocationRequest {
  quantity: Decimal.Value;
  /** The date the line is wanted by; absent = as soon as possible. */
  neededBy?: IsoDay | null | undefined;
}

export interface AllocationPick {
  source: StockSource;
  quantity: Decimal;
}

export interface RestArrival {
  source: IncomingSource;
  /** How much of the shortfall this supply would cover. */
  quantity: Decimal;
}

export type AllocationStatus = 'confirmed' | 'partial' | 'unavailable';

export interface AllocationResult {
  status: AllocationStatus;
  wanted: Decimal;
  /** Σ picks: what can be promised (and is reserved, when the caller reserves). */
  allocated: Decimal;
  shortfall: Decimal;
  picks: AllocationPick[];
  /**
   * The date the allocated quantity is complete: the latest expected date among incoming picks,
   * null when it is all on hand now.
   */
  allocatedComplete: IsoDay | null;
  /**
   * Supplies not used by the allocation (arriving after neededBy) that would cover the shortfall,
   * earliest first; `restArrivesOn` is the date the last of them is expected. Empty/null when
   * nothing known covers the shortfall (or there is none).
   */
  restArrives: RestArrival[];
  restArrivesOn: IsoDay | null;
  /** True when restArrives covers the whole shortfall. */
  restCovered: boolean;
}

export interface StockAllocationStrategy {
  readonly name: string;
  allocate(request: AllocationRequest, sources: readonly StockSource[]): AllocationResult;
}

/**
 * The default policy (the NOVUS portal's rule, seed 002):
 * - with a date D: supplies arriving by D first, latest-arriving first, then on-hand stock last, so
 *   that stock stays free for demand that needs it earlier. 50 on hand + 70 arriving 15 April, 100
 *   wanted by 17 April → 70 incoming + 30 on hand; 20 on hand stay free before 17 April.
 * - without a date: on hand first (it ships now), then supplies earliest first.
 * A shortfall is reported with the next supplies after D that would cover it.
 * On-hand sources are taken in the order given (the flows give them by warehouse code).
 */
export class DefaultStockAllocationStrategy implements StockAllocationStrategy {
  readonly name = 'default';

  allocate(request: AllocationRequest, sources: readonly StockSource[]): AllocationResult {
    const wanted = new Decimal(request.quantity);
    const neededBy = request.neededBy ?? null;
    const usable = sources.filter((s) => s.free.gt(0));
    const onHand = usable.filter((s): s is OnHandSource => s.kind === 'on_hand');
    const incoming = usable.filter((s): s is IncomingSource => s.kind === 'incoming');

    let order: StockSource[];
    let later: IncomingSource[];
    if (neededBy) {
      const byDate = incoming.filter((s) => s.expectedOn <= neededBy).sort((a, b) => compareArrival(b, a));
      order = [...byDate, ...onHand];
      later = incoming.filter((s) => s.expectedOn > neededBy).sort(compareArrival);
    } else {
      order = [...onHand, ...[...incoming].sort(compareArrival)];
      later = [];
    }

    const picks: AllocationPick[] = [];
    let remaining = wanted.gt(0) ? wanted : new Decimal(0);
    for (const source of order) {
      if (remaining.lte(0)) break;
      const take = Decimal.min(remaining, source.free);
      picks.push({ source, quantity: take });
      remaining = remaining.minus(take);
    }
    const allocated = picks.reduce((sum, p) => sum.plus(p.quantity), new Decimal(0));
    const shortfall = remaining;

    const restArrives: RestArrival[] = [];
    let uncovered = shortfall;
    for (const source of later) {
      if (uncovered.lte(0)) break;
      const take = Decimal.min(uncovered, source.free);
      restArrives.push({ source, quantity: take });
      uncovered = uncovered.minus(take);
    }
    const restCovered = shortfall.gt(0) && uncovered.lte(0);
    const incomingDates = picks.flatMap((p) => (p.source.kind === 'incoming' ? [p.source.expectedOn] : []));

    return {
      status: shortfall.lte(0) ? 'confirmed' : allocated.gt(0) ? 'partial' : 'unavailable',
      wanted,
      allocated,
      shortfall,
      picks,
      allocatedComplete: incomingDates.length > 0 ? incomingDates.sort().at(-1)! : null,
      restArrives,
      restArrivesOn: restArrives.length > 0 ? restArrives.at(-1)!.source.expectedOn : null,
      restCovered,
    };
  }
}

/** Earliest first; ties by reference so the choice is deterministic. */
function compareArrival(a: IncomingSource, b: IncomingSource): number {
  if (a.expectedOn !== b.expectedOn) return a.expectedOn < b.expectedOn ? -1 : 1;
  return a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0;
}
