/**
 * UN/EDIFACT ORDERS → core order drafts. Pure and total: never throws; a broken message becomes one
 * entry in `errors` with ref `message <UNH ref>` and the segment position, the other messages of the
 * interchange are still mapped. Interchange-level errors have ref `interchange <UNB ref>`.
 * Interchange warnings (UNZ count/ref mismatch, truncated interchange, no UNB) reject nothing: they are
 * recorded on each draft of that interchange in `transport.edifact.warnings`.
 */
import type { ChannelMapping, ChunkReader, RawPayloadInput } from '../../../core/model/mapping.ts';
import type { InterchangeControls, MappingError, MappingResult, OrderDraft } from '../../../core/model/order.ts';
import { InterchangeAssembler, finishEdifact, type EdifactMessage, type Interchange } from './interchange.ts';
import { EdifactTokenizer, delimitersAt } from './tokenizer.ts';
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
  /** Rejected messages not handed over yet, in message order. */
  errors: MappingError[];
  /** Index in the current chunk's `orders` of the interchange's first draft still held (its drafts are contiguous). */
  firstOrder: number;
  open: boolean;
  /** How many of its groups were known when its control numbers were reported. */
  reportedGroups: number;
}

/** Text handed to the tokenizer at a time: the chunk boundary is checked between slices. */
const SLICE_CHARS = 64 * 1024;

/**
 * Maps one payload holding one or more interchanges of ORDERS messages, streaming: the tokenizer hands
 * each segment to the envelope assembler as soon as it is read, each message is mapped to its draft
 * the moment its UNT closes it, and its segments are dropped then. Interchange warnings are final
 * only at its UNZ (or the next UNB / end of input), so they are recorded on that interchange's drafts
 * then. Results come out in the same order as a whole-payload parse: per interchange, its errors,
 * then its messages' errors; drafts in message order.
 */
export function mapEdifactPayload(payload: RawPayloadInput, options: EdifactMappingOptions | undefined): MappingResult {
  // One chunk of unbounded size is the whole reading.
  for (const whole of mapEdifactChunks(payload, options, Number.POSITIVE_INFINITY)) return whole;
  return { orders: [], errors: [] };
}

/**
 * `mapEdifactPayload` handed over in chunks of `chunkSize` messages (the text is tokenized 64 KiB at a
 * time; the chunks closed meanwhile are handed over after each slice), so only a chunk's drafts are alive at a time.
 * Differences from the whole reading, because earlier chunks are gone when the interchange ends:
 * a message's error comes in the chunk where the message ended; interchange errors (and "no message")
 * come in the last chunk; an interchange warning is recorded on the drafts of that interchange still
 * held when it becomes known (warnings known at UNB reach every draft; a UNZ mismatch only the drafts
 * of the chunk that holds the UNZ). The last chunk is always handed over, empty or not (it holds the interchange-level errors).
 */
export function* mapEdifactChunks(payload: RawPayloadInput, options: EdifactMappingOptions | undefined, chunkSize: number): Generator<MappingResult> {
  const reader = readEdifactChunks(payload, options, chunkSize);
  const body = typeof payload.body === 'string' ? payload.body : '';
  for (let at = 0; at < body.length; at += SLICE_CHARS) yield* reader.feed(body.slice(at, at + SLICE_CHARS));
  yield* reader.end();
}

/**
 * The same reading fed slice by slice (core reads a large body from the archive a slice at a time,
 * so the whole text is never held): each `feed` returns the chunks closed meanwhile, `end` the rest.
 */
export function readEdifactChunks(_payload: Omit<RawPayloadInput, 'body'>, options: EdifactMappingOptions | undefined, chunkSize: number): ChunkReader {
  let chunk: MappingResult = { orders: [], errors: [] };
  let messagesInChunk = 0;
  let sawText = false;
  let broken = false;
  /** Chunks closed while a text slice was tokenized, handed over after it. */
  const ready: MappingResult[] = [];
  const tallies = new Map<Interchange, InterchangeTally>();
  const warn = (interchange: Interchange, tally: InterchangeTally) => {
    if (interchange.warnings.length === 0) return;
    const warnings = interchange.warnings.map((w) => w.message);
    for (let i = tally.firstOrder; i < chunk.orders.length; i++) recordInterchangeWarnings(chunk.orders[i] as OrderDraft, warnings);
  };
  const closeChunk = () => {
    // What is known of an open interchange goes with its drafts; its rejected messages so far too.
    for (const [interchange, tally] of tallies) {
      if (tally.open) warn(interchange, tally);
      chunk.errors.push(...tally.errors);
      tally.errors = [];
      tally.firstOrder = 0;
    }
    ready.push(chunk);
    chunk = { orders: [], errors: [] };
    messagesInChunk = 0;
  };
  const tallyOf = (interchange: Interchange): InterchangeTally => {
    let tally = tallies.get(interchange);
    if (!tally) {
      tally = { errors: [], firstOrder: chunk.orders.length, open: true, reportedGroups: interchange.groups.length };
      // Its control numbers go with the chunk of its first message: core checks them before that chunk is taken in.
      (chunk.interchanges ??= []).push(...controlsOf(interchange));
      tallies.set(interchange, tally);
    }
    return tally;
  };
  const read = (message: EdifactMessage, interchange: Interchange, tally: InterchangeTally) => {
    const ref = `message ${message.ref || '?'}`;
    if (message.type && message.type !== 'ORDERS') {
      // Partners send invoices and despatch advices down the same line: not an order, not an error.
      (chunk.skipped ??= []).push({ ref, reason: `${message.type} is not an order message (this channel reads ORDERS)` });
      return;
    }
    if (message.errors.length > 0) {
      tally.errors.push({ ref, message: message.errors.map((e) => e.message).join('; ') });
      return;
    }
    try {
      chunk.orders.push(orderDraftFrom(readOrdersMessage(message, interchange), options));
    } catch (error) {
      tally.errors.push({ ref, message: `message ${message.ref}: ${error instanceof Error ? error.message : String(error)}` });
    }
  };
  const tokenizer = new EdifactTokenizer();
  const assembler = new InterchangeAssembler((n) => delimitersAt(tokenizer.advices, n), {
    keepMessages: false,
    onMessage(message, interchange) {
      read(message, interchange, tallyOf(interchange));
      if (++messagesInChunk >= chunkSize) closeChunk();
    },
    onInterchange(interchange) {
      const tally = tallies.get(interchange);
      if (!tally) return;
      tally.open = false;
      warn(interchange, tally);
    },
  });
  const crashed = (error: unknown) => {
    broken = true;
    chunk.errors.push({ message: `EDIFACT mapping failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` });
  };

  return {
    feed(text) {
      if (broken) return [];
      if (!sawText && text.trim() !== '') sawText = true;
      try {
        tokenizer.feedTo(text, assembler);
      } catch (error) {
        crashed(error);
      }
      return ready.splice(0);
    },
    end() {
      if (!sawText && !broken) {
        chunk.errors.push({ message: 'body is empty: no EDIFACT interchange' });
        return [...ready.splice(0), chunk];
      }
      if (!broken) {
        try {
          const interchanges = finishEdifact(tokenizer, assembler);
          // Chunks closed by the last segments go first; the interchange-level findings come in the last chunk.
          const closed = ready.splice(0);
          if (interchanges.length === 0) chunk.errors.push({ message: 'body holds no EDIFACT segments' });
          for (const interchange of interchanges) {
            const iref = `interchange ${interchange.header?.controlRef || '?'}`;
            // Envelope findings belong to the payload too: one whose orders all failed still shows them.
            for (const w of interchange.warnings) (chunk.warnings ??= []).push(`${iref}: ${w.message}`);
            const tally = tallies.get(interchange);
            // Not reported yet (no message), or groups opened after its first message: reported now.
            if (!tally || interchange.groups.length > tally.reportedGroups) (chunk.interchanges ??= []).push(...controlsOf(interchange));
            for (const e of interchange.errors) chunk.errors.push({ ref: iref, message: e.message });
            if (!tally && interchange.errors.length === 0) chunk.errors.push({ ref: iref, message: 'the interchange holds no message (no UNH)' });
            if (tally) chunk.errors.push(...tally.errors);
          }
          return [...closed, chunk];
        } catch (error) {
          crashed(error);
        }
      }
      return [...ready.splice(0), chunk];
    },
  };
}

/** The interchange's control numbers, when it has a sender and a number to compare. */
function controlsOf(interchange: Interchange): InterchangeControls[] {
  const header = interchange.header;
  if (!header?.controlRef || !header.sender.id) return [];
  return [{
    syntax: 'edifact',
    sender: partyText(header.sender),
    recipient: partyText(header.recipient),
    controlRef: header.controlRef,
    groups: interchange.groups.map((g) => g.ref).filter((r) => r !== ''),
  }];
}

function partyText(party: { id: string; qualifier?: string }): string {
  return party.qualifier ? `${party.id}:${party.qualifier}` : party.id;
}

export const edifactMapping: ChannelMapping<EdifactMappingOptions> = {
  optionsSchema: EdifactMappingOptionsSchema,
  map: mapEdifactPayload,
  mapChunks: mapEdifactChunks,
  readChunks: readEdifactChunks,
};
export { buildContrl } from './contrl.ts';
export type { ContrlOptions } from './contrl.ts';
