import type { TSchema } from '@sinclair/typebox';
import type { MappingResult } from './order.ts';

/** A stored inbound payload as a mapping sees it. */
export interface RawPayloadInput {
  /** pull | webhook | upload | push */
  kind: string;
  contentType?: string | null | undefined;
  source?: string | null | undefined;
  body: string;
  /** When the hub first received it (the archive row's receivedAt): a fallback for payloads without a date. */
  receivedAt?: Date | string | null | undefined;
}

/**
 * A mapping reads one connector's payloads into order drafts. It is pure and total: it never does
 * I/O and never throws for bad data; what it cannot read comes back in `errors`.
 */
export interface ChannelMapping<Options = any> {
  /** Per-channel overrides (stored on Channel.mapping), e.g. a status map. */
  readonly optionsSchema: TSchema;
  map(payload: RawPayloadInput, options: Options): MappingResult;
  /**
   * The same reading as `map`, handed over in chunks of about `chunkSize` records (orders, refused
   * and skipped records together), so a large file never has all its drafts in memory at once: each
   * chunk is ingested and dropped before the next is read. Optional (file formats that carry
   * thousands of orders implement it); core falls back to `map` as one chunk. Pure and total like `map`.
   */
  mapChunks?(payload: RawPayloadInput, options: Options, chunkSize: number): Iterable<MappingResult>;
  /**
   * `mapChunks` for a body too large to hold: core feeds its text slice by slice as it reads it from
   * the archive, and the reader hands back the chunks each slice closed. Pure: no I/O in the reader.
   */
  readChunks?(payload: Omit<RawPayloadInput, 'body'>, options: Options, chunkSize: number): ChunkReader;
  /** Present when the channel can hear core statuses back (status write-back). */
  readonly statusWriteBack?: StatusWriteBackMapping<Options>;
}

/** A mapping reading a payload fed in text slices (see ChannelMapping.readChunks). */
export interface ChunkReader {
  /** The next slice of the body's text; returns the chunks it closed (often none). */
  feed(text: string): MappingResult[];
  /** The body ended: the remaining chunks, the last one always (it holds the payload-level findings). */
  end(): MappingResult[];
}

/** What a channel's status is for a core status: one to send, or why nothing is sent. */
export type ChannelStatusChoice = { status: string } | { skip: string };

/** Core status → the channel's own status, pure (per-channel overrides come in the options). */
export interface StatusWriteBackMapping<Options = any> {
  /** Whether ops switched write-back on for the channel (off by default). */
  enabled(options: Options): boolean;
  statusOf(coreStatus: string, options: Options): ChannelStatusChoice;
  /** The order's id in the channel's API, from the stored Order.externalId (default: as stored). */
  orderRef?(externalId: string): string;
}
