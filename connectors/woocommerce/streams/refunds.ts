import { ConnectorError } from '../../_kit/connector-error.ts';
import { bodyExcerpt } from '../../_kit/http.ts';
import type { WooClient } from '../client.ts';
import type { WooPulledPage } from './orders.ts';

/** Refunds per request (the API's maximum; its default is 10). */
const REFUNDS_PER_PAGE = 100;
/** Never loop on a store whose headers lie: at most this many refund pages per order. */
const MAX_REFUND_PAGES = 50;

/**
 * Ids of the orders of a page whose `refunds` summary names at least one refund. A page that is not a
 * JSON array has none (it is yielded broken anyway).
 */
export function ordersWithRefunds(body: string): Array<{ id: string; modified: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const orders: Array<{ id: string; modified: string }> = [];
  for (const order of parsed) {
    if (!order || typeof order !== 'object') continue;
    const { id, refunds, date_modified_gmt } = order as { id?: unknown; refunds?: unknown; date_modified_gmt?: unknown };
    const key = typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : typeof id === 'string' && /^\d+$/.test(id) ? id : undefined;
    if (key && Array.isArray(refunds) && refunds.length > 0) orders.push({ id: key, modified: String(date_modified_gmt ?? '') });
  }
  return orders;
}

/** The pages of one order's refund list, as received; a failed request or a broken answer comes back with `error`. */
async function refundPages(client: WooClient, orderId: string, at: WooPulledPage, signal: AbortSignal | undefined): Promise<WooPulledPage[]> {
  const pages: WooPulledPage[] = [];
  for (let page = 1; page <= MAX_REFUND_PAGES; page++) {
    const base = { page: at.page, totalPages: at.totalPages };
    let fetched;
    try {
      fetched = await client.fetchOrderRefunds(orderId, { page, perPage: REFUNDS_PER_PAGE }, signal);
    } catch (error) {
      // Aborts (shutdown, a lost lease) end the pull as they do for order pages.
      if (!(error instanceof ConnectorError)) throw error;
      // Nothing arrived to archive: an empty body carries the failure, so it is a failed payload and the run is partial.
      pages.push({ ...base, source: client.orderRefundsUrl(orderId), contentType: 'text/plain', body: '', error: { code: error.code, message: `the refunds of order ${orderId} could not be fetched: ${error.message}` } });
      return pages;
    }
    const out: WooPulledPage = { ...base, source: fetched.response.url, contentType: fetched.response.contentType, body: fetched.response.body };
    let parsed: unknown;
    try {
      parsed = JSON.parse(fetched.response.body);
    } catch (error) {
      parsed = error;
    }
    if (!Array.isArray(parsed)) {
      out.error = { code: 'invalid_data', message: `expected a JSON array of the refunds of order ${orderId}: ${bodyExcerpt(fetched.response.body, 120)}` };
      pages.push(out);
      return pages;
    }
    pages.push(out);
    if (fetched.totalPages === undefined ? parsed.length < REFUNDS_PER_PAGE : page >= fetched.totalPages) return pages;
  }
  return pages;
}

/**
 * The order pages of a pull, each followed by the refund lists of its orders that name refunds
 * (`GET /orders/<id>/refunds`, one payload per list page, never joined to the order page), when the
 * channel's `refundDetails` option is on.
 *
 * Rule: every order of a page whose `refunds` summary is not empty gets its list fetched, on every pull
 * that delivers it (the connector cannot know what the hub holds; a pull delivers only orders changed
 * since the cursor, and creating or deleting a refund changes the order, so this is one request per
 * changed refunded order; an order re-read within the run unchanged, as keyset paging re-reads the last
 * second of a page, is not fetched twice). A list read again unchanged is the same bytes, which the hub
 * stores once and does not read again.
 *
 * Cursor: an order page's `state` moves onto the last refund page fetched for it, so the cursor passes
 * the order only after its refund lists are stored too. A refund list that fails (request failed after
 * the client's retries, or not a JSON array) is yielded with `error` — archived, failed, the run
 * `partial`; the order itself is already stored from its summary — and no later page of the run
 * carries `state`, so the next run reads the order, and fetches its refunds, again (as for a broken
 * order page).
 */
export async function* withRefundDetails(pages: AsyncGenerator<WooPulledPage>, client: WooClient, signal?: AbortSignal): AsyncGenerator<WooPulledPage> {
  let frozen = false;
  /** `id|date_modified_gmt` of the orders whose lists this run fetched: keyset paging re-reads a page's last second. */
  const fetched = new Set<string>();
  for await (const page of pages) {
    const ids: string[] = [];
    for (const order of page.error ? [] : ordersWithRefunds(page.body)) {
      const key = `${order.id}|${order.modified}`;
      if (fetched.has(key)) continue;
      fetched.add(key);
      ids.push(order.id);
    }
    if (ids.length === 0) {
      yield frozen ? { ...page, state: undefined } : page;
      continue;
    }
    const { state } = page;
    yield { ...page, state: undefined };
    const lists: WooPulledPage[] = [];
    for (const id of ids) lists.push(...(await refundPages(client, id, page, signal)));
    if (lists.some((p) => p.error)) frozen = true;
    if (!frozen && state !== undefined) lists[lists.length - 1]!.state = state;
    yield* lists;
  }
}
