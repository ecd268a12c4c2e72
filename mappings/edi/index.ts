import { Type, type Static } from '@sinclair/typebox';
import type { ChannelMapping, RawPayloadInput } from '../../core/model/mapping.ts';
import type { MappingResult } from '../../core/model/order.ts';
import { EdifactMappingOptionsSchema, edifactMapping, mapEdifactChunks } from './edifact/index.ts';
import { X12MappingOptionsSchema, mapX12Chunks, x12Mapping } from './x12/index.ts';
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
};

function notEdi(payload: RawPayloadInput): MappingResult {
  return { orders: [], errors: [{ message: `not an EDI interchange: it starts with "${payload.body.trimStart().slice(0, 20)}", neither UNA/UNB (EDIFACT) nor ISA (X12)` }] };
}
