import { Type } from '@sinclair/typebox';
import type { ConnectorDefinition } from '../connectors/_kit/definition.ts';
import type { ChannelMapping } from '../core/model/mapping.ts';
import { ONEC_EXCHANGE_CONNECTOR, OnecExchangeSettingsSchema, type OnecExchangeSettings } from '../core/model/onec-exchange.ts';
import type { OnecExchangePorts } from '../core/onec/ports.ts';

/**
 * The hub's 1C channel (connector `onec-exchange`, kind `erp`): 1C calls the hub (/1c/exchange), so
 * the connector talks to nothing; its config holds the exchange's settings (docs/1c.md), created and
 * changed like any channel's (POST /v1/channels, `hub channels add`).
 */
export const onecExchangeConnector: ConnectorDefinition<OnecExchangeSettings> = {
  type: ONEC_EXCHANGE_CONNECTOR,
  title: '1C: CommerceML exchange (обмен с сайтом; 1C calls the hub at /1c/exchange)',
  channelKind: 'erp',
  spec: OnecExchangeSettingsSchema,
  secretFields: [],
  async check() {
    return { ok: true, message: '1C calls the hub (/1c/exchange or /bitrix/admin/1c_exchange.php) with an integration user; there is nothing for the hub to connect to.' };
  },
};

/** Nothing of the 1C channel goes through the raw archive's mappings: its files are the exchange's own (core/onec). */
export const onecExchangeMapping: ChannelMapping = {
  optionsSchema: Type.Object({}),
  map() {
    return { orders: [], errors: [{ message: "1C's exchange files are read by the exchange itself (core/onec), not as channel payloads." }] };
  },
};

/**
 * What the 1C exchange reads and writes with: the streaming CommerceML reader and the orders
 * writer (mappings/commerceml) and the catalogue (core/catalogue). Undefined until those are wired
 * in here; the exchange routes then answer `failure` saying the exchange is not set up, and
 * `hub 1c reimport` says the same.
 */
export function onecExchangePorts(): OnecExchangePorts | undefined {
  return undefined;
}
