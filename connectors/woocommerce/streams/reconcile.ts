import type { ListWindow, OrderListPage, OrderStamp } from '../../_kit/definition.ts';
import { ConnectorError } from '../../_kit/connector-error.ts';
import { bodyExcerpt } from '../../_kit/http.ts';
import type { WooClient } from '../client.ts';
import type { WooState } from '../spec.ts';
import { formatWooParam, parseWooGmt, type WooPulledPage } from './orders.ts';

/** WooCommerce's largest per_page. */
const PER_PAGE = 100;
const MAX_PAGES = 100_000;

/**
 * Lists the orders modified in the window as ids and `date_modified_gmt` only (`_fields`), ordered by
 * id so orders changing meanwhile do not move between pages. A store that ignores `modified_after`
 * lists everything: orders outside the window are dropped here and the first page says so.
 */
export async function* listWooOrders(client: WooClient, window: ListWindow, signal?: AbortSignal): AsyncGenerator<OrderListPage<WooState>> {
  const since = Math.floor(window.since.getTime() / 1000) * 1000;
  const until = window.until.getTime();
  // modified_after is exclusive: one second earlier so orders modified exactly at `since` are listed.
  const query = { perPage: PER_PAGE, modifiedAfter: formatWooParam(new Date(since - 1000)), modifiedBefore: formatWooParam(new Date(Math.ceil(until / 1000) * 1000 + 1000)) };
  let warned = false;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const fetched = await client.listOrderStamps({ ...query, page }, signal);
    let parsed: unknown;
    try {
      parsed = JSON.parse(fetched.response.body);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed)) {
      throw new ConnectorError('upstream_unavailable', `WooCommerce answered ${fetched.response.url} with something other than a JSON list: ${bodyExcerpt(fetched.response.body, 120)}`);
    }
    const orders: OrderStamp[] = [];
    let outside = 0;
    for (const item of parsed) {
      if (!item || typeof item !== 'object') continue;
      const { id, date_modified_gmt: modified } = item as { id?: unknown; date_modified_gmt?: unknown };
      if (typeof id !== 'number' && typeof id !== 'string') continue;
      const at = parseWooGmt(modified);
      if (at && (at.getTime() < since || at.getTime() > until)) {
        outside += 1;
        continue;
      }
      orders.push({ externalId: String(id), modifiedAt: at?.toISOString() });
    }
    const out: OrderListPage<WooState> = { source: fetched.response.url, page, orders };
    if (outside > 0 && !warned) {
      warned = true;
      out.warning = 'The store ignores modified_after/modified_before (older WooCommerce): every order is listed and those outside the window are left out here.';
    }
    yield out;
    const last = fetched.totalPages !== undefined ? page >= fetched.totalPages : parsed.length < PER_PAGE;
    if (last || parsed.length === 0) return;
  }
}

/** Whole orders by id, 100 per call (`include=`), as pages to archive and read like pulled ones. */
export async function* fetchWooOrders(client: WooClient, externalIds: readonly string[], signal?: AbortSignal): AsyncGenerator<WooPulledPage> {
  const ids = externalIds.filter((id) => /^\d+$/.test(id));
  for (let i = 0, page = 1; i < ids.length; i += PER_PAGE, page++) {
    const fetched = await client.fetchOrdersByIds(ids.slice(i, i + PER_PAGE), signal);
    const out: WooPulledPage = { source: fetched.response.url, contentType: fetched.response.contentType, body: fetched.response.body, page, totalPages: Math.ceil(ids.length / PER_PAGE) };
    let parsed: unknown;
    try {
      parsed = JSON.parse(fetched.response.body);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed)) out.error = { code: 'invalid_data', message: `expected a JSON array of orders: ${bodyExcerpt(fetched.response.body, 120)}` };
    yield out;
  }
}
