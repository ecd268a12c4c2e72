/**
 * Shoprenter dates are shop-local wall-clock times without an offset ("2019-09-06T15:47:59"; the
 * webhook's orderHistory uses a space), converted with the shop's IANA zone (lib/time-zones.ts).
 */
import { formatLocalIso, parseLocalIso } from '../../lib/time-zones.ts';

export const parseShopLocal = parseLocalIso;

/** UTC instant → shop-local "YYYY-MM-DDTHH:mm:ss", the format of the updatedAtMin/createdAtMin filters. */
export const formatShopLocal = formatLocalIso;
