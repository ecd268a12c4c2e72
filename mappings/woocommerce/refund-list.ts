import type { RawPayloadInput } from '../../core/model/mapping.ts';
import type { MappingError, MappingResult, OrderRefundDraft } from '../../core/model/order.ts';
import { MONEY_SCALE, formatDecimal } from '../common/money.ts';
import { stripNul, stripNulDeep } from '../common/text.ts';
import { decodeHtmlEntities } from './entities.ts';
import { OrderMappingError, array, gmtDate, idOf, isObject, metaList, metaValue, money, moneyOr0, scaled, text, type Json } from './json.ts';

/**
 * WooCommerce refund lists (`GET /wp-json/wc/v3/orders/<id>/refunds`, archived as payloads of their
 * own by the connector) → refund details of order <id>. Pure and total like the order mapping.
 * Docs: https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-refunds
 *
 * Per refund: `amount` (positive), `reason` (entity-decoded), `refundedAt` from `date_created_gmt`
 * (UTC; `date_created` is in the site's zone and is not read), and `lines` read from `line_items`,
 * and from `shipping_lines` / `fee_lines` when the store sends them. WooCommerce sends refunded
 * quantities and amounts negative; each line is
 * `{ kind, externalId, orderLineExternalId?, productId?, variationId?, sku?, name, quantity, amount, tax }`
 * with quantity, amount (`total`, ex tax) and tax (`total_tax`) positive decimal strings, and
 * `orderLineExternalId` the order's line item id from the line's `_refunded_item_id` meta.
 * `refunded_by` (a WordPress user id) and `refunded_payment` are not kept.
 */

/** The order id of a refund list (or one refund) by the request it answered: `…/wc/v3/orders/<id>/refunds[/<refund id>]`. */
export function refundListOrderId(source: string | null | undefined): string | undefined {
  if (!source) return undefined;
  return /\/wc\/v3\/orders\/(\d+)\/refunds(?:\/\d+)?\/?(?:[?#]|$)/.exec(source)?.[1];
}

function positive(value: unknown, field: string): string {
  return formatDecimal(money(value, field).abs());
}

function positiveOr0(value: unknown, field: string): string {
  return formatDecimal(moneyOr0(value, field).abs());
}

function refundLine(kind: 'product' | 'shipping' | 'fee', raw: unknown, where: string): Record<string, unknown> {
  if (!isObject(raw)) throw new OrderMappingError(`${where} is not an object`);
  const line: Record<string, unknown> = { kind };
  const externalId = idOf(raw.id);
  if (externalId) line.externalId = externalId;
  const refunded = metaValue(metaList(raw.meta_data), '_refunded_item_id');
  if (refunded) line.orderLineExternalId = refunded;
  if (kind === 'product') {
    const productId = idOf(raw.product_id);
    if (productId && productId !== '0') line.productId = productId;
    const variationId = idOf(raw.variation_id);
    if (variationId && variationId !== '0') line.variationId = variationId;
    const sku = text(raw.sku);
    if (sku) line.sku = sku;
  }
  const name = kind === 'shipping' ? (raw.method_title ?? raw.method_id) : raw.name;
  line.name = typeof name === 'string' ? decodeHtmlEntities(name) : '';
  line.quantity = kind === 'product' ? positive(raw.quantity, `${where}.quantity`) : '1';
  line.amount = positive(raw.total, `${where}.total`);
  line.tax = positiveOr0(raw.total_tax, `${where}.total_tax`);
  return line;
}

function refundDetail(raw: Json, where: string): OrderRefundDraft {
  const externalId = idOf(raw.id);
  if (!externalId) throw new OrderMappingError(`${where} has no id`);
  const amount = scaled(money(raw.amount, `${where}.amount`).abs(), MONEY_SCALE, `${where}.amount`, {}, 'amount');
  const lines = [
    ...array(raw.line_items).map((line, i) => refundLine('product', line, `${where}.line_items[${i}]`)),
    ...array(raw.shipping_lines).map((line, i) => refundLine('shipping', line, `${where}.shipping_lines[${i}]`)),
    ...array(raw.fee_lines).map((line, i) => refundLine('fee', line, `${where}.fee_lines[${i}]`)),
  ];
  const refund: OrderRefundDraft = { externalId, amount: formatDecimal(amount), lines };
  const reason = text(raw.reason);
  if (reason) refund.reason = decodeHtmlEntities(reason);
  const refundedAt = gmtDate(raw.date_created_gmt);
  if (refundedAt) refund.refundedAt = refundedAt;
  return refund;
}

/**
 * Maps a refund list of order `orderExternalId` (a JSON array; one refund object is read as a list of
 * one). A refund that cannot be read is an error naming the order and the refund; the others are
 * still read. No orders come out, only `refundDetails`.
 */
export function mapWooRefundList(payload: RawPayloadInput, orderExternalId: string): MappingResult {
  const result: MappingResult = { orders: [], errors: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.body);
  } catch (error) {
    result.errors.push({ ref: orderExternalId, message: `refund list is not JSON: ${(error as Error).message}` });
    return result;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const refunds: OrderRefundDraft[] = [];
  items.forEach((item, index) => {
    const where = `refunds[${index}]`;
    const ref = `${orderExternalId} refund ${isObject(item) ? (idOf(item.id) ?? `#${index}`) : `#${index}`}`;
    try {
      if (!isObject(item)) throw new OrderMappingError(`${where}: expected a refund object, got ${item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item}`);
      refunds.push(refundDetail(item, where));
    } catch (error) {
      const mappingError: MappingError = { ref: stripNul(ref), message: stripNul(error instanceof Error ? error.message : String(error)) };
      result.errors.push(mappingError);
    }
  });
  if (refunds.length > 0) result.refundDetails = [{ orderExternalId, refunds: stripNulDeep(refunds) }];
  return result;
}
