import type { ChannelMapping, RawPayloadInput } from '../../../core/model/mapping.ts';
import type { MappingResult } from '../../../core/model/order.ts';
import { map850Set, X12MappingOptionsSchema, type X12MappingOptions } from './850.ts';
import { parseX12, setRef } from './interchange.ts';
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
export { parseX12, setRef } from './interchange.ts';
export type { X12Document, X12Group, X12GroupHeader, X12Interchange, X12InterchangeHeader, X12Issue, X12TransactionSet } from './interchange.ts';
export { components, element, formatPosition, readIsaHeader, repetitions, tokenizeX12, value } from './tokenizer.ts';
export type { X12Delimiters, X12Position, X12Segment, X12Tokens } from './tokenizer.ts';

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

/**
 * `mapX12Payload` handed over in chunks of `chunkSize` transaction sets: the envelopes are parsed
 * whole first (the segments of the file are held while it is read), then the sets are mapped to drafts
 * one chunk at a time, so the drafts — the larger part — of only one chunk are alive at once. Errors
 * outside any set, envelope warnings and the interchanges' control numbers come in the first chunk; the last chunk is always handed over, empty or not.
 */
export function* mapX12Chunks(payload: RawPayloadInput, options: X12MappingOptions | undefined, chunkSize: number): Generator<MappingResult> {
  let chunk: MappingResult = { orders: [], errors: [] };
  let setsInChunk = 0;
  try {
    const doc = parseX12(typeof payload.body === 'string' ? payload.body : '');
    for (const issue of doc.issues) {
      if (issue.severity === 'warning') (chunk.warnings ??= []).push(issue.ref ? `${issue.ref}: ${issue.message}` : issue.message);
      if (issue.severity !== 'error') continue;
      chunk.errors.push(issue.ref ? { ref: issue.ref, message: issue.message } : { message: issue.message });
    }
    for (const { header, groups } of doc.interchanges) {
      if (!header.controlNumber || !header.senderId) continue;
      (chunk.interchanges ??= []).push({
        syntax: 'x12',
        sender: header.senderQualifier ? `${header.senderId}:${header.senderQualifier}` : header.senderId,
        recipient: header.receiverQualifier ? `${header.receiverId}:${header.receiverQualifier}` : header.receiverId,
        controlRef: header.controlNumber,
        groups: groups.map((g) => g.header.controlNumber).filter((c) => c !== ''),
      });
    }
    for (const set of doc.transactionSets) {
      if (setsInChunk >= chunkSize) {
        yield chunk;
        chunk = { orders: [], errors: [] };
        setsInChunk = 0;
      }
      setsInChunk++;
      if (set.type !== '850') {
        (chunk.skipped ??= []).push({ ref: setRef(set.controlNumber), reason: `transaction set ${set.type} at ${formatPosition(set.segments[0]!)} is not an 850 purchase order` });
        continue;
      }
      const mapped = map850Set(set, options);
      if (mapped.ok) chunk.orders.push(mapped.order);
      else chunk.errors.push({ ref: mapped.ref, message: mapped.message });
    }
  } catch (error) {
    // Defensive: the parser is written not to throw; a bug must not take the payload's worker down.
    chunk.errors.push({ message: `X12 mapping failed: ${(error as Error)?.message ?? String(error)}` });
  }
  yield chunk;
}

export const x12Mapping: ChannelMapping<X12MappingOptions> = {
  optionsSchema: X12MappingOptionsSchema,
  map: mapX12Payload,
  mapChunks: mapX12Chunks,
};
export { build997 } from './997.ts';
export type { Build997Options } from './997.ts';
