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
  const shop = {
    pages: [] as PulledPage<{ cursor?: number }>[],
    /** Thrown by the pull after its pages (before any page when `pages` is empty). */
    failWith: undefined as Error | undefined,
    /** Runs right before `failWith` is thrown. */
    beforeFail: undefined as (() => Promise<void>) | undefined,
    /** "After a mapping fix": rows marked `broken` are read like the others. */
    mappingFixed: false,
  };
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
      if (shop.failWith) {
        await shop.beforeFail?.();
        throw shop.failWith;
      }
    },
  };
  const mapping: ChannelMapping = {
    optionsSchema: Type.Object({}),
    map(payload) {
      // A row marked `broken` is a record the mapping cannot read (the page is then read in part).
      const rows = (JSON.parse(payload.body) as { id: string; total: string; broken?: boolean }[]).map((r) => ({ ...r, broken: r.broken === true && !shop.mappingFixed }));
      return {
        orders: rows.filter((r) => !r.broken).map((r) => orderDraft(r.id, { totals: { subtotal: r.total, discount: '0', shipping: '0', fee: '0', tax: '0', total: r.total } })),
        errors: rows.filter((r) => r.broken).map((r) => ({ ref: r.id, message: `order ${r.id} cannot be read` })),
      };
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
