/**
 * UN/EDIFACT ORDERS → core order drafts. Pure and total: never throws; a broken message becomes one
 * entry in `errors` with ref `message <UNH ref>` and the segment position, the other messages of the
 * interchange are still mapped. Interchange-level errors have ref `interchange <UNB ref>`.
 * Interchange warnings (UNZ count/ref mismatch, truncated interchange, no UNB) reject nothing: they are
 * recorded on each draft of that interchange in `transport.edifact.warnings`.
 */
import type { ChannelMapping, RawPayloadInput } from '../../../core/model/mapping.ts';
import type { MappingError, MappingResult, OrderDraft } from '../../../core/model/order.ts';
import { assembleEdifact, type Interchange } from './interchange.ts';
import { EdifactMappingOptionsSchema, orderDraftFrom, readOrdersMessage, recordInterchangeWarnings, type EdifactMappingOptions } from './orders.ts';

export { tokenize, EdifactTokenizer, escapeData, describePosition, DEFAULT_DELIMITERS, LEVEL_B_DELIMITERS } from './tokenizer.ts';
export type { Delimiters, Segment, SegmentPosition, SegmentSink, TokenizeResult } from './tokenizer.ts';
export { parseEdifact, assembleEdifact, InterchangeAssembler, envelopeDateTime } from './interchange.ts';
export type { Interchange, EdifactMessage, InterchangeHeader, EdifactIssue, PartyId, AssemblerEvents } from './interchange.ts';
export {
  EdifactMappingOptionsSchema,
  DEFAULT_EDIFACT_STATUS_MAP,
  MESSAGE_FUNCTIONS,
  SUPPORTED_ORDERS_RELEASES,
  OrdersError,
  orderDraftFrom,
  readOrdersMessage,
  readEdiNumber,
  recordInterchangeWarnings,
} from './orders.ts';
export type { EdifactMappingOptions, EdifactOrder, EdifactOrderLine, EdifactParty } from './orders.ts';
export { buildOrdrsp, ordrspOrderFromDraft, ordrspDirectory, unitForDirectory, OrdrspBuildError } from './ordrsp.ts';
export type { OrdrspOrder, OrdrspOrderLine, OrdrspLineResult, OrdrspOptions } from './ordrsp.ts';

/** What one interchange contributed while it streamed past. */
interface InterchangeTally {
  messages: number;
  /** UNH references, reported with the interchange's control numbers. */
  refs: string[];
  /** Rejected messages, in message order. */
  errors: MappingError[];
  /** Index in `result.orders` of the interchange's first draft (its drafts are contiguous). */
  firstOrder: number;
}

/**
 * Maps one payload holding one or more interchanges of ORDERS messages, streaming: the tokenizer hands
 * each segment to the envelope assembler as soon as it is read, each message is mapped to its draft
 * the moment its UNT closes it, and its segments are dropped then. Interchange warnings are final
 * only at its UNZ (or the next UNB / end of input), so they are recorded on that interchange's drafts
 * then. Results come out in the same order as a whole-payload parse: per interchange, its errors,
 * then its messages' errors; drafts in message order.
 */
export function mapEdifactPayload(payload: RawPayloadInput, options: EdifactMappingOptions | undefined): MappingResult {
  const result: MappingResult = { orders: [], errors: [] };
  try {
    if (typeof payload.body !== 'string' || payload.body.trim() === '') {
      result.errors.push({ message: 'body is empty: no EDIFACT interchange' });
      return result;
    }
    const tallies = new Map<Interchange, InterchangeTally>();
    const tallyOf = (interchange: Interchange): InterchangeTally => {
      let tally = tallies.get(interchange);
      if (!tally) {
        tally = { messages: 0, refs: [], errors: [], firstOrder: result.orders.length };
        tallies.set(interchange, tally);
      }
      return tally;
    };
    const interchanges = assembleEdifact(payload.body, {
      keepMessages: false,
      onMessage(message, interchange) {
        const tally = tallyOf(interchange);
        tally.messages++;
        if (message.ref) tally.refs.push(message.ref);
        const ref = `message ${message.ref || '?'}`;
        if (message.type && message.type !== 'ORDERS') {
          // Partners send invoices and despatch advices down the same line: not an order, not an error.
          (result.skipped ??= []).push({ ref, reason: `${message.type} is not an order message (this channel reads ORDERS)` });
          return;
        }
        if (message.errors.length > 0) {
          tally.errors.push({ ref, message: message.errors.map((e) => e.message).join('; ') });
          return;
        }
        try {
          result.orders.push(orderDraftFrom(readOrdersMessage(message, interchange), options));
        } catch (error) {
          tally.errors.push({ ref, message: `message ${message.ref}: ${error instanceof Error ? error.message : String(error)}` });
        }
      },
      onInterchange(interchange) {
        const tally = tallies.get(interchange);
        if (!tally || interchange.warnings.length === 0) return;
        const warnings = interchange.warnings.map((w) => w.message);
        for (let i = tally.firstOrder; i < result.orders.length; i++) recordInterchangeWarnings(result.orders[i] as OrderDraft, warnings);
      },
    });
    if (interchanges.length === 0) result.errors.push({ message: 'body holds no EDIFACT segments' });
    for (const interchange of interchanges) {
      const iref = `interchange ${interchange.header?.controlRef || '?'}`;
      // Envelope findings belong to the payload too: one whose orders all failed still shows them.
      for (const w of interchange.warnings) (result.warnings ??= []).push(`${iref}: ${w.message}`);
      const header = interchange.header;
      if (header?.controlRef && header.sender.id) {
        (result.interchanges ??= []).push({
          syntax: 'edifact',
          sender: partyText(header.sender),
          recipient: partyText(header.recipient),
          controlRef: header.controlRef,
          groups: interchange.groups.map((g) => g.ref).filter((r) => r !== ''),
          messages: tallies.get(interchange)?.refs ?? [],
        });
      }
      for (const e of interchange.errors) result.errors.push({ ref: iref, message: e.message });
      const tally = tallies.get(interchange);
      if (!tally && interchange.errors.length === 0) result.errors.push({ ref: iref, message: 'the interchange holds no message (no UNH)' });
      if (tally) for (const e of tally.errors) result.errors.push(e);
    }
  } catch (error) {
    result.errors.push({ message: `EDIFACT mapping failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` });
  }
  return result;
}

function partyText(party: { id: string; qualifier?: string }): string {
  return party.qualifier ? `${party.id}:${party.qualifier}` : party.id;
}

export const edifactMapping: ChannelMapping<EdifactMappingOptions> = {
  optionsSchema: EdifactMappingOptionsSchema,
  map: mapEdifactPayload,
};
export { buildContrl } from './contrl.ts';
export type { ContrlOptions } from './contrl.ts';
