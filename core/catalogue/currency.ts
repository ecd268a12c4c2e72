/**
 * 1C names currencies by its own short names (`руб`, `руб.`), not ISO 4217 (FORMATS.md §6): the
 * rouble's spellings map to RUB, a three-letter code is taken as ISO, anything else is kept as sent
 * (a column's currency is then not an ISO code, and pricing an order in it is refused by currency).
 */
const ROUBLE = new Set(['руб', 'руб.', 'рубль', 'рублей', 'rub', 'rur', '643']);

export function currencyOf(sent: string | undefined): string | null {
  const text = sent?.trim();
  if (!text) return null;
  if (ROUBLE.has(text.toLowerCase())) return 'RUB';
  if (/^[A-Za-z]{3}$/.test(text)) return text.toUpperCase();
  return text;
}
