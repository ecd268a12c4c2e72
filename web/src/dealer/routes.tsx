import type { Area } from '../ui/nav';

/** The dealer cabinet: offers and orders, points, notifications, profile, employees, purchases, settlements. */
export const dealerArea: Area = { routes: [], nav: [] };
