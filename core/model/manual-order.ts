import { Decimal as BaseDecimal } from 'decimal.js';
import { Type, type Static } from '@sinclair/typebox';
import { AddressSchema, IsoDate, MoneyString } from './common.ts';
import { CustomerSchema } from './order.ts';

// Room for quantity × price of the widest amounts without rounding; never the global config.
const Decimal = BaseDecimal.clone({ precision: 40 });
type Decimal = InstanceType<typeof Decimal>;

/** A rate such as "27" (percent). */
const RateString = Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,2})?$', description: 'tax rate in percent' });

const lineFields = {
  sku: Type.Optional(Type.String({ minLength: 1 })),
  name: Type.String({ minLength: 1 }),
  quantity: MoneyString,
  /** Net unit price (before tax). */
  unitPrice: MoneyString,
  /** Amount off the line, net. */
  discount: Type.Optional(MoneyString),
  taxRate: Type.Optional(RateString),
  attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};

export const ManualLineSchema = Type.Object(lineFields);
export type ManualLine = Static<typeof ManualLineSchema>;

/**
 * A line as ordered: for a dealer's purchase the unit price may be left out, and the hub prices it
 * from the dealer's price column at the moment of ordering (core/catalogue/dealer-prices.ts).
 */
export const OrderedLineSchema = Type.Object({
  ...lineFields,
  unitPrice: Type.Optional(Type.String({ ...MoneyString, description: "net unit price; may be left out on a dealer's purchase (dealerCode): priced from the dealer's price column then" })),
});
export type OrderedLine = Static<typeof OrderedLineSchema>;

/** What an operator (or a quote) states about an order; prices are net, tax comes from the rates. */
export const ManualOrderContentSchema = Type.Object({
  customer: CustomerSchema,
  billingAddress: Type.Optional(AddressSchema),
  shippingAddress: Type.Optional(AddressSchema),
  region: Type.Optional(Type.String()),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  lines: Type.Array(ManualLineSchema, { minItems: 1 }),
  shipping: Type.Optional(Type.Object({ name: Type.String({ minLength: 1 }), amount: MoneyString, taxRate: Type.Optional(RateString) })),
  notes: Type.Optional(Type.String()),
  desiredDeliveryDate: Type.Optional(IsoDate),
});
export type ManualOrderContent = Static<typeof ManualOrderContentSchema>;

/** How the order reached the operator. */
export const ManualOrderViaSchema = Type.String({ pattern: '^[a-z][a-z0-9_-]{1,39}$', description: 'phone, email, field_rep, new_deal, quote, or your own' });

/** The buyer is a dealer (a dealer's own purchase, e.g. from the dealer portal): its exclusivity is checked line by line. */
export const DealerBuyerSchema = Type.String({
  minLength: 1,
  maxLength: 100,
  description: "the dealer code when the buyer is a dealer: a purchase that breaks regional exclusivity is refused line by line (409)",
});

export const ManualOrderInputSchema = Type.Intersect([
  Type.Omit(ManualOrderContentSchema, ['lines']),
  Type.Object({
    lines: Type.Array(OrderedLineSchema, { minItems: 1 }),
    dealerCode: Type.Optional(DealerBuyerSchema),
    /** Operator recording the order on the buyer's behalf. */
    operator: Type.String({ minLength: 1 }),
    via: ManualOrderViaSchema,
    /** The caller's own id for the order; repeats of it are the same order. */
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    number: Type.Optional(Type.String()),
  }),
]);
export type ManualOrderInput = Static<typeof ManualOrderInputSchema>;

export interface PricedLine {
  line: ManualLine;
  subtotal: string;
  discount: string;
  total: string;
  tax: string;
}

export interface PricedOrder {
  lines: PricedLine[];
  shipping?: { name: string; amount: string; tax: string };
  totals: { subtotal: string; discount: string; shipping: string; fee: string; tax: string; total: string };
}

const money = (d: Decimal) => d.toDecimalPlaces(4, BaseDecimal.ROUND_HALF_UP).toFixed();

/**
 * Prices an order or quote from net unit prices: line subtotal = quantity × unit price, total =
 * subtotal − discount, tax = total × rate (rounded half-up to 2 places per line, as invoices do);
 * order total = Σ line totals + shipping + Σ taxes. Decimal arithmetic only.
 */
export function priceOrder(content: ManualOrderContent): PricedOrder {
  const lines = content.lines.map((line) => {
    const subtotal = new Decimal(line.quantity).times(line.unitPrice);
    const discount = new Decimal(line.discount ?? 0);
    const total = subtotal.minus(discount);
    const tax = total.times(line.taxRate ?? 0).dividedBy(100).toDecimalPlaces(2, BaseDecimal.ROUND_HALF_UP);
    return { line, subtotal, discount, total, tax };
  });
  const shippingAmount = new Decimal(content.shipping?.amount ?? 0);
  const shippingTax = shippingAmount.times(content.shipping?.taxRate ?? 0).dividedBy(100).toDecimalPlaces(2, BaseDecimal.ROUND_HALF_UP);
  const sum = (values: Decimal[]) => values.reduce((a, b) => a.plus(b), new Decimal(0));
  const tax = sum(lines.map((l) => l.tax)).plus(shippingTax);
  const net = sum(lines.map((l) => l.total));
  return {
    lines: lines.map((l) => ({ line: l.line, subtotal: money(l.subtotal), discount: money(l.discount), total: money(l.total), tax: money(l.tax) })),
    ...(content.shipping && { shipping: { name: content.shipping.name, amount: money(shippingAmount), tax: money(shippingTax) } }),
    totals: {
      subtotal: money(sum(lines.map((l) => l.subtotal))),
      discount: money(sum(lines.map((l) => l.discount))),
      shipping: money(shippingAmount),
      fee: '0',
      tax: money(tax),
      total: money(net.plus(shippingAmount).plus(tax)),
    },
  };
}
