import { createHash } from 'node:crypto';
import type { OrderDraft } from '../model/order.ts';

/** JSON with object keys sorted, so equal content always serialises the same way. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) sorted[key] = sortKeys(v);
    }
    return sorted;
  }
  return value;
}

/**
 * Identity of an order's content. The source's modification time and the transport details are
 * left out: a shop touching an order without changing it, or a partner resending it in a new
 * envelope, is not a new version. A new refund is. The status's id is left out too: its name carries the change.
 */
export function orderContentHash(draft: OrderDraft): string {
  // The status's id says nothing its name does not (and orders stored before it was read would all be new versions).
  const { sourceUpdatedAt: _touched, transport: _envelope, sourceStatusId: _statusId, ...content } = draft;
  // No refunds hashes like "refunds not read", so orders stored before refunds were mapped are not a new version.
  if (content.refunds?.length === 0) delete content.refunds;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
