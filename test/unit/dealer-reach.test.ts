import { describe, expect, it } from 'vitest';
import { countInReach, matchRegion, withinReach, type ReachDealer, type ReachOrder } from '../../core/distribution/dealer-reach.ts';
import type { OrderLineFacts } from '../../core/distribution/distribution-plan.ts';

const ALL = { rule: 'all' as const };
const line = (productLine: string | null, productId: string | null = null): OrderLineFacts => ({ position: 1, sku: `SKU-${productLine}`, productId, productLine, brand: null });
const order = (regionPath: string | null, ...lines: OrderLineFacts[]): ReachOrder => ({ regionPath, lines });
const dealer = (code: string, regionPaths: string[], extra: Partial<ReachDealer> = {}): ReachDealer => ({ code, regionPaths, wholeRange: false, productLines: ['Tiles'], stocked: new Set(), ...extra });

describe('a dealer\'s reach (Base+ quotas count the orders in it)', () => {
  it('holds the orders of its regions (below them, or a coarser order region) that its assortment covers', () => {
    const q = dealer('Q', ['/RU/RU-MOW/']);
    const reach = (o: ReachOrder) => withinReach({ ...q, stockedProductIds: [] }, o, ALL);
    expect(reach(order('/RU/RU-MOW/RU-MOW-ZEL/', line('Tiles')))).toBe(true);
    expect(reach(order('/RU/', line('Tiles')))).toBe(true);
    expect(reach(order('/RU/RU-SPE/', line('Tiles')))).toBe(false);
    expect(reach(order(null, line('Tiles')))).toBe(false);
    expect(reach(order('/RU/RU-MOW/', line('Panels')))).toBe(false);
    expect(matchRegion(['/RU/RU-MOW/'], '/RU/RU-MOW/RU-MOW-ZEL/')).toBe('covers');
  });

  it('counts per dealer, with the products a dealer stocks outside its lines and a whole-range dealer', () => {
    const orders = [
      order('/RU/RU-MOW/', line('Tiles')),
      order('/RU/RU-MOW/', line('Panels', 'p-1')),
      order('/RU/RU-SPE/', line('Tiles')),
      order('/RU/RU-SPE/', line('Panels', 'p-2')),
    ];
    const dealers = [
      dealer('MOW', ['/RU/RU-MOW/']),
      dealer('MOW-STOCK', ['/RU/RU-MOW/'], { stocked: new Set(['p-1']) }),
      dealer('SPE-ALL', ['/RU/RU-SPE/'], { wholeRange: true, productLines: [] }),
    ];
    expect(countInReach(dealers, orders, ALL)).toEqual({ MOW: 1, 'MOW-STOCK': 2, 'SPE-ALL': 2 });
  });
});
