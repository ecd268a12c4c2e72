import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { DefaultStockAllocationStrategy, type AllocationResult, type IncomingSource, type OnHandSource, type StockSource } from '../../core/stock/allocation-strategy.ts';

const strategy = new DefaultStockAllocationStrategy();

const onHand = (free: string, warehouseCode = 'MAIN'): OnHandSource => ({ kind: 'on_hand', warehouseId: `w-${warehouseCode}`, warehouseCode, free: new Decimal(free) });
const incoming = (reference: string, expectedOn: string, free: string, warehouseCode = 'MAIN'): IncomingSource => ({
  kind: 'incoming', supplyId: `s-${reference}`, warehouseId: `w-${warehouseCode}`, warehouseCode, reference, expectedOn, free: new Decimal(free),
});

/** Picks as [source label, quantity] for readable assertions. */
function picks(result: AllocationResult): [string, string][] {
  return result.picks.map((p) => [p.source.kind === 'on_hand' ? `on_hand ${p.source.warehouseCode}` : `incoming ${p.source.reference}`, p.quantity.toString()]);
}

/** What a caller does after reserving: the picked quantity is no longer free. */
function take(result: AllocationResult): void {
  for (const p of result.picks) p.source.free = p.source.free.minus(p.quantity);
}

describe('DefaultStockAllocationStrategy', () => {
  describe('when the documented example runs (seed 002: 50 on hand, 70 arriving 15 April)', () => {
    it('reserves 70 incoming + 30 on hand for 100 by 17 April, leaves 20 on hand free, and a second order of 25 by 16 April gets 20 and is short 5', () => {
      const stock = onHand('50');
      const transit = incoming('PO-1', '2026-04-15', '70');
      const sources: StockSource[] = [stock, transit];

      const first = strategy.allocate({ quantity: '100', neededBy: '2026-04-17' }, sources);
      expect(first.status).toBe('confirmed');
      expect(picks(first)).toEqual([
        ['incoming PO-1', '70'],
        ['on_hand MAIN', '30'],
      ]);
      expect(first.allocated.toString()).toBe('100');
      expect(first.shortfall.toString()).toBe('0');
      expect(first.allocatedComplete).toBe('2026-04-15');
      take(first);
      expect(stock.free.toString()).toBe('20');
      expect(transit.free.toString()).toBe('0');

      const second = strategy.allocate({ quantity: '25', neededBy: '2026-04-16' }, sources);
      expect(second.status).toBe('partial');
      expect(picks(second)).toEqual([['on_hand MAIN', '20']]);
      expect(second.allocated.toString()).toBe('20');
      expect(second.shortfall.toString()).toBe('5');
      expect(second.restArrives).toEqual([]);
      expect(second.restArrivesOn).toBeNull();
      expect(second.restCovered).toBe(false);
    });

    it('keeps the 20 free in stock for an earlier date: 20 wanted by 10 April (before the supply) are all confirmed from stock', () => {
      const stock = onHand('50');
      const transit = incoming('PO-1', '2026-04-15', '70');
      take(strategy.allocate({ quantity: '100', neededBy: '2026-04-17' }, [stock, transit]));
      const early = strategy.allocate({ quantity: '20', neededBy: '2026-04-10' }, [stock, transit]);
      expect(early.status).toBe('confirmed');
      expect(picks(early)).toEqual([['on_hand MAIN', '20']]);
    });
  });

  describe('when a date is given', () => {
    it('takes supplies arriving by the date latest first, ignores later ones, and takes stock last', () => {
      const sources = [onHand('100'), incoming('A', '2026-04-01', '10'), incoming('B', '2026-04-10', '10'), incoming('C', '2026-04-20', '10')];
      const result = strategy.allocate({ quantity: '25', neededBy: '2026-04-10' }, sources);
      expect(picks(result)).toEqual([
        ['incoming B', '10'],
        ['incoming A', '10'],
        ['on_hand MAIN', '5'],
      ]);
    });

    it('counts a supply expected on the date itself as arriving by it', () => {
      const result = strategy.allocate({ quantity: '5', neededBy: '2026-04-15' }, [onHand('10'), incoming('D', '2026-04-15', '5')]);
      expect(picks(result)).toEqual([['incoming D', '5']]);
    });

    it('is partial with what is possible now and the next supplies after the date that would cover the rest', () => {
      const sources = [onHand('10'), incoming('LATE-1', '2026-05-01', '4'), incoming('LATE-2', '2026-05-20', '100'), incoming('LATE-0', '2026-06-01', '100')];
      const result = strategy.allocate({ quantity: '20', neededBy: '2026-04-15' }, sources);
      expect(result.status).toBe('partial');
      expect(picks(result)).toEqual([['on_hand MAIN', '10']]);
      expect(result.shortfall.toString()).toBe('10');
      expect(result.restArrives.map((r) => [r.source.reference, r.quantity.toString()])).toEqual([
        ['LATE-1', '4'],
        ['LATE-2', '6'],
      ]);
      expect(result.restArrivesOn).toBe('2026-05-20');
      expect(result.restCovered).toBe(true);
    });

    it('is unavailable when nothing can be had by the date, and still says when it could arrive', () => {
      const result = strategy.allocate({ quantity: '3', neededBy: '2026-04-15' }, [onHand('0'), incoming('LATE', '2026-05-01', '10')]);
      expect(result.status).toBe('unavailable');
      expect(result.picks).toEqual([]);
      expect(result.restArrivesOn).toBe('2026-05-01');
      expect(result.restCovered).toBe(true);
    });

    it('never uses a source whose free quantity is zero or negative (stock loaded below its reservations)', () => {
      const result = strategy.allocate({ quantity: '3', neededBy: '2026-04-15' }, [onHand('-2', 'A'), onHand('0', 'B'), onHand('1', 'C')]);
      expect(picks(result)).toEqual([['on_hand C', '1']]);
      expect(result.shortfall.toString()).toBe('2');
    });
  });

  describe('when no date is given', () => {
    it('takes on-hand stock first, then supplies earliest first, and says when the allocated quantity is complete', () => {
      const sources = [incoming('LATER', '2026-05-01', '50'), incoming('SOON', '2026-04-01', '5'), onHand('10', 'A'), onHand('3', 'B')];
      const result = strategy.allocate({ quantity: '20' }, sources);
      expect(result.status).toBe('confirmed');
      expect(picks(result)).toEqual([
        ['on_hand A', '10'],
        ['on_hand B', '3'],
        ['incoming SOON', '5'],
        ['incoming LATER', '2'],
      ]);
      expect(result.allocatedComplete).toBe('2026-05-01');
    });

    it('is confirmed from stock alone with nothing to wait for', () => {
      const result = strategy.allocate({ quantity: '2', neededBy: null }, [onHand('5'), incoming('X', '2026-04-01', '5')]);
      expect(picks(result)).toEqual([['on_hand MAIN', '2']]);
      expect(result.allocatedComplete).toBeNull();
    });

    it('is unavailable when there is nothing at all', () => {
      const result = strategy.allocate({ quantity: '1' }, []);
      expect(result.status).toBe('unavailable');
      expect(result.shortfall.toString()).toBe('1');
      expect(result.restArrivesOn).toBeNull();
    });
  });

  describe('when quantities are decimals', () => {
    it('allocates 0.5 m² steps exactly, without float drift', () => {
      const sources = [onHand('10.25'), incoming('M2', '2026-04-10', '0.3')];
      const result = strategy.allocate({ quantity: '10.5', neededBy: '2026-04-12' }, sources);
      expect(picks(result)).toEqual([
        ['incoming M2', '0.3'],
        ['on_hand MAIN', '10.2'],
      ]);
      take(result);
      expect(sources[0]!.free.toString()).toBe('0.05');
      const rest = strategy.allocate({ quantity: '0.5' }, sources);
      expect(rest.status).toBe('partial');
      expect(rest.allocated.toString()).toBe('0.05');
      expect(rest.shortfall.toString()).toBe('0.45');
    });

    it('sums many small allocations exactly (0.1 × 3 = 0.3)', () => {
      const stock = onHand('0.3');
      for (let i = 0; i < 3; i++) take(strategy.allocate({ quantity: '0.1' }, [stock]));
      expect(stock.free.toString()).toBe('0');
      expect(strategy.allocate({ quantity: '0.1' }, [stock]).status).toBe('unavailable');
    });
  });
});
