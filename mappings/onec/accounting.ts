import type { AccountingPeriod, SourceCounterparty, SourceDocument, SourceSettlement } from '../../connectors/onec/accounting-source.ts';
import { Money, type MoneyValue } from '../common/money.ts';
import type { AccountingDealer, DealerSettlementInput, SettlementDocument } from '../../core/model/settlements.ts';

/**
 * 1C's answers (either adapter) → core's dealers and settlements. Pure and total: a record that cannot
 * be read is reported with its reason, the rest go on.
 */

export interface MappingProblem {
  dealer?: string;
  code: 'invalid_data';
  message: string;
}

const CODE = /^[^/\s]+$/;

export function dealersFrom1C(counterparties: readonly SourceCounterparty[]): { dealers: AccountingDealer[]; problems: MappingProblem[] } {
  const dealers: AccountingDealer[] = [];
  const problems: MappingProblem[] = [];
  const seen = new Set<string>();
  for (const c of counterparties) {
    // 1C pads codes of a fixed length with spaces ("00-000012  ") and may leave the name with trailing blanks.
    const code = c.code.trim();
    const name = c.name.trim();
    if (!code || !CODE.test(code)) {
      problems.push({ dealer: code || c.ref, code: 'invalid_data', message: `counterparty "${name || c.ref}": code "${c.code}" cannot be a dealer code (empty, or holds spaces or "/")` });
      continue;
    }
    if (!name) {
      problems.push({ dealer: code, code: 'invalid_data', message: `counterparty ${code} has no name` });
      continue;
    }
    if (seen.has(code)) {
      problems.push({ dealer: code, code: 'invalid_data', message: `counterparty code ${code} appears twice in 1C; the first one is kept` });
      continue;
    }
    seen.add(code);
    dealers.push({
      ref: c.ref.trim() || code,
      code,
      name: name.slice(0, 300),
      taxId: blankToNull(c.taxId),
      priceColumn: blankToNull(c.priceColumn),
      region: blankToNull(c.region),
      manager: blankToNull(c.manager),
    });
  }
  return { dealers, problems };
}

/**
 * A counterparty's figures and documents. 1C's register splits movements only into receipt (what
 * raised the debt: shipments) and expense (what lowered it); the return documents of the period tell
 * returns apart, and what is left of the expense is payments.
 */
export function settlementsFrom1C(
  period: AccountingPeriod,
  settlements: readonly SourceSettlement[],
  documents: readonly SourceDocument[],
  counterparties: readonly SourceCounterparty[],
): { settlements: DealerSettlementInput[]; problems: MappingProblem[] } {
  const problems: MappingProblem[] = [];
  const codes = new Map(counterparties.map((c) => [c.ref, c.code.trim()]));
  const docsBy = new Map<string, SettlementDocument[]>();
  for (const d of documents) {
    const dealer = codes.get(d.counterpartyRef) ?? d.counterpartyRef;
    const mapped = documentFrom1C(d);
    if ('problem' in mapped) {
      problems.push({ dealer, code: 'invalid_data', message: mapped.problem });
      continue;
    }
    const list = docsBy.get(d.counterpartyRef) ?? [];
    list.push(mapped.document);
    docsBy.set(d.counterpartyRef, list);
  }
  const out: DealerSettlementInput[] = [];
  for (const s of settlements) {
    const dealer = codes.get(s.counterpartyRef) ?? s.counterpartyRef;
    const numbers = [s.opening, s.receipt, s.expense, s.closing].map(money);
    const overdue = s.overdue === null ? null : money(s.overdue);
    const creditLimit = s.creditLimit === null ? null : money(s.creditLimit);
    if (numbers.some((n) => n === undefined) || overdue === undefined || creditLimit === undefined) {
      problems.push({ dealer, code: 'invalid_data', message: `settlements of ${dealer} for ${period.from}…${period.to}: an amount is not a number` });
      continue;
    }
    const [opening, receipt, expense, closing] = numbers as MoneyValue[];
    const docs = docsBy.get(s.counterpartyRef) ?? [];
    const returns = docs.filter((d) => d.kind === 'return').reduce((sum, d) => sum.plus(d.amount), new Money(0));
    out.push({
      dealerRef: s.counterpartyRef,
      dealerCode: codes.get(s.counterpartyRef) ?? null,
      figures: {
        opening: fixed(opening!),
        shipped: fixed(receipt!),
        paid: fixed(expense!.minus(returns)),
        returns: fixed(returns),
        closing: fixed(closing!),
        overdue: overdue === null ? null : fixed(overdue),
        creditLimit: creditLimit === null ? null : fixed(creditLimit),
      },
      documents: docs,
    });
    docsBy.delete(s.counterpartyRef);
  }
  for (const [ref, docs] of docsBy) {
    problems.push({ dealer: codes.get(ref) ?? ref, code: 'invalid_data', message: `${docs.length} document(s) of a counterparty 1C gave no settlements for; not stored` });
  }
  return { settlements: out, problems };
}

function documentFrom1C(d: SourceDocument): { document: SettlementDocument } | { problem: string } {
  const amount = money(d.amount);
  const date = localToInstant(d.date);
  if (!d.ref) return { problem: `a ${d.kind} document without a reference (${d.number})` };
  if (amount === undefined) return { problem: `${d.kind} ${d.number}: amount "${String(d.amount)}" is not a number` };
  if (!date) return { problem: `${d.kind} ${d.number}: date "${d.date}" is not a date` };
  if (!['shipment', 'payment', 'return'].includes(d.kind)) return { problem: `${d.number}: unknown document kind "${d.kind}"` };
  return {
    document: {
      ref: d.ref,
      kind: d.kind,
      number: d.number.trim(),
      date,
      amount: fixed(amount.abs()),
      orderNumber: blankToNull(d.orderNumber),
    },
  };
}

/** 1C's date-times carry no zone; the hub keeps them as given, read as UTC, so the date a statement shows is 1C's date. */
function localToInstant(text: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?/.exec(text);
  if (!match) return undefined;
  const date = new Date(`${match[1]}T${match[2] ?? '00:00:00'}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function money(value: number | string): MoneyValue | undefined {
  try {
    const d = new Money(typeof value === 'string' ? value.trim().replace(/\s/g, '').replace(',', '.') : value);
    return d.isFinite() ? d : undefined;
  } catch {
    return undefined;
  }
}

function fixed(d: MoneyValue): string {
  return d.toFixed(2);
}

function blankToNull(value: string | null | undefined): string | null {
  const t = value?.trim();
  return t ? t : null;
}
