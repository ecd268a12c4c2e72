import { Type, type Static } from '@sinclair/typebox';
import type { ChannelMapping, ChunkReader, RawPayloadInput } from '../../core/model/mapping.ts';
import type { MappingResult } from '../../core/model/order.ts';
import { EdifactMappingOptionsSchema, edifactMapping, mapEdifactChunks, readEdifactChunks } from './edifact/index.ts';
import { X12MappingOptionsSchema, mapX12Chunks, readX12Chunks, x12Mapping } from './x12/index.ts';
import { ediSyntaxOf } from '../../lib/edi-text.ts';

/** Per-channel options of an EDI partner, one block per syntax it may send. */
export const EdiMappingOptionsSchema = Type.Object(
  {
    edifact: Type.Optional(EdifactMappingOptionsSchema),
    x12: Type.Optional(X12MappingOptionsSchema),
  },
  { additionalProperties: false },
);
export type EdiMappingOptions = Static<typeof EdiMappingOptionsSchema>;

export { ediSyntaxOf, type EdiSyntax } from '../../lib/edi-text.ts';

/** Reads an EDI channel's interchanges: EDIFACT ORDERS or X12 850, whichever the file is. */
export const ediMapping: ChannelMapping<EdiMappingOptions> = {
  optionsSchema: EdiMappingOptionsSchema,
  map(payload: RawPayloadInput, options): MappingResult {
    const syntax = ediSyntaxOf(payload.body);
    if (syntax === 'edifact') return edifactMapping.map(payload, options?.edifact ?? {});
    if (syntax === 'x12') return x12Mapping.map(payload, options?.x12 ?? {});
    return notEdi(payload);
  },
  /** The same, chunk by chunk (see mapEdifactChunks / mapX12Chunks): large interchanges stream into orders. */
  *mapChunks(payload: RawPayloadInput, options, chunkSize: number): Generator<MappingResult> {
    const syntax = ediSyntaxOf(payload.body);
    if (syntax === 'edifact') yield* mapEdifactChunks(payload, options?.edifact ?? {}, chunkSize);
    else if (syntax === 'x12') yield* mapX12Chunks(payload, options?.x12 ?? {}, chunkSize);
    else yield notEdi(payload);
  },
  /**
   * The same fed slice by slice (a large body read from the archive): the syntax shows in the first
   * characters, and both syntaxes stream (see readEdifactChunks / readX12Chunks).
   */
  readChunks(payload, options, chunkSize) {
    let start = '';
    let reader: ChunkReader | undefined;
    const choose = (): ChunkReader => {
      const syntax = ediSyntaxOf(start);
      if (syntax === 'edifact') return readEdifactChunks(payload, options?.edifact ?? {}, chunkSize);
      if (syntax === 'x12') return readX12Chunks(payload, options?.x12 ?? {}, chunkSize);
      return notEdiReader(payload);
    };
    // Until the syntax shows, the text is held back; then the chosen reader gets it first.
    const begin = (): ChunkReader => {
      reader = choose();
      return reader;
    };
    return {
      feed(text) {
        if (reader) return reader.feed(text);
        start += text;
        return start.trimStart().length < 3 ? [] : begin().feed(start);
      },
      end() {
        if (!reader && start !== '') begin().feed(start);
        return (reader ?? begin()).end();
      },
    };
  },
};

/** Neither syntax: only the head is kept, for the error that quotes it. */
function notEdiReader(payload: Omit<RawPayloadInput, 'body'>): ChunkReader {
  let head = '';
  return {
    feed(text) {
      if (head.trimStart().length < 20) head += text.slice(0, 64);
      return [];
    },
    end: () => [notEdi({ ...payload, body: head })],
  };
}

function notEdi(payload: RawPayloadInput): MappingResult {
  return { orders: [], errors: [{ message: `not an EDI interchange: it starts with "${payload.body.trimStart().slice(0, 20)}", neither UNA/UNB (EDIFACT) nor ISA (X12)` }] };
}
