import { DealerService } from '../dealers/dealer-service.ts';
import type { Database } from '../db/database.ts';
import type { AccountingDealer, DealerSettlementInput } from '../model/settlements.ts';
import type { AccountingSyncCounts, AccountingSyncProblem } from './accounting-syncs.ts';

/**
 * Stores what the accounting system says: dealers (through the dealers' own idempotent load, so the
 * rules of a dealer's record stay in one place, plus the fields only 1C has) and settlements per
 * dealer and period. Idempotent: a re-sync of the same period replaces its figures and its documents
 * (upserted by their 1C reference; those 1C no longer lists in the period are dropped).
 */

interface StoredDealer {
  id: string;
  code: string;
  name: string;
  price_column: string | null;
  tax_id: string | null;
  accounting_ref: string | null;
  account_manager: string | null;
  main_region: string | null;
}

export interface DealerSyncResult {
  counts: AccountingSyncCounts;
  problems: AccountingSyncProblem[];
}

export async function storeAccountingDealers(db: Database, dealers: readonly AccountingDealer[], options: { defaultRegion?: string | undefined } = {}): Promise<DealerSyncResult> {
  const problems: AccountingSyncProblem[] = [];
  const counts: AccountingSyncCounts = { received: dealers.length, created: 0, updated: 0, unchanged: 0, failed: 0, documents: 0 };
  const stored = await db.query<StoredDealer>(
    `SELECT d.id, d.code, d.name, d.price_column, d.tax_id, d.accounting_ref, d.account_manager, r.code AS main_region
       FROM dealer d LEFT JOIN dealer_region dr ON dr.dealer_id = d.id AND dr.is_main LEFT JOIN region r ON r.id = dr.region_id
      WHERE d.code = ANY($1::text[]) OR d.accounting_ref = ANY($2::text[])`,
    [dealers.map((d) => d.code), dealers.map((d) => d.ref)],
  );
  const byCode = new Map(stored.map((d) => [d.code, d]));
  const byRef = new Map(stored.filter((d) => d.accounting_ref).map((d) => [d.accounting_ref!, d]));
  // 1C names regions its own way: a hub region matches by code or by name.
  const names = [...new Set(dealers.map((d) => d.region).filter((r): r is string => !!r))];
  const regions = names.length
    ? await db.query<{ code: string; name: string }>(`SELECT code, name FROM region WHERE code = ANY($1::text[]) OR lower(name) = ANY($2::text[])`, [names, names.map((n) => n.toLowerCase())])
    : [];
  const regionOf = (text: string | null): string | undefined =>
    text ? (regions.find((r) => r.code === text) ?? regions.find((r) => r.name.toLowerCase() === text.toLowerCase()))?.code : undefined;

  const load: { code: string; name: string; mainRegion: string; priceColumn?: string }[] = [];
  const extras: AccountingDealer[] = [];
  for (const dealer of dealers) {
    const known = byCode.get(dealer.code);
    const holder = byRef.get(dealer.ref);
    if (holder && holder.code !== dealer.code) {
      counts.failed += 1;
      problems.push({ dealer: dealer.code, code: 'conflict', message: `1C reference ${dealer.ref} already belongs to dealer ${holder.code}; a dealer's code is not changed by a sync` });
      continue;
    }
    const mainRegion = regionOf(dealer.region) ?? known?.main_region ?? options.defaultRegion;
    if (!mainRegion) {
      counts.failed += 1;
      problems.push({
        dealer: dealer.code,
        code: 'invalid_data',
        message: `dealer ${dealer.code}: 1C's region "${dealer.region ?? ''}" is no hub region (by code or name) and no default is set (HUB_1C_DEFAULT_REGION)`,
      });
      continue;
    }
    if (dealer.region && !regionOf(dealer.region)) {
      problems.push({ dealer: dealer.code, code: 'warning', message: `1C's region "${dealer.region}" is no hub region; the dealer keeps region ${mainRegion}` });
    }
    const same =
      known &&
      known.name === dealer.name &&
      (dealer.priceColumn === null || known.price_column === dealer.priceColumn) &&
      known.main_region === mainRegion &&
      known.tax_id === dealer.taxId &&
      known.accounting_ref === dealer.ref &&
      known.account_manager === dealer.manager;
    if (!known) counts.created += 1;
    else if (same) counts.unchanged += 1;
    else counts.updated += 1;
    // A column 1C does not give (a configuration without price types on counterparties) leaves the one staff set.
    load.push({ code: dealer.code, name: dealer.name, mainRegion, ...(dealer.priceColumn !== null && { priceColumn: dealer.priceColumn }) });
    extras.push(dealer);
  }
  if (load.length > 0) {
    await new DealerService(db).load(load);
    await db.query(
      `UPDATE dealer d SET tax_id = x.tax_id, accounting_ref = x.ref, account_manager = x.manager, updated_at = now()
         FROM jsonb_to_recordset($1::jsonb) AS x(code text, ref text, tax_id text, manager text)
        WHERE d.code = x.code
          AND (d.tax_id IS DISTINCT FROM x.tax_id OR d.accounting_ref IS DISTINCT FROM x.ref OR d.account_manager IS DISTINCT FROM x.manager)`,
      [JSON.stringify(extras.map((d) => ({ code: d.code, ref: d.ref, tax_id: d.taxId, manager: d.manager })))],
    );
  }
  return { counts, problems };
}

export interface SettlementStoreResult {
  counts: AccountingSyncCounts;
  problems: AccountingSyncProblem[];
}

export async function storeSettlements(
  db: Database,
  syncId: string,
  period: { from: string; to: string },
  inputs: readonly DealerSettlementInput[],
): Promise<SettlementStoreResult> {
  const counts: AccountingSyncCounts = { received: inputs.length, created: 0, updated: 0, unchanged: 0, failed: 0, documents: 0 };
  const problems: AccountingSyncProblem[] = [];
  const dealers = await db.query<{ id: string; code: string; accounting_ref: string | null }>(
    `SELECT id, code, accounting_ref FROM dealer WHERE accounting_ref = ANY($1::text[]) OR code = ANY($2::text[])`,
    [inputs.map((i) => i.dealerRef), inputs.map((i) => i.dealerCode).filter(Boolean)],
  );
  const byRef = new Map(dealers.filter((d) => d.accounting_ref).map((d) => [d.accounting_ref!, d]));
  const byCode = new Map(dealers.map((d) => [d.code, d]));
  const notDealers: string[] = [];

  for (const input of inputs) {
    const dealer = byRef.get(input.dealerRef) ?? (input.dealerCode ? byCode.get(input.dealerCode) : undefined);
    if (!dealer) {
      notDealers.push(input.dealerCode ?? input.dealerRef);
      continue;
    }
    const f = input.figures;
    await db.prisma.$transaction(async (tx) => {
      const before = await tx.$queryRawUnsafe<{ figures: string }[]>(
        `SELECT concat_ws('|', opening, shipped, paid, returns, closing, overdue, credit_limit) AS figures
           FROM dealer_settlement WHERE dealer_id = $1 AND period_from = $2::date AND period_to = $3::date FOR UPDATE`,
        dealer.id,
        period.from,
        period.to,
      );
      const after = await tx.$queryRawUnsafe<{ figures: string }[]>(
        `INSERT INTO dealer_settlement (id, dealer_id, period_from, period_to, opening, shipped, paid, returns, closing, overdue, credit_limit, sync_id, synced_at)
         VALUES (gen_random_uuid()::text, $1, $2::date, $3::date, $4::numeric, $5::numeric, $6::numeric, $7::numeric, $8::numeric, $9::numeric, $10::numeric, $11, now())
         ON CONFLICT (dealer_id, period_from, period_to) DO UPDATE SET
           opening = EXCLUDED.opening, shipped = EXCLUDED.shipped, paid = EXCLUDED.paid, returns = EXCLUDED.returns, closing = EXCLUDED.closing,
           overdue = EXCLUDED.overdue, credit_limit = EXCLUDED.credit_limit, sync_id = EXCLUDED.sync_id, synced_at = now()
         RETURNING concat_ws('|', opening, shipped, paid, returns, closing, overdue, credit_limit) AS figures`,
        dealer.id,
        period.from,
        period.to,
        f.opening,
        f.shipped,
        f.paid,
        f.returns,
        f.closing,
        f.overdue,
        f.creditLimit,
        syncId,
      );
      if (before.length === 0) counts.created += 1;
      else if (before[0]!.figures === after[0]!.figures) counts.unchanged += 1;
      else counts.updated += 1;

      // The period's documents are what 1C lists now: one unposted or deleted there leaves here too.
      await tx.$executeRawUnsafe(
        `DELETE FROM settlement_document WHERE dealer_id = $1 AND date >= $2::date AND date < ($3::date + 1) AND NOT (source_ref = ANY($4::text[]))`,
        dealer.id,
        period.from,
        period.to,
        input.documents.map((d) => d.ref),
      );
      if (input.documents.length > 0) {
        await tx.$executeRawUnsafe(
          `INSERT INTO settlement_document (id, dealer_id, source_ref, kind, number, date, amount, order_number, order_id, synced_at)
           SELECT gen_random_uuid()::text, $1, x.ref, x.kind, x.number, x.date::timestamptz, x.amount::numeric, x.order_number,
                  (SELECT o.id FROM "order" o WHERE x.order_number IS NOT NULL AND (o.number = x.order_number OR o.external_id = x.order_number OR o.id = x.order_number)
                    ORDER BY o.placed_at DESC NULLS LAST LIMIT 1),
                  now()
             FROM jsonb_to_recordset($2::jsonb) AS x(ref text, kind text, number text, date text, amount text, order_number text)
           ON CONFLICT (source_ref) DO UPDATE SET dealer_id = EXCLUDED.dealer_id, kind = EXCLUDED.kind, number = EXCLUDED.number, date = EXCLUDED.date,
             amount = EXCLUDED.amount, order_number = EXCLUDED.order_number, order_id = EXCLUDED.order_id, synced_at = now()`,
          dealer.id,
          JSON.stringify(input.documents.map((d) => ({ ref: d.ref, kind: d.kind, number: d.number, date: d.date, amount: d.amount, order_number: d.orderNumber }))),
        );
      }
      counts.documents += input.documents.length;
    });
  }
  if (notDealers.length > 0) {
    // Retail buyers and other counterparties of the register: reported once, not as failures.
    problems.push({ code: 'skipped', message: `${notDealers.length} counterparty(ies) in 1C are no hub dealers (sync dealers first if they should be): ${notDealers.slice(0, 20).join(', ')}` });
  }
  return { counts, problems };
}
