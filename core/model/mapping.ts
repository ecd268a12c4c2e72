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
  /** Present when the channel can hear core statuses back (status write-back). */
  readonly statusWriteBack?: StatusWriteBackMapping<Options>;
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
