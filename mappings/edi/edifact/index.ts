/**
 * UN/EDIFACT ORDERS → core order drafts. Pure and total: never throws; a broken message becomes one
 * entry in `errors` with ref `message <UNH ref>` and the segment position, the other messages of the
 * interchange are still mapped. Interchange-level errors have ref `interchange <UNB ref>`.
 * Interchange warnings (UNZ count/ref mismatch, truncated interchange, no UNB) reject nothing: they are
 * recorded on each draft of that interchange in `transport.edifact.warnings`.
 */
import type { ChannelMapping, RawPayloadInput } from '../../../core/model/mapping.ts';
import type { MappingResult } from '../../../core/model/order.ts';
import { parseEdifact } from './interchange.ts';
import { EdifactMappingOptionsSchema, orderDraftFrom, readOrdersMessage, type EdifactMappingOptions } from './orders.ts';

export { tokenize, EdifactTokenizer, escapeData, describePosition, DEFAULT_DELIMITERS, LEVEL_B_DELIMITERS } from './tokenizer.ts';
export type { Delimiters, Segment, SegmentPosition, TokenizeResult } from './tokenizer.ts';
export { parseEdifact, InterchangeAssembler, decodeEdifactBytes, envelopeDateTime } from './interchange.ts';
export type { Interchange, EdifactMessage, InterchangeHeader, EdifactIssue, PartyId } from './interchange.ts';
export {
  EdifactMappingOptionsSchema,
  DEFAULT_EDIFACT_STATUS_MAP,
  MESSAGE_FUNCTIONS,
  SUPPORTED_ORDERS_RELEASES,
  OrdersError,
  orderDraftFrom,
  readOrdersMessage,
  readEdiNumber,
} from './orders.ts';
export type { EdifactMappingOptions, EdifactOrder, EdifactOrderLine, EdifactParty } from './orders.ts';
export { buildOrdrsp, ordrspOrderFromDraft, OrdrspBuildError } from './ordrsp.ts';
export type { OrdrspOrder, OrdrspOrderLine, OrdrspLineResult, OrdrspOptions } from './ordrsp.ts';

/** Maps one payload holding one or more interchanges of ORDERS messages. */
export function mapEdifactPayload(payload: RawPayloadInput, options: EdifactMappingOptions | undefined): MappingResult {
  const result: MappingResult = { orders: [], errors: [] };
  try {
    if (typeof payload.body !== 'string' || payload.body.trim() === '') {
      result.errors.push({ message: 'body is empty: no EDIFACT interchange' });
      return result;
    }
    const interchanges = parseEdifact(payload.body);
    if (interchanges.length === 0) result.errors.push({ message: 'body holds no EDIFACT segments' });
    for (const interchange of interchanges) {
      const iref = `interchange ${interchange.header?.controlRef || '?'}`;
      for (const e of interchange.errors) result.errors.push({ ref: iref, message: e.message });
      const warnings = interchange.warnings.map((w) => w.message);
      if (interchange.messages.length === 0 && interchange.errors.length === 0) result.errors.push({ ref: iref, message: 'the interchange holds no message (no UNH)' });
      for (const message of interchange.messages) {
        const ref = `message ${message.ref || '?'}`;
        if (message.errors.length > 0) {
          result.errors.push({ ref, message: message.errors.map((e) => e.message).join('; ') });
          continue;
        }
        try {
          result.orders.push(orderDraftFrom(readOrdersMessage(message, interchange), options, warnings));
        } catch (error) {
          result.errors.push({ ref, message: `message ${message.ref}: ${error instanceof Error ? error.message : String(error)}` });
        }
      }
    }
  } catch (error) {
    result.errors.push({ message: `EDIFACT mapping failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` });
  }
  return result;
}

export const edifactMapping: ChannelMapping<EdifactMappingOptions> = {
  optionsSchema: EdifactMappingOptionsSchema,
  map: mapEdifactPayload,
};
