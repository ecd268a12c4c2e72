import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import type { AccountingPeriod, AccountingSource } from '../../connectors/onec/accounting-source.ts';
import { isHubError } from '../../core/errors.ts';
import type { AccountingSyncView } from '../../core/model/settlements.ts';
import {
  finishAccountingSync,
  startAccountingSync,
  type AccountingSyncCounts,
  type AccountingSyncProblem,
  type AccountingSyncTrigger,
} from '../../core/settlements/accounting-syncs.ts';
import { storeAccountingDealers, storeSettlements } from '../../core/settlements/settlement-store.ts';
import { dealersFrom1C, settlementsFrom1C } from '../../mappings/onec/accounting.ts';
import type { Database } from '../../core/db/database.ts';
import { silentLogger, type JobLogger } from '../runtime/types.ts';

/**
 * Syncs with the accounting system (1C): source → mapping → core, each recorded as an accounting_sync
 * run. A source that refuses (odata.error, SOAP fault, wrong password, 1C down) ends the run as failed
 * with 1C's words; nothing throws out of here but a database that cannot record the run at all.
 */
export interface AccountingContext {
  db: Database;
  logger?: JobLogger | undefined;
}

export interface AccountingSyncOptions {
  trigger: AccountingSyncTrigger;
  requestedBy?: string | undefined;
  signal?: AbortSignal | undefined;
}

const ZERO: AccountingSyncCounts = { received: 0, created: 0, updated: 0, unchanged: 0, failed: 0, documents: 0 };

export async function syncAccountingDealers(
  ctx: AccountingContext,
  source: AccountingSource,
  options: AccountingSyncOptions & { defaultRegion?: string | undefined },
): Promise<AccountingSyncView> {
  const id = await startAccountingSync(ctx.db, { kind: 'dealers', source: source.kind, trigger: options.trigger, requestedBy: options.requestedBy });
  return run(ctx, id, 'dealers', async () => {
    const counterparties = await source.counterparties(options.signal);
    const mapped = dealersFrom1C(counterparties);
    const stored = await storeAccountingDealers(ctx.db, mapped.dealers, { defaultRegion: options.defaultRegion });
    return {
      counts: { ...stored.counts, received: counterparties.length, failed: stored.counts.failed + mapped.problems.length },
      problems: [...mapped.problems, ...stored.problems],
    };
  });
}

export async function syncAccountingSettlements(
  ctx: AccountingContext,
  source: AccountingSource,
  options: AccountingSyncOptions & { period: AccountingPeriod },
): Promise<AccountingSyncView> {
  const { period } = options;
  const id = await startAccountingSync(ctx.db, { kind: 'settlements', source: source.kind, trigger: options.trigger, from: period.from, to: period.to, requestedBy: options.requestedBy });
  return run(ctx, id, 'settlements', async () => {
    // Only the hub's dealers are asked about (the SOAP service answers per dealer; OData answers for all and the rest is skipped).
    const dealers = await ctx.db.query<{ code: string; accounting_ref: string | null }>(`SELECT code, accounting_ref FROM dealer WHERE accounting_ref IS NOT NULL ORDER BY code`);
    const counterparties = dealers.map((d) => ({ ref: d.accounting_ref!, code: d.code, name: d.code, taxId: null, priceColumn: null, region: null, manager: null, creditLimit: null }));
    const settlements = await source.settlements(period, counterparties, options.signal);
    const documents = await source.documents(period, counterparties, options.signal);
    const mapped = settlementsFrom1C(period, settlements, documents, counterparties);
    const stored = await storeSettlements(ctx.db, id, period, mapped.settlements);
    return {
      counts: { ...stored.counts, received: settlements.length, failed: stored.counts.failed + mapped.problems.length },
      problems: [...mapped.problems, ...stored.problems],
    };
  });
}

async function run(
  ctx: AccountingContext,
  id: string,
  what: string,
  work: () => Promise<{ counts: AccountingSyncCounts; problems: AccountingSyncProblem[] }>,
): Promise<AccountingSyncView> {
  const logger = ctx.logger ?? silentLogger;
  try {
    const outcome = await work();
    const view = await finishAccountingSync(ctx.db, id, outcome);
    logger.info({ accountingSync: id, status: view.status }, `1C ${what} sync ${view.status}: ${view.received} read, ${view.created} new, ${view.updated} changed, ${view.failed} failed`);
    return view;
  } catch (error) {
    const code = error instanceof ConnectorError || isHubError(error) ? error.code : 'internal';
    const message = error instanceof Error ? error.message : String(error);
    logger.warn({ accountingSync: id, code }, `1C ${what} sync failed: ${message}`);
    return finishAccountingSync(ctx.db, id, { counts: ZERO, problems: [], failure: { code, message } });
  }
}
