import { Type } from '@sinclair/typebox';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import type { ConnectorDefinition, PulledPage } from '../../connectors/_kit/definition.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import { orderDraft } from './orders.ts';

/** The shop's orders: ids 1..6, two per page, the cursor is the last id of a stored page. */
export const SLOW_SHOP_ORDERS = 6;
/** The token the shop wants (a secret field: stored encrypted, decrypted for the connector). */
export const SLOW_SHOP_TOKEN = 'slow-shop-token-0123456789';

export interface SlowShopOptions {
  /** Hang for good when asked for the page after this one (a worker stuck or about to be killed). */
  hangAfterPage?: number | undefined;
  /** Called once the connector hangs (the pages before were stored and the cursor saved). */
  onHang?: (() => void) | undefined;
  /** Hang only until this settles (a slow page rather than a dead worker). */
  gate?: Promise<void> | undefined;
}

/** A shop whose pull can hang between pages: the test's stand-in for a worker killed mid-sync. */
export function slowShopRegistry(options: SlowShopOptions = {}): ConnectorRegistry {
  const connector: ConnectorDefinition<{ token: string }, { cursor?: number }> = {
    type: 'slow-shop',
    title: 'Slow shop',
    channelKind: 'webshop',
    spec: Type.Object({ token: Type.String({ minLength: 1 }) }),
    secretFields: ['token'],
    async check() {
      return { ok: true, message: 'reachable' };
    },
    async *pull(config, state) {
      if (config.token !== SLOW_SHOP_TOKEN) throw new ConnectorError('unauthorized', 'wrong token', { status: 401 });
      const after = state?.cursor ?? 0;
      for (let first = after + 1, page = 1; first <= SLOW_SHOP_ORDERS; first += 2, page++) {
        if (options.hangAfterPage !== undefined && page > options.hangAfterPage) {
          options.onHang?.();
          await (options.gate ?? new Promise<never>(() => undefined));
        }
        const ids = [first, first + 1].filter((id) => id <= SLOW_SHOP_ORDERS).map(String);
        const pulled: PulledPage<{ cursor?: number }> = {
          source: `memory://slow-shop/orders?after=${first - 1}`,
          contentType: 'application/json',
          body: JSON.stringify(ids),
          page,
          state: { cursor: Number(ids.at(-1)) },
        };
        yield pulled;
      }
    },
  };
  const mapping: ChannelMapping = {
    optionsSchema: Type.Object({}),
    map(payload) {
      return { orders: (JSON.parse(payload.body) as string[]).map((id) => orderDraft(id)), errors: [] };
    },
  };
  return new ConnectorRegistry([{ connector, mapping }]);
}
