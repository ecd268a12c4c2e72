import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ManualOrderInputSchema, priceOrder, type ManualOrderContent, type ManualOrderInput } from '../../core/model/manual-order.ts';
import type { ChannelMapping, RawPayloadInput } from '../../core/model/mapping.ts';
import type { MappingResult, OrderDraft, OrderLineDraft } from '../../core/model/order.ts';

/**
 * Manual orders recorded by an operator (phone, e-mail, field rep, new deal, accepted quote). The
 * API archives `{ receivedAt, order: ManualOrderInput }` and this mapping prices it into a draft.
 */
export interface ManualPayload {
  /** When the hub received it: the order's placed-at. */
  receivedAt: string;
  /** The hub's id for the order when the caller gave none. */
  externalId: string;
  order: ManualOrderInput;
}

const checkInput = TypeCompiler.Compile(ManualOrderInputSchema);

export const manualMapping: ChannelMapping<Record<string, never>> = {
  optionsSchema: Type.Object({}, { additionalProperties: false }),
  map(payload: RawPayloadInput): MappingResult {
    let parsed: ManualPayload;
    try {
      parsed = JSON.parse(payload.body) as ManualPayload;
    } catch (error) {
      return { orders: [], errors: [{ message: `not JSON: ${(error as Error).message}` }] };
    }
    const ref = parsed?.order?.externalId ?? parsed?.externalId;
    if (!checkInput.Check(parsed?.order)) {
      const first = checkInput.Errors(parsed?.order).First();
      const field = first?.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
      return { orders: [], errors: [{ ref, message: `order.${field}: ${first?.message ?? 'is not a manual order'}` }] };
    }
    const unpriced = parsed.order.lines.findIndex((l) => l.unitPrice === undefined);
    if (unpriced >= 0) return { orders: [], errors: [{ ref, message: `order.lines.${unpriced}.unitPrice: the line has no unit price (the hub prices a dealer's purchase before archiving it)` }] };
    return { orders: [toDraft(parsed)], errors: [] };
  },
};

function toDraft({ order, receivedAt, externalId }: ManualPayload): OrderDraft {
  // Every line has its price here (map() checked it).
  const priced = priceOrder(order as ManualOrderContent);
  const lines: OrderLineDraft[] = priced.lines.map(({ line, subtotal, discount, total, tax }) => ({
    kind: 'product',
    ...(line.sku && { sku: line.sku }),
    name: line.name,
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    subtotal,
    discount,
    tax,
    total,
    attributes: { ...(line.attributes ?? {}), ...(line.taxRate && { taxRate: line.taxRate }) },
  }));
  if (priced.shipping) {
    const { name, amount, tax } = priced.shipping;
    lines.push({ kind: 'shipping', name, quantity: '1', unitPrice: amount, subtotal: amount, discount: '0', tax, total: amount, attributes: {} });
  }
  return {
    externalId: order.externalId ?? externalId,
    ...(order.number && { number: order.number }),
    status: 'received',
    sourceStatus: 'recorded',
    source: { user: order.operator, createdVia: order.via, ...(order.dealerCode && { dealerCode: order.dealerCode }) },
    customer: order.customer,
    ...(order.billingAddress && { billingAddress: order.billingAddress }),
    ...(order.shippingAddress && { shippingAddress: order.shippingAddress }),
    ...(order.region && { region: order.region }),
    currency: order.currency,
    totals: priced.totals,
    lines,
    ...(order.notes && { notes: order.notes }),
    ...(order.desiredDeliveryDate && { desiredDeliveryDate: order.desiredDeliveryDate }),
    placedAt: receivedAt,
    sourceUpdatedAt: receivedAt,
  };
}
