import { Type } from '@sinclair/typebox';
import type { ConnectorDefinition } from '../connectors/_kit/definition.ts';
import type { ChannelMapping } from '../core/model/mapping.ts';
import { ONEC_EXCHANGE_CONNECTOR, OnecExchangeSettingsSchema, type OnecExchangeSettings } from '../core/model/onec-exchange.ts';
import { CatalogueService, type ApplyContext, type ApplyCounts, type CatalogueOptions } from '../core/catalogue/catalogue-service.ts';
import type { Database } from '../core/db/database.ts';
import type { CatalogueImportContext, ImportCounts, OnecExchangePorts } from '../core/onec/ports.ts';
import { readCommerceMl, writeOrdersDocument } from '../mappings/commerceml/index.ts';

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
 * What the 1C exchange reads and writes with: the streaming CommerceML reader and the orders writer
 * (mappings/commerceml) and the catalogue (core/catalogue). The CLI's `hub start` hands them to the
 * API, `hub 1c reimport` to the exchange it builds.
 */
export function onecExchangePorts(db: Database, options: CatalogueOptions = {}): OnecExchangePorts {
  const catalogue = new CatalogueService(db, options);
  return {
    reader: {
      // The reader's positions count record elements (problem-only ones too) and its classifier chunks
      // come again on a resume: exactly what the exchange persists and skips (docs/1c.md).
      read: (source, { batchSize, skipRecords }) => readCommerceMl(source, { batchSize, skipRecords }),
    },
    catalogue: {
      async apply(chunk, context) {
        const applied = await catalogue.apply(chunk, applyContextOf(context));
        return { counts: flatCounts(applied), problems: applied.problems };
      },
      finishSnapshot: (catalogueId, startedAt) => catalogue.finishSnapshot(catalogueId, startedAt),
    },
    writer: {
      write: (orders, { profile, encoding }) => writeOrdersDocument(orders, { profile, encoding }),
    },
  };
}

/**
 * The exchange's file context as the catalogue needs it. Products carry their Каталог's Ид; a 3.1
 * classifier-only file, or a package naming no catalogue, files them under its classifier (else
 * '1c'), which no snapshot deactivates by absence (finishSnapshot needs Каталог/Ид).
 */
export function applyContextOf(context: CatalogueImportContext): ApplyContext {
  const pkg = context.package;
  return { exchangeId: context.sessionId, catalogueId: pkg?.catalogueId ?? pkg?.classifierId ?? '1c', onlyChanges: pkg?.onlyChanges ?? true };
}

/** The catalogue's nested counts as the exchange log's flat ones (summed on the file and the session). */
export function flatCounts(counts: ApplyCounts): ImportCounts {
  const flat: ImportCounts = {
    created: counts.created,
    updated: counts.updated,
    unchanged: counts.unchanged,
    deactivated: counts.deactivated,
    pricesChanged: counts.prices.changed,
    pricesUnchanged: counts.prices.unchanged,
    stockCreated: counts.stock.created,
    stockUpdated: counts.stock.updated,
    stockUnchanged: counts.stock.unchanged,
    reservationsReleased: counts.stock.released.length,
    problems: counts.problems.length,
  };
  // Zeros say nothing in the log.
  return Object.fromEntries(Object.entries(flat).filter(([, n]) => n !== 0));
}
