import { Decimal } from 'decimal.js';
import type { SettlementsView } from '../model/settlements.ts';

/**
 * The reconciliation statement (акт сверки взаимных расчётов) of a dealer for a period, as Russian
 * accountants lay it out: opening balance, each document with the debit (our shipments) or credit
 * (their payments and returns) side, turnovers, closing balance, and the sentence saying who owes whom.
 * statement-csv.ts and statement-pdf.ts render it.
 */
export interface StatementLine {
  date: string | null;
  text: string;
  debit: string | null;
  credit: string | null;
}

export interface Statement {
  title: string;
  parties: string;
  lines: StatementLine[];
  conclusion: string;
  fileName: string;
}

const KIND_TEXT = { shipment: 'Реализация (отгрузка)', payment: 'Оплата', return: 'Возврат' } as const;

export function buildStatement(view: SettlementsView, options: { supplier?: string | undefined } = {}): Statement {
  const supplier = options.supplier ?? 'Поставщик';
  const balance = (label: string, amount: string): StatementLine => {
    const d = new Decimal(amount);
    return { date: null, text: label, debit: d.gt(0) ? money(d) : null, credit: d.lt(0) ? money(d.abs()) : null };
  };
  const documents = view.documents.map((d): StatementLine => {
    const text = `${KIND_TEXT[d.kind]} № ${d.number}${d.orderNumber ? ` (заказ ${d.orderNumber})` : ''}`;
    return { date: ruDate(d.date.slice(0, 10)), text, debit: d.kind === 'shipment' ? money(new Decimal(d.amount)) : null, credit: d.kind === 'shipment' ? null : money(new Decimal(d.amount)) };
  });
  // The turnovers are 1C's figures (they hold movements without documents too), not only the sum of the lines.
  const turnoverDebit = new Decimal(view.shipped);
  const turnoverCredit = new Decimal(view.paid).plus(view.returns);
  const closing = new Decimal(view.closing);
  const dealer = `${view.dealer.name}${view.dealer.taxId ? ` (ИНН ${view.dealer.taxId})` : ''}`;
  const conclusion = closing.isZero()
    ? `На ${ruDate(view.to)} задолженность отсутствует.`
    : closing.gt(0)
      ? `На ${ruDate(view.to)} задолженность ${dealer} в пользу ${supplier} составляет ${money(closing)} ${currencyWord(view.currency)}`
      : `На ${ruDate(view.to)} задолженность ${supplier} в пользу ${dealer} составляет ${money(closing.abs())} ${currencyWord(view.currency)}`;
  return {
    title: `Акт сверки взаимных расчетов за период ${ruDate(view.from)} – ${ruDate(view.to)}`,
    parties: `между ${supplier} и ${dealer}`,
    lines: [
      balance('Сальдо начальное', view.opening),
      ...documents,
      { date: null, text: 'Обороты за период', debit: money(turnoverDebit), credit: money(turnoverCredit) },
      balance('Сальдо конечное', view.closing),
    ],
    conclusion,
    fileName: `akt-sverki-${view.dealer.code}-${view.from}-${view.to}`,
  };
}

/** 1 234,50: the way a Russian Excel and a Russian reader take an amount. */
export function money(d: Decimal): string {
  const [whole, cents] = d.toFixed(2).split('.');
  return `${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')},${cents}`;
}

function ruDate(day: string): string {
  const [y, m, d] = day.split('-');
  return `${d}.${m}.${y}`;
}

function currencyWord(currency: string): string {
  return currency === 'RUB' ? 'руб.' : currency;
}
