import type { PulledPage, PullOptions } from '../../_kit/definition.ts';
import { ConnectorError } from '../../_kit/connector-error.ts';
import { bodyExcerpt } from '../../_kit/http.ts';
import type { WooClient, WooPage } from '../client.ts';
import type { ResolvedWooConfig, WooState } from '../spec.ts';

/** Never loop forever on a store whose headers lie. */
const MAX_PAGES = 100_000;

/** `date_modified_gmt` is UTC without a zone designator ("2017-03-22T19:28:08"). */
export function parseWooGmt(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i.test(text)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const date = new Date(hasZone ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** ISO 8601 UTC without milliseconds, the form WP's rest_parse_date accepts everywhere. */
export function formatWooParam(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type PageBody = { ok: true; orders: unknown[] } | { ok: false; message: string };

function readPage(page: WooPage): PageBody {
  const { body, contentType } = page.response;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    const kind = /html/i.test(contentType) || /^\s*</.test(body) ? 'an HTML page' : 'malformed JSON';
    return { ok: false, message: `expected a JSON array of orders, got ${kind}: ${(error as Error).message}; starts with: ${bodyExcerpt(body, 120)}` };
  }
  if (!Array.isArray(parsed)) {
    return { ok: false, message: `expected a JSON array of orders, got ${parsed === null ? 'null' : typeof parsed}: ${bodyExcerpt(body, 120)}` };
  }
  return { ok: true, orders: parsed };
}

/**
 * Pulls orders changed since the cursor, oldest change first, page by page.
 *
 * Invariants:
 * - Every page is yielded (and archived by the caller) as received, broken ones with `error`.
 * - `state` is set on the last page only, and only when the run was clean: no broken page and a
 *   stable result set (X-WP-Total unchanged across pages, no early empty page). Otherwise the next
 *   run starts again from the old cursor: intake is idempotent, so re-delivery is harmless, while a
 *   skipped order would be lost.
 * - The new cursor is the largest `date_modified_gmt` seen (never older than the old cursor); the
 *   request goes back `overlapMinutes` from it for clock skew and late commits.
 * - `modified_before` = run start bounds the result set, so orders modified while we page shrink it
 *   (detected via X-WP-Total) rather than silently shifting pages.
 * - Stores that ignore `modified_after` (old WC) return everything: the cursor still becomes the max
 *   seen and intake deduplicates. Stores that reject `orderby=modified` (400) are re-read with
 *   `orderby=date`.
 */
export async function* pullOrders(
  client: WooClient,
  config: ResolvedWooConfig,
  state: WooState | undefined,
  options: PullOptions = {},
): AsyncGenerator<PulledPage<WooState>> {
  const now = options.now ?? (() => new Date());
  const cursor = parseWooGmt(state?.modifiedAfter);
  const modifiedAfter = cursor ? formatWooParam(new Date(cursor.getTime() - config.overlapMinutes * 60_000)) : undefined;
  const runStart = now();
  // A cursor at or past the run start means "nothing new yet": don't send an empty window (after > before).
  const modifiedBefore = cursor && cursor.getTime() >= runStart.getTime() ? undefined : formatWooParam(runStart);

  let orderby: 'modified' | 'date' = 'modified';
  let maxSeen = cursor;
  let clean = true;
  let firstTotal: number | undefined;
  let totalPages: number | undefined;

  for (let page = 1; page <= MAX_PAGES; page++) {
    let fetched = await client.fetchOrdersPage(
      { page, perPage: config.perPage, orderby, order: 'asc', modifiedAfter, modifiedBefore },
      { signal: options.signal, acceptStatuses: page === 1 ? [400] : [] },
    );
    if (fetched.response.status === 400) {
      if (orderby === 'modified' && /orderby/i.test(fetched.response.body)) {
        orderby = 'date';
        fetched = await client.fetchOrdersPage({ page, perPage: config.perPage, orderby, order: 'asc', modifiedAfter, modifiedBefore }, { signal: options.signal });
      } else {
        throw new ConnectorError('upstream_rejected', `WooCommerce rejected ${fetched.response.url} with HTTP 400: ${bodyExcerpt(fetched.response.body)}`, {
          status: 400,
        });
      }
    }

    if (fetched.totalPages !== undefined) totalPages = fetched.totalPages;
    if (fetched.total !== undefined) {
      if (firstTotal === undefined) firstTotal = fetched.total;
      else if (fetched.total !== firstTotal) clean = false;
    }
    options.onProgress?.({ page, totalPages });

    const read = readPage(fetched);
    let last: boolean;
    if (read.ok) {
      for (const order of read.orders) {
        const modified = order && typeof order === 'object' ? parseWooGmt((order as Record<string, unknown>).date_modified_gmt) : undefined;
        if (modified && (!maxSeen || modified > maxSeen)) maxSeen = modified;
      }
      const empty = read.orders.length === 0;
      if (empty && totalPages !== undefined && page < totalPages) clean = false;
      last = empty || (totalPages !== undefined ? page >= totalPages : read.orders.length < config.perPage);
    } else {
      clean = false;
      // Without X-WP-TotalPages we cannot know whether more pages exist: stop here.
      last = totalPages === undefined || page >= totalPages;
    }

    const nextState: WooState | undefined = last && clean ? (maxSeen ? { modifiedAfter: maxSeen.toISOString() } : { ...state }) : undefined;
    yield {
      source: fetched.response.url,
      contentType: fetched.response.contentType,
      body: fetched.response.body,
      page,
      totalPages,
      error: read.ok ? undefined : { code: 'invalid_data', message: read.message },
      state: nextState,
    };
    if (last) return;
  }
}
