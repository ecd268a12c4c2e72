import { Decimal } from 'decimal.js';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import type { SettlementDocumentKind, SettlementsView } from '../model/settlements.ts';

/**
 * A dealer's settlements for a period, read from what the accounting system last said: the figures
 * 1C gave for exactly that period when it was synced, otherwise derived from the narrowest synced
 * period around it (its opening moved on by the documents before `from`, the movements of `from`…`to`).
 */
export class SettlementService {
  constructor(private readonly db: Database) {}

  async forPeriod(dealerCode: string, from: string, to: string): Promise<SettlementsView> {
    if (!isDay(from) || !isDay(to)) throw new HubError('invalid_data', 'from and to are calendar days, YYYY-MM-DD', { field: isDay(from) ? 'to' : 'from' });
    if (to < from) throw new HubError('invalid_data', `the period ends (${to}) before it starts (${from})`, { field: 'to' });
    const [dealer] = await this.db.query<{ id: string; code: string; name: string; tax_id: string | null }>(`SELECT id, code, name, tax_id FROM dealer WHERE code = $1`, [dealerCode]);
    if (!dealer) throw new HubError('not_found', `Dealer ${dealerCode} does not exist.`);
    const [stored] = await this.db.query<StoredSettlement>(
      `SELECT period_from::text AS period_from, period_to::text AS period_to, opening::text, shipped::text, paid::text, returns::text, closing::text,
              overdue::text, credit_limit::text, currency, synced_at
         FROM dealer_settlement
        WHERE dealer_id = $1 AND period_from <= $2::date AND period_to >= $3::date
        ORDER BY (period_from = $2::date AND period_to = $3::date) DESC, period_to - period_from, synced_at DESC
        LIMIT 1`,
      [dealer.id, from, to],
    );
    if (!stored) {
      throw new HubError('not_found', `No settlements of dealer ${dealerCode} synced from 1C cover ${from}…${to}; sync the period first (hub 1c sync-settlements --from ${from} --to ${to}).`, {
        details: { reason: 'period_not_synced' },
      });
    }
    const documents = await this.db.query<StoredDocument>(
      `SELECT kind, number, date, amount::text, order_number, order_id FROM settlement_document
        WHERE dealer_id = $1 AND date >= $2::date AND date < ($3::date + 1) ORDER BY date, number`,
      [dealer.id, stored.period_from, stored.period_to],
    );
    const inPeriod = documents.filter((d) => day(d.date) >= from && day(d.date) <= to);
    const exact = stored.period_from === from && stored.period_to === to;
    const sum = (kind: SettlementDocumentKind) => inPeriod.filter((d) => d.kind === kind).reduce((s, d) => s.plus(d.amount), new Decimal(0));
    let figures: Pick<SettlementsView, 'opening' | 'shipped' | 'paid' | 'returns' | 'closing'>;
    if (exact) {
      figures = { opening: stored.opening, shipped: stored.shipped, paid: stored.paid, returns: stored.returns, closing: stored.closing };
    } else {
      const before = documents.filter((d) => day(d.date) < from).reduce((s, d) => s.plus(signed(d)), new Decimal(0));
      const opening = new Decimal(stored.opening).plus(before);
      const [shipped, paid, returns] = [sum('shipment'), sum('payment'), sum('return')];
      figures = { opening: fixed(opening), shipped: fixed(shipped), paid: fixed(paid), returns: fixed(returns), closing: fixed(opening.plus(shipped).minus(paid).minus(returns)) };
    }
    return {
      dealer: { code: dealer.code, name: dealer.name, taxId: dealer.tax_id },
      from,
      to,
      currency: stored.currency,
      ...figures,
      // Overdue debt and the credit limit are 1C's as of the synced period's end.
      overdue: stored.overdue,
      creditLimit: stored.credit_limit,
      basis: exact ? 'exact' : 'derived',
      syncedAt: stored.synced_at.toISOString(),
      documents: inPeriod.map((d) => ({ kind: d.kind, number: d.number, date: d.date.toISOString(), amount: d.amount, orderNumber: d.order_number, orderId: d.order_id })),
    };
  }
}

interface StoredSettlement {
  period_from: string;
  period_to: string;
  opening: string;
  shipped: string;
  paid: string;
  returns: string;
  closing: string;
  overdue: string | null;
  credit_limit: string | null;
  currency: string;
  synced_at: Date;
}

interface StoredDocument {
  kind: SettlementDocumentKind;
  number: string;
  date: Date;
  amount: string;
  order_number: string | null;
  order_id: string | null;
}

function signed(d: StoredDocument): Decimal {
  return d.kind === 'shipment' ? new Decimal(d.amount) : new Decimal(d.amount).negated();
}

function fixed(d: Decimal): string {
  return d.toFixed(2);
}

/** Documents keep 1C's local date as the UTC date (mappings/onec): the day is the first ten characters. */
function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function isDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(new Date(`${text}T00:00:00Z`).getTime());
}
