import { Decimal as BaseDecimal } from 'decimal.js';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { IsoDateTime, MoneyString } from '../../core/model/common.ts';
import type { ChannelMapping, RawPayloadInput } from '../../core/model/mapping.ts';
import type { MappingError, MappingResult, OrderDraft, OrderLineDraft } from '../../core/model/order.ts';

// Room for quantity × price of the widest amounts without rounding; never the global config.
const Decimal = BaseDecimal.clone({ precision: 40 });
type Decimal = InstanceType<typeof Decimal>;

/**
 * A completed POS sale as a terminal pushes it. Prices are gross (tax included), as on the
 * receipt. A terminal that was offline may push several sales at once (`{ "sales": [...] }`).
 */
export const PosSaleSchema = Type.Object({
  receiptId: Type.String({ minLength: 1 }),
  terminalId: Type.String({ minLength: 1 }),
  completedAt: IsoDateTime,
  cashier: Type.Optional(Type.String()),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  lines: Type.Array(
    Type.Object({
      sku: Type.Optional(Type.String()),
      name: Type.String({ minLength: 1 }),
      /** Negative on a return receipt. */
      quantity: MoneyString,
      /** Gross unit price. */
      unitPrice: MoneyString,
      discount: Type.Optional(MoneyString),
      taxRate: Type.Optional(Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,2})?$' })),
    }),
    { minItems: 1 },
  ),
  payments: Type.Optional(Type.Array(Type.Object({ method: Type.String(), amount: MoneyString }))),
  /** Cash rounding on the receipt (e.g. to 5 Ft in Hungary), signed; total = Σ lines + rounding. */
  rounding: Type.Optional(MoneyString),
  /** The receipt's grand total; checked against the lines. */
  total: MoneyString,
  customer: Type.Optional(Type.Object({ name: Type.Optional(Type.String()), email: Type.Optional(Type.String()), taxNumber: Type.Optional(Type.String()) })),
});
export type PosSale = Static<typeof PosSaleSchema>;

const checkSale = TypeCompiler.Compile(PosSaleSchema);
const money = (d: Decimal) => d.toDecimalPlaces(4, BaseDecimal.ROUND_HALF_UP).toFixed();

export const posMapping: ChannelMapping<{ storeCode?: string }> = {
  optionsSchema: Type.Object({ storeCode: Type.Optional(Type.String()) }, { additionalProperties: false }),
  map(payload: RawPayloadInput, options): MappingResult {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.body);
    } catch (error) {
      return { orders: [], errors: [{ message: `not JSON: ${(error as Error).message}` }] };
    }
    const sales = Array.isArray((parsed as { sales?: unknown })?.sales) ? (parsed as { sales: unknown[] }).sales : [parsed];
    const orders: OrderDraft[] = [];
    const errors: MappingError[] = [];
    sales.forEach((sale, index) => {
      const ref = receiptRef(sale) ?? `sale ${index + 1}`;
      if (!checkSale.Check(sale)) {
        const first = checkSale.Errors(sale).First();
        errors.push({ ref, message: `${first?.path.replace(/^\//, '').replace(/\//g, '.') || '(root)'}: ${first?.message ?? 'not a POS sale'}` });
        return;
      }
      const draft = toDraft(sale, options?.storeCode);
      if (typeof draft === 'string') errors.push({ ref, message: draft });
      else orders.push(draft);
    });
    return { orders, errors };
  },
};

function receiptRef(sale: unknown): string | undefined {
  const s = sale as { terminalId?: unknown; receiptId?: unknown };
  return typeof s?.receiptId === 'string' ? `${String(s.terminalId ?? '?')}/${s.receiptId}` : undefined;
}

function toDraft(sale: PosSale, storeCode: string | undefined): OrderDraft | string {
  let gross = new Decimal(0);
  let taxTotal = new Decimal(0);
  let discountTotal = new Decimal(0);
  const lines: OrderLineDraft[] = sale.lines.map((line) => {
    const subtotal = new Decimal(line.quantity).times(line.unitPrice);
    const discount = new Decimal(line.discount ?? 0);
    const total = subtotal.minus(discount);
    // Gross prices: the tax is the part of the total above its net value.
    const rate = new Decimal(line.taxRate ?? 0);
    const tax = total.times(rate).dividedBy(rate.plus(100)).toDecimalPlaces(2, BaseDecimal.ROUND_HALF_UP);
    gross = gross.plus(total);
    taxTotal = taxTotal.plus(tax);
    discountTotal = discountTotal.plus(discount);
    return {
      kind: 'product',
      ...(line.sku && { sku: line.sku }),
      name: line.name,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      subtotal: money(subtotal),
      discount: money(discount),
      tax: money(tax),
      total: money(total),
      attributes: { pricesIncludeTax: true, ...(line.taxRate && { taxRate: line.taxRate }) },
    };
  });
  const rounding = new Decimal(sale.rounding ?? 0);
  if (!gross.plus(rounding).equals(sale.total)) {
    return `receipt total ${sale.total} does not match its lines (${money(gross)}${rounding.isZero() ? '' : ` ${rounding.isNegative() ? '−' : '+'} rounding ${money(rounding.abs())}`})`;
  }
  if (!rounding.isZero()) {
    // Booked as a fee line so lines and totals still add up.
    lines.push({ kind: 'fee', name: 'Cash rounding', quantity: '1', unitPrice: money(rounding), subtotal: money(rounding), discount: '0', tax: '0', total: money(rounding), attributes: { pricesIncludeTax: true } });
  }
  const externalId = `${sale.terminalId}/${sale.receiptId}`;
  return {
    externalId,
    number: sale.receiptId,
    status: 'completed',
    sourceStatus: 'completed',
    source: {
      ...(storeCode && { store: storeCode }),
      ...(sale.cashier && { user: sale.cashier }),
      createdVia: 'pos',
      terminal: sale.terminalId,
      ...(sale.payments && { payments: sale.payments }),
    } as OrderDraft['source'],
    customer: sale.customer ?? {},
    currency: sale.currency,
    totals: { subtotal: money(gross.plus(discountTotal)), discount: money(discountTotal), shipping: '0', fee: money(rounding), tax: money(taxTotal), total: money(gross.plus(rounding)) },
    lines,
    placedAt: new Date(sale.completedAt).toISOString(),
    sourceUpdatedAt: new Date(sale.completedAt).toISOString(),
  };
}
