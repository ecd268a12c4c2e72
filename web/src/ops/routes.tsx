import type { Area } from '../ui/nav';

/** The ops console: channels, failed payloads, the stock review queue, distribution, dealers, regions, exclusivity, users, audit. */
export const opsArea: Area = { routes: [], nav: [] };
