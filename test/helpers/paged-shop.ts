import { Type } from '@sinclair/typebox';
import type { ConnectorDefinition, PulledPage } from '../../connectors/_kit/definition.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import { orderDraft } from './orders.ts';

/**
 * A shop whose pull yields exactly the pages a test gives it: good pages are JSON lists of
 * {id, total}, and anything else is what a broken shop sends (the mapping cannot read it).
 */
export function pagedShop() {
  const shop = { pages: [] as PulledPage<{ cursor?: number }>[] };
  const connector: ConnectorDefinition<{ token: string }, { cursor?: number }> = {
    type: 'paged',
    title: 'Paged shop',
    channelKind: 'webshop',
    spec: Type.Object({ token: Type.String({ minLength: 1 }) }),
    secretFields: ['token'],
    async check() {
      return { ok: true, message: 'reachable' };
    },
    async *pull() {
      for (const page of shop.pages) yield page;
    },
  };
  const mapping: ChannelMapping = {
    optionsSchema: Type.Object({}),
    map(payload) {
      const rows = JSON.parse(payload.body) as { id: string; total: string }[];
      return { orders: rows.map((r) => orderDraft(r.id, { totals: { subtotal: r.total, discount: '0', shipping: '0', fee: '0', tax: '0', total: r.total } })), errors: [] };
    },
  };
  return { shop, registry: new ConnectorRegistry([{ connector, mapping }]) };
}

export function goodPage(page: number, ids: string[], totalPages?: number): PulledPage<{ cursor?: number }> {
  return {
    source: `memory://paged/orders?page=${page}`,
    contentType: 'application/json',
    body: JSON.stringify(ids.map((id) => ({ id, total: '10.00' }))),
    page,
    totalPages,
    state: { cursor: page },
  };
}

/** A page whose body is cut off mid-JSON: archived, but the mapping cannot read it. */
export function truncatedPage(page: number, totalPages?: number): PulledPage<{ cursor?: number }> {
  return { source: `memory://paged/orders?page=${page}`, contentType: 'application/json', body: `[{"id":"T${page}","total":"1`, page, totalPages };
}

/** A page the connector itself reports as broken (an HTML error page with HTTP 200). */
export function reportedBrokenPage(page: number, totalPages?: number): PulledPage<{ cursor?: number }> {
  return {
    source: `memory://paged/orders?page=${page}`,
    contentType: 'text/html',
    body: `<html><body>502 Bad Gateway (page ${page})</body></html>`,
    page,
    totalPages,
    error: { code: 'invalid_data', message: 'The shop answered HTML, not JSON' },
  };
}
