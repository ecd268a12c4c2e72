import type { ListWindow, OrderListPage, OrderStamp } from '../../_kit/definition.ts';
import { ConnectorError } from '../../_kit/connector-error.ts';
import { parseXml, xmlChild, xmlList, xmlText } from '../../_kit/xml.ts';
import type { UnasClient } from '../client.ts';
import type { ResolvedUnasConfig, UnasState } from '../spec.ts';
import { parseUnasDateTime } from '../time.ts';
import { pullOrders } from './orders.ts';

const text = (node: unknown): string | undefined => {
  const value = xmlText(node)?.trim();
  return value ? value : undefined;
};

/**
 * Reconciliation's listing on UNAS: getOrder has no id-only form, so the listing is the pull's own
 * getOrder paging over the window (TimeModStart = since − overlap, LimitNum per call), under the same
 * call budget (`callsPerHour`, counted in the sync state), ban hold and status-list refresh. Each answer
 * is listed as `Key|Id` (Key alone without Id, as the mapping keys them) with its DateMod, and handed
 * over whole (`payload`): the hub archives and reads the answers that hold a missing or stale order,
 * so nothing is fetched twice. Each page's `state` carries the budget spent with the channel's cursor
 * as it was. A refused or unreadable answer fails the listing.
 */
export async function* listUnasOrders(client: UnasClient, config: ResolvedUnasConfig, window: ListWindow, state: UnasState | undefined, signal?: AbortSignal): AsyncGenerator<OrderListPage<UnasState>> {
  const cursor = state?.modifiedAfter;
  const withCursor = (next: UnasState | undefined): UnasState | undefined => {
    if (!next) return undefined;
    const { modifiedAfter: _window, ...kept } = next;
    return cursor === undefined ? kept : { ...kept, modifiedAfter: cursor };
  };
  const pages = pullOrders(client, config, { ...state, modifiedAfter: window.since.toISOString() }, { signal, now: () => window.until });
  for await (const page of pages) {
    if (page.error) throw new ConnectorError(page.error.code === 'invalid_data' ? 'upstream_unavailable' : 'upstream_rejected', `Listing orders for a reconciliation: ${page.error.message}`);
    const parsed = parseXml(page.body);
    if (!parsed.ok || parsed.root !== 'Orders') {
      // The shop's status list (getOrderStatus) the pull refreshes first: no orders, only state.
      yield { source: page.source, page: page.page, orders: [], state: withCursor(page.state), warning: page.warning };
      continue;
    }
    const orders: OrderStamp[] = [];
    for (const order of xmlList(xmlChild(parsed.value, 'Order'))) {
      const key = text((order as Record<string, unknown>).Key);
      if (!key) continue;
      const id = text((order as Record<string, unknown>).Id);
      orders.push({ externalId: id ? `${key}|${id}` : key, modifiedAt: parseUnasDateTime(text((order as Record<string, unknown>).DateMod))?.toISOString() });
    }
    yield { source: page.source, page: page.page, orders, payload: { ...page, state: undefined }, state: withCursor(page.state), warning: page.warning };
  }
}
