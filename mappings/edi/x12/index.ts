import type { ChannelMapping, ChunkReader, RawPayloadInput } from '../../../core/model/mapping.ts';
import type { InterchangeControls, MappingError, MappingResult, OrderDraft } from '../../../core/model/order.ts';
import { map850Set, parse850, X12MappingOptionsSchema, type X12MappingOptions, type X12PurchaseOrder, type X12SourceInfo } from './850.ts';
import { setRef, X12StreamReader, type X12Group, type X12Interchange } from './interchange.ts';
import { formatPosition } from './tokenizer.ts';

export {
  BEG_PURPOSES,
  DEFAULT_X12_STATUS_MAP,
  UNKNOWN_X12_STATUS,
  X12MappingOptionsSchema,
  X12SetError,
  map850Set,
  map850ToDraft,
  mapX12Status,
  parse850,
  skuOf,
  x12Date,
  x12Instant,
} from './850.ts';
export type { X12Contact, X12MappingOptions, X12Party, X12PoLine, X12ProductId, X12PurchaseOrder, X12Reference, X12SourceInfo } from './850.ts';
export { build855, X12BuildError } from './855.ts';
export type { Build855Options, X12AckLine, X12AckStatus, X12ControlNumbers } from './855.ts';
export { parseX12, setRef, X12EnvelopeReader, X12StreamReader } from './interchange.ts';
export type { X12Document, X12EnvelopeEvents, X12Group, X12GroupHeader, X12Interchange, X12InterchangeHeader, X12Issue, X12RejectedSet, X12TransactionSet } from './interchange.ts';
export { components, element, formatPosition, readIsaHeader, repetitions, tokenizeX12, value, X12Scanner } from './tokenizer.ts';
export type { X12Delimiters, X12Position, X12Segment, X12TokenSink, X12Tokens } from './tokenizer.ts';

/**
 * X12 850 payloads (one or more interchanges) → core order drafts. Pure and total: never throws.
 *
 * - Every accepted 850 transaction set becomes one draft (see 850.ts for the field decisions).
 * - A set that fails its SE count/control number, or that cannot be read (no BEG, bad quantity…), is an
 *   error with ref `ST <control number>` and a message naming the segment and its position; the other
 *   sets of the payload are still mapped.
 * - A transaction set of another type (855, 997, 810…) is skipped, not an error: this channel takes 850s.
 * - Structural errors outside any set (no ISA, stray segments) are errors without a set ref.
 * - Envelope warnings (GE/IEA counts and control numbers, missing trailers) and control-total findings
 *   (CTT, AMT) do not fail anything: they are kept on each affected draft in `transport.x12.warnings`.
 */
export function mapX12Payload(payload: RawPayloadInput, options: X12MappingOptions | undefined): MappingResult {
  // One chunk of unbounded size is the whole reading.
  for (const whole of mapX12Chunks(payload, options, Number.POSITIVE_INFINITY)) return whole;
  return { orders: [], errors: [] };
}

/** Text handed to the reader at a time by mapX12Chunks: the chunk boundary is checked between slices. */
const SLICE_CHARS = 64 * 1024;

/**
 * `mapX12Payload` handed over in chunks of `chunkSize` transaction sets: the text is read 64 KiB at a
 * time through the streaming reader (readX12Chunks), so only the current set and one chunk's drafts are
 * alive at once. The last chunk is always handed over, empty or not.
 */
export function* mapX12Chunks(payload: RawPayloadInput, options: X12MappingOptions | undefined, chunkSize: number): Generator<MappingResult> {
  const reader = readX12Chunks(payload, options, chunkSize);
  const body = typeof payload.body === 'string' ? payload.body : '';
  for (let at = 0; at < body.length; at += SLICE_CHARS) yield* reader.feed(body.slice(at, at + SLICE_CHARS));
  yield* reader.end();
}

/**
 * The first 850 of a payload that `matches` (e.g. the one an order's draft came from, for its 855): the
 * text is read set by set and no further once it is found; no other set is kept. Its envelope warnings
 * are those known when it was read (an 855 needs none).
 */
export function findPurchaseOrder(text: string, matches: (po: X12PurchaseOrder) => boolean): X12PurchaseOrder | undefined {
  let found: X12PurchaseOrder | undefined;
  const reader = new X12StreamReader({
    set(set) {
      if (found || set.type !== '850') return;
      const parsed = parse850(set);
      if (parsed.ok && matches(parsed.order)) found = parsed.order;
    },
  });
  for (let at = 0; at < text.length && !found; at += SLICE_CHARS) reader.feed(text.slice(at, at + SLICE_CHARS));
  if (!found) reader.end();
  return found;
}

/** A draft of the open chunk, with what an envelope warning found later needs to reach it. */
interface HeldDraft {
  draft: OrderDraft;
  interchange: X12Interchange;
  group: X12Group | undefined;
  /** How many of its `transport.x12.warnings` are envelope warnings (they come before its own findings). */
  envelopeWarnings: number;
}

/**
 * The X12 reading fed slice by slice (core reads a large body from the archive a slice at a time, so
 * the whole text is never held; cut anywhere, even inside the ISA header or between a terminator and
 * its line break): each `feed` returns the chunks closed meanwhile, `end` the rest. Each set is mapped
 * the moment its SE closes it and its segments are dropped then.
 *
 * A chunk is closed when the set after its `chunkSize`-th arrives, so warnings found at the group's or
 * interchange's trailer still reach the drafts of the last chunk. Per chunk, errors come as a whole
 * reading orders them: the scanner's, then the envelope checks' (rejected sets, stray segments), then
 * the sets that could not be mapped; warnings as the scanner's then the envelope's. An interchange's
 * control numbers come in the chunk where its ISA was read (before any of its orders, so core can refuse
 * a duplicate first); a group that starts after that chunk was handed over reports the interchange again
 * with all its groups. An envelope warning known only at a trailer (GE/IEA counts and numbers, missing
 * trailers) is recorded on the drafts of that group/interchange still in the open chunk — with one chunk
 * (map), on every draft, as before streaming — and always among the payload's warnings.
 */
export function readX12Chunks(_payload: Omit<RawPayloadInput, 'body'>, options: X12MappingOptions | undefined, chunkSize: number): ChunkReader {
  let orders: OrderDraft[] = [];
  let held: HeldDraft[] = [];
  let skipped: NonNullable<MappingResult['skipped']> = [];
  let interchanges: InterchangeControls[] = [];
  let tokenErrors: MappingError[] = [];
  let envelopeErrors: MappingError[] = [];
  let setErrors: MappingError[] = [];
  let tokenWarnings: string[] = [];
  let envelopeWarnings: string[] = [];
  let setsInChunk = 0;
  /** Counts closed chunks: which chunk an interchange's controls went into. */
  let chunkNo = 0;
  const reported = new Map<X12Interchange, { entry: InterchangeControls; chunkNo: number }>();
  const ready: MappingResult[] = [];
  let broken = false;

  const closeChunk = (): void => {
    const result: MappingResult = { orders, errors: [...tokenErrors, ...envelopeErrors, ...setErrors] };
    const warnings = [...tokenWarnings, ...envelopeWarnings];
    if (warnings.length > 0) result.warnings = warnings;
    if (skipped.length > 0) result.skipped = skipped;
    if (interchanges.length > 0) result.interchanges = interchanges;
    ready.push(result);
    orders = [];
    held = [];
    skipped = [];
    interchanges = [];
    tokenErrors = [];
    envelopeErrors = [];
    setErrors = [];
    tokenWarnings = [];
    envelopeWarnings = [];
    setsInChunk = 0;
    chunkNo++;
  };

  const report = (interchange: X12Interchange): void => {
    const entry = controlsOf(interchange);
    if (!entry) return;
    interchanges.push(entry);
    reported.set(interchange, { entry, chunkNo });
  };

  const reader = new X12StreamReader({
    issue(issue, from) {
      if (issue.severity === 'warning') (from === 'tokens' ? tokenWarnings : envelopeWarnings).push(issue.ref ? `${issue.ref}: ${issue.message}` : issue.message);
      else (from === 'tokens' ? tokenErrors : envelopeErrors).push(issue.ref ? { ref: issue.ref, message: issue.message } : { message: issue.message });
    },
    interchange: report,
    group(group, interchange) {
      const known = reported.get(interchange);
      if (!known) return;
      if (known.chunkNo === chunkNo) {
        if (group.header.controlNumber !== '') known.entry.groups.push(group.header.controlNumber);
      } else {
        report(interchange);
      }
    },
    set(set, interchange, group) {
      if (setsInChunk >= chunkSize) closeChunk();
      setsInChunk++;
      if (set.type !== '850') {
        skipped.push({ ref: setRef(set.controlNumber), reason: `transaction set ${set.type} at ${formatPosition(set.segments[0]!)} is not an 850 purchase order` });
        return;
      }
      const mapped = map850Set(set, options);
      if (!mapped.ok) {
        setErrors.push({ ref: mapped.ref, message: mapped.message });
        return;
      }
      orders.push(mapped.order);
      held.push({ draft: mapped.order, interchange, group, envelopeWarnings: set.warnings.length });
    },
    envelopeWarning(issue, scope) {
      for (const h of held) {
        if (scope.group ? h.group !== scope.group : h.interchange !== scope.interchange) continue;
        const x12 = (h.draft.transport as { x12: X12SourceInfo }).x12;
        x12.warnings.splice(h.envelopeWarnings++, 0, issue.message);
      }
    },
  });

  const crashed = (error: unknown): void => {
    // Defensive: the reader is written not to throw; a bug must not take the payload's worker down.
    broken = true;
    setErrors.push({ message: `X12 mapping failed: ${error instanceof Error ? error.message : String(error)}` });
  };

  return {
    feed(text) {
      if (broken) return [];
      try {
        reader.feed(text);
      } catch (error) {
        crashed(error);
      }
      return ready.splice(0);
    },
    end() {
      if (!broken) {
        try {
          reader.end();
        } catch (error) {
          crashed(error);
        }
      }
      closeChunk();
      return ready.splice(0);
    },
  };
}

/** The interchange's control numbers (and its groups' so far), when it has a sender and a number to compare. */
function controlsOf(interchange: X12Interchange): InterchangeControls | undefined {
  const header = interchange.header;
  if (!header.controlNumber || !header.senderId) return undefined;
  return {
    syntax: 'x12',
    sender: header.senderQualifier ? `${header.senderId}:${header.senderQualifier}` : header.senderId,
    recipient: header.receiverQualifier ? `${header.receiverId}:${header.receiverQualifier}` : header.receiverId,
    controlRef: header.controlNumber,
    groups: interchange.groups.map((g) => g.header.controlNumber).filter((c) => c !== ''),
  };
}

export const x12Mapping: ChannelMapping<X12MappingOptions> = {
  optionsSchema: X12MappingOptionsSchema,
  map: mapX12Payload,
  mapChunks: mapX12Chunks,
  readChunks: readX12Chunks,
};
export { build997 } from './997.ts';
export type { Build997Options } from './997.ts';
