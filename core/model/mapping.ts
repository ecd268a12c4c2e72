import type { TSchema } from '@sinclair/typebox';
import type { MappingResult } from './order.ts';

/** A stored inbound payload as a mapping sees it. */
export interface RawPayloadInput {
  /** pull | webhook | upload | push */
  kind: string;
  contentType?: string | null | undefined;
  source?: string | null | undefined;
  body: string;
}

/**
 * A mapping reads one connector's payloads into order drafts. It is pure and total: it never does
 * I/O and never throws for bad data; what it cannot read comes back in `errors`.
 */
export interface ChannelMapping<Options = any> {
  /** Per-channel overrides (stored on Channel.mapping), e.g. a status map. */
  readonly optionsSchema: TSchema;
  map(payload: RawPayloadInput, options: Options): MappingResult;
}
