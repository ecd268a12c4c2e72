import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import { trimZeros } from '../model/common.ts';

export type TurnoverGrouping = 'channel' | 'kind' | 'label';

export interface TurnoverRow {
  /** Channel name, channel kind or label. */
  key: string;
  channelIds: string[];
  currency: string;
  orders: number;
  /** Σ order totals as a decimal string; never mixed across currencies. */
  total: string;
}

export interface TurnoverFilter {
  groupBy: TurnoverGrouping;
  placedFrom?: Date | undefined;
  placedTo?: Date | undefined;
  /** Cancelled, failed, refunded and draft orders are not turnover unless asked for. */
  includeStatuses?: string[] | undefined;
}

const COUNTED = ['pending_payment', 'on_hold', 'received', 'in_progress', 'shipped', 'completed'];

/**
 * Sales per channel, channel kind (webshop, pos, edi, manual, ...) or ops label, per currency:
 * a store's turnover stays separable from every other channel.
 */
export async function turnover(db: Database, filter: TurnoverFilter): Promise<TurnoverRow[]> {
  const key = { channel: 'c.name', kind: 'c.kind', label: 'l.label' }[filter.groupBy];
  if (!key) throw new HubError('invalid_data', `groupBy must be channel, kind or label.`, { field: 'groupBy' });
  const labels = filter.groupBy === 'label' ? 'CROSS JOIN LATERAL unnest(c.labels) AS l(label)' : '';
  const rows = await db.query<{ key: string; channel_ids: string[]; currency: string; orders: number; total: string }>(
    `SELECT ${key} AS key, array_agg(DISTINCT c.id ORDER BY c.id) AS channel_ids, o.currency, count(*)::int AS orders, sum(o.total)::text AS total
       FROM "order" o JOIN channel c ON c.id = o.channel_id ${labels}
      WHERE o.status = ANY($1::text[])
        AND ($2::timestamptz IS NULL OR o.placed_at >= $2)
        AND ($3::timestamptz IS NULL OR o.placed_at < $3)
      GROUP BY ${key}, o.currency
      ORDER BY ${key}, o.currency`,
    [filter.includeStatuses ?? COUNTED, filter.placedFrom ?? null, filter.placedTo ?? null],
  );
  return rows.map((r) => ({ key: r.key, channelIds: r.channel_ids, currency: r.currency, orders: r.orders, total: trimZeros(r.total) }));
}
