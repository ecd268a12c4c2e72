import { Type } from '@sinclair/typebox';
import {
  ExclusivityRuleChangesSchema,
  ExclusivityRuleInputSchema,
  ExclusivityRuleLoadItemSchema,
  ExclusivityScopeSchema,
  LineRefSchema,
} from '../../core/exclusivity/exclusivity-rules.ts';
import { RegionInputSchema } from '../../core/regions/region-service.ts';
import { IsoDate, IsoDateTime, Nullable } from './common.ts';

// ---- regions -----------------------------------------------------------------------------------------------------------

export const LoadRegionsBodySchema = Type.Object(
  { regions: Type.Array(RegionInputSchema, { maxItems: 100_000, description: 'the tree as a list; each region names its parent by code' }) },
  { additionalProperties: false },
);

export const RegionSchema = Type.Object(
  {
    id: Type.String(),
    code: Type.String(),
    name: Type.String(),
    level: Type.String(),
    parentCode: Nullable(Type.String()),
    path: Type.String({ description: 'materialised path of codes, e.g. /RU/RU-MOW/' }),
    createdAt: IsoDateTime,
  },
  { title: 'Region' },
);

export const RegionLoadSummarySchema = Type.Object(
  { received: Type.Integer(), created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(), descendantsMoved: Type.Integer() },
  { title: 'RegionLoadSummary' },
);

export const ListRegionsQuerySchema = Type.Object({ under: Type.Optional(Type.String({ minLength: 1, description: 'only this region and what lies under it' })) });

// ---- rules -------------------------------------------------------------------------------------------------------------

const RuleRefProperties = {
  id: Type.String(),
  externalId: Nullable(Type.String()),
  scope: ExclusivityScopeSchema,
  value: Type.String(),
  regionCode: Type.String(),
  regionPath: Type.String(),
  dealerCodes: Type.Array(Type.String()),
  validFrom: Nullable(IsoDate),
  validTo: Nullable(IsoDate),
};

export const ExclusivityRuleRefSchema = Type.Object(RuleRefProperties, { title: 'ExclusivityRuleRef' });

export const ExclusivityRuleSchema = Type.Object(
  { ...RuleRefProperties, note: Nullable(Type.String()), createdAt: IsoDateTime, updatedAt: IsoDateTime },
  { title: 'ExclusivityRule' },
);

export const CreateRuleBodySchema = ExclusivityRuleInputSchema;
export const UpdateRuleBodySchema = ExclusivityRuleChangesSchema;

export const LoadRulesBodySchema = Type.Object(
  { rules: Type.Array(ExclusivityRuleLoadItemSchema, { maxItems: 50_000, description: 'each with its externalId: loading again updates, never duplicates' }) },
  { additionalProperties: false },
);

export const RuleLoadSummarySchema = Type.Object(
  { received: Type.Integer(), created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() },
  { title: 'RuleLoadSummary' },
);

export const ListRulesQuerySchema = Type.Object({
  scope: Type.Optional(ExclusivityScopeSchema),
  value: Type.Optional(Type.String({ minLength: 1 })),
  regionCode: Type.Optional(Type.String({ minLength: 1 })),
  dealerCode: Type.Optional(Type.String({ minLength: 1 })),
  activeOn: Type.Optional(IsoDate),
});

// ---- check -------------------------------------------------------------------------------------------------------------

export const CheckBodySchema = Type.Object(
  {
    dealer: Type.Object(
      {
        code: Type.String({ minLength: 1, maxLength: 100, description: 'the dealer code; its registered regions are read from the hub' }),
        regionCodes: Type.Optional(
          Type.Array(Type.String(), {
            maxItems: 500,
            deprecated: true,
            description: "IGNORED: the check uses the dealer's registered regions, never regions the caller sends (accepted only so older callers are not refused)",
          }),
        ),
      },
      { additionalProperties: false },
    ),
    lines: Type.Array(LineRefSchema, { minItems: 1, maxItems: 2000 }),
    date: Type.Optional(IsoDate),
    deliveryRegion: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'where the purchase is delivered, when it is: judged with the dealer\'s regions' })),
  },
  { additionalProperties: false },
);

export const DealerLinesCheckSchema = Type.Object(
  {
    dealerCode: Type.String(),
    date: IsoDate,
    regionCodes: Type.Array(Type.String(), { description: "the territory judged: the dealer's registered regions, then the delivery region" }),
    deliveryRegion: Nullable(Type.String()),
    allowed: Type.Boolean({ description: 'true when every line is allowed' }),
    lines: Type.Array(
      Type.Object({
        index: Type.Integer(),
        sku: Nullable(Type.String()),
        productId: Nullable(Type.String()),
        productKnown: Type.Boolean(),
        allowed: Type.Boolean(),
        reason: Type.String(),
        rules: Type.Array(ExclusivityRuleRefSchema),
      }),
    ),
  },
  { title: 'DealerLinesCheck' },
);
