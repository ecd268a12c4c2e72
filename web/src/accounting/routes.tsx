import type { Area } from '../ui/nav';

/** Accountants and management: turnover with charts, settlements per dealer, exports. */
export const accountingArea: Area = { routes: [], nav: [] };
