import { describe, expect, it } from 'vitest';
import {
  DefaultExclusivityPolicy,
  datesProblem,
  describeRule,
  isPathWithin,
  orderExclusionOf,
  type DealerTerritory,
  type ExclusivityRuleRef,
  type ProductRef,
  type RegionRef,
} from '../../core/exclusivity/exclusivity-rules.ts';

const policy = new DefaultExclusivityPolicy();

const region = (path: string): RegionRef => ({ code: path.split('/').filter(Boolean).at(-1)!, path });
const RU = region('/RU/');
const MOW = region('/RU/RU-MOW/');
const ZEL = region('/RU/RU-MOW/RU-MOW-ZEL/');
const SPE = region('/RU/RU-SPE/');
const KZ = region('/KZ/');

const tile: ProductRef = { sku: 'POR-MARMI-60', productLine: 'Marmi', brand: 'Porcelanosa' };
const other: ProductRef = { sku: 'KER-1', productLine: 'Basic', brand: 'Kerama' };

let counter = 0;
function rule(overrides: Partial<ExclusivityRuleRef> & { region?: RegionRef } = {}): ExclusivityRuleRef {
  counter += 1;
  const { region: r = MOW, ...rest } = overrides;
  return {
    id: `id-${counter}`,
    externalId: `R-${counter}`,
    scope: 'brand',
    value: 'Porcelanosa',
    regionCode: r.code,
    regionPath: r.path,
    dealerCodes: ['D-17'],
    validFrom: null,
    validTo: null,
    ...rest,
  };
}
const dealer = (code: string, ...regions: RegionRef[]): DealerTerritory => ({ code, regions });
const decide = (d: DealerTerritory, rules: ExclusivityRuleRef[], product = tile, date = '2026-06-01') => policy.decide({ dealer: d, product, date, rules });

describe('when a rule is on a region (hierarchy)', () => {
  const rules = [rule({ region: MOW })];

  it('refuses a dealer of that region who is not a partner', () => {
    expect(decide(dealer('D-99', MOW), rules).allowed).toBe(false);
  });

  it('covers its cities: a dealer of a city inside the region is refused', () => {
    const verdict = decide(dealer('D-99', ZEL), rules);
    expect(verdict.allowed).toBe(false);
    expect(verdict.regionCode).toBe('RU-MOW-ZEL');
    expect(verdict.reason).toContain('dealer D-99 operates in RU-MOW-ZEL, inside RU-MOW');
  });

  it('does not reach a sibling region or the country above it', () => {
    expect(decide(dealer('D-99', SPE), rules).allowed).toBe(true);
    expect(decide(dealer('D-99', RU), rules).allowed).toBe(true);
    expect(decide(dealer('D-99', KZ), rules).allowed).toBe(true);
  });

  it('allows a listed partner, saying so', () => {
    const verdict = decide(dealer('D-17', ZEL), rules);
    expect(verdict.allowed).toBe(true);
    expect(verdict.rules.map((r) => r.id)).toEqual([rules[0]!.id]);
    expect(verdict.reason).toMatch(/^dealer D-17 is an exclusive partner: brand "Porcelanosa" is exclusive in RU-MOW/);
  });

  it('does not touch other products', () => {
    const verdict = decide(dealer('D-99', MOW), rules, other);
    expect(verdict).toEqual({ allowed: true, reason: 'no exclusivity rule restricts KER-1 for dealer D-99 (RU-MOW) on 2026-06-01', rules: [] });
  });

  it('tells a path inside from a path that only shares a prefix of characters', () => {
    expect(isPathWithin('/RU/RU-MOW/', '/RU/')).toBe(true);
    expect(isPathWithin('/RU-X/', '/RU/')).toBe(false);
    expect(decide(dealer('D-99', region('/RU/RU-MOWX/')), rules).allowed).toBe(true);
  });
});

describe('when several partners share a rule', () => {
  const rules = [rule({ dealerCodes: ['D-17', 'D-42'] })];

  it('allows each of them and refuses the others, naming every partner', () => {
    expect(decide(dealer('D-17', MOW), rules).allowed).toBe(true);
    expect(decide(dealer('D-42', MOW), rules).allowed).toBe(true);
    const verdict = decide(dealer('D-99', MOW), rules);
    expect(verdict.allowed).toBe(false);
    expect(verdict.reason).toContain('to dealers D-17, D-42');
  });

  it('reads two rules on the same scope and region as one grant (a partner of either is allowed)', () => {
    const twin = [rule({ dealerCodes: ['D-17'] }), rule({ dealerCodes: ['D-42'] })];
    expect(decide(dealer('D-17', MOW), twin).allowed).toBe(true);
    expect(decide(dealer('D-42', MOW), twin).allowed).toBe(true);
    const refused = decide(dealer('D-99', MOW), twin);
    expect(refused.allowed).toBe(false);
    expect(refused.rules).toHaveLength(2);
  });

  it('treats a rule listing no dealer as an embargo', () => {
    const verdict = decide(dealer('D-17', MOW), [rule({ dealerCodes: [] })]);
    expect(verdict.allowed).toBe(false);
    expect(verdict.reason).toContain('is exclusive in RU-MOW to no dealer');
  });
});

describe('when a rule has validity dates', () => {
  const rules = [rule({ validFrom: '2026-01-01', validTo: '2026-12-31' })];
  const outsider = dealer('D-99', MOW);

  it('applies on both edge days (inclusive) and not a day outside', () => {
    expect(decide(outsider, rules, tile, '2025-12-31').allowed).toBe(true);
    expect(decide(outsider, rules, tile, '2026-01-01').allowed).toBe(false);
    expect(decide(outsider, rules, tile, '2026-12-31').allowed).toBe(false);
    expect(decide(outsider, rules, tile, '2027-01-01').allowed).toBe(true);
  });

  it('treats a missing start or end as open', () => {
    expect(decide(outsider, [rule({ validFrom: '2026-07-01' })], tile, '2099-01-01').allowed).toBe(false);
    expect(decide(outsider, [rule({ validFrom: '2026-07-01' })], tile, '2026-06-30').allowed).toBe(true);
    expect(decide(outsider, [rule({ validTo: '2026-07-01' })], tile, '2000-01-01').allowed).toBe(false);
    expect(decide(outsider, [rule({ validTo: '2026-07-01' })], tile, '2026-07-02').allowed).toBe(true);
  });

  it('refuses dates out of order and days that do not exist', () => {
    expect(datesProblem({ validFrom: '2026-12-31', validTo: '2026-01-01' })).toBe('validTo: 2026-01-01 is before validFrom 2026-12-31');
    expect(datesProblem({ validFrom: '2026-02-30' })).toBe('validFrom: 2026-02-30 is not a calendar date');
    expect(datesProblem({ validFrom: '2026-01-01', validTo: '2026-01-01' })).toBeUndefined();
  });
});

describe('when a dealer operates in several regions', () => {
  const rules = [rule({ region: MOW, dealerCodes: ['D-17'] })];

  it('is refused when any of its regions lies inside a rule it is not a partner of', () => {
    const verdict = decide(dealer('D-99', SPE, ZEL), rules);
    expect(verdict.allowed).toBe(false);
    expect(verdict.regionCode).toBe('RU-MOW-ZEL');
  });

  it('is allowed when it is a partner wherever a rule covers it', () => {
    expect(decide(dealer('D-17', SPE, ZEL), rules).allowed).toBe(true);
  });

  it('is refused when it is a partner in one region but not in another', () => {
    const both = [...rules, rule({ region: SPE, dealerCodes: ['D-50'] })];
    const verdict = decide(dealer('D-17', MOW, SPE), both);
    expect(verdict.allowed).toBe(false);
    expect(verdict.regionCode).toBe('RU-SPE');
    expect(verdict.reason).toContain('to dealer D-50');
  });

  it('is allowed when it has no region at all (no territory, no rule)', () => {
    expect(decide(dealer('D-99'), rules).allowed).toBe(true);
  });
});

describe('when rules of several scopes match the product', () => {
  it('lets a product rule beat a product-line rule beat a brand rule', () => {
    const brand = rule({ scope: 'brand', value: 'Porcelanosa', dealerCodes: ['D-1'] });
    const line = rule({ scope: 'product_line', value: 'Marmi', dealerCodes: ['D-2'] });
    const product = rule({ scope: 'product', value: 'POR-MARMI-60', dealerCodes: ['D-3'] });
    const all = [brand, line, product];
    expect(decide(dealer('D-3', MOW), all).allowed).toBe(true);
    expect(decide(dealer('D-2', MOW), all).allowed).toBe(false);
    expect(decide(dealer('D-1', MOW), all).rules).toEqual([product]);

    expect(decide(dealer('D-2', MOW), [brand, line]).allowed).toBe(true);
    expect(decide(dealer('D-1', MOW), [brand, line]).reason).toMatch(/^product line "Marmi" is exclusive in RU-MOW to dealer D-2/);
    // The brand rule still governs the brand's other lines.
    const otherLine = { ...tile, sku: 'POR-X', productLine: 'Other' };
    expect(decide(dealer('D-1', MOW), [brand, line], otherLine).allowed).toBe(true);
    expect(decide(dealer('D-2', MOW), [brand, line], otherLine).allowed).toBe(false);
  });

  it('lets the rule on the deeper region beat the same scope on its ancestor (a carve-out)', () => {
    const national = rule({ region: RU, dealerCodes: ['D-1'] });
    const moscow = rule({ region: MOW, dealerCodes: ['D-17'] });
    expect(decide(dealer('D-17', ZEL), [national, moscow]).allowed).toBe(true);
    expect(decide(dealer('D-1', ZEL), [national, moscow]).allowed).toBe(false);
    expect(decide(dealer('D-1', SPE), [national, moscow]).allowed).toBe(true);
    expect(decide(dealer('D-17', SPE), [national, moscow]).allowed).toBe(false);
  });

  it('ranks scope above region depth: a nationwide product rule beats a Moscow brand rule', () => {
    const national = rule({ region: RU, scope: 'product', value: 'POR-MARMI-60', dealerCodes: ['D-1'] });
    const moscow = rule({ region: MOW, dealerCodes: ['D-17'] });
    expect(decide(dealer('D-17', MOW), [national, moscow]).allowed).toBe(false);
    expect(decide(dealer('D-1', MOW), [national, moscow]).allowed).toBe(true);
  });

  it('matches values regardless of case and surrounding spaces', () => {
    expect(decide(dealer('D-99', MOW), [rule({ value: ' PORCELANOSA ' })]).allowed).toBe(false);
    expect(decide(dealer('D-99', MOW), [rule({ scope: 'product_line', value: 'marmi' })]).allowed).toBe(false);
  });

  it('ignores line and brand rules for a product without line or brand', () => {
    const bare = { sku: 'POR-MARMI-60', productLine: null, brand: null };
    expect(decide(dealer('D-99', MOW), [rule()], bare).allowed).toBe(true);
  });
});

describe('when a refusal is explained', () => {
  it('names the scope, value, region, partners, rule and validity', () => {
    const r = rule({ externalId: 'R', dealerCodes: ['D-17', 'D-42'], validFrom: '2026-01-01', validTo: '2026-12-31' });
    expect(decide(dealer('D-99', MOW), [r]).reason).toBe(
      'brand "Porcelanosa" is exclusive in RU-MOW to dealers D-17, D-42 (rule R, valid 2026-01-01..2026-12-31); dealer D-99 operates in RU-MOW',
    );
  });

  it('falls back to the id without an externalId and describes open validity', () => {
    expect(describeRule(rule({ id: 'abc', externalId: null, scope: 'product', value: 'SKU-1' }))).toBe('product "SKU-1" is exclusive in RU-MOW to dealer D-17 (rule abc, without end date)');
    expect(describeRule(rule({ externalId: 'X', validFrom: '2026-01-01' }))).toContain('(rule X, valid from 2026-01-01)');
    expect(describeRule(rule({ externalId: 'X', validTo: '2026-01-01' }))).toContain('(rule X, valid until 2026-01-01)');
  });
});

describe('when distribution asks who may be offered an order (by the order\'s region)', () => {
  const forOrder = (where: RegionRef, rules: ExclusivityRuleRef[], product = tile, date = '2026-06-01') => policy.decideForOrder({ region: where, product, date, rules });

  it('names the partners of the rule covering the order\'s region, its cities included', () => {
    const rules = [rule({ region: MOW, dealerCodes: ['D-42', 'D-17'] })];
    expect(forOrder(ZEL, rules)).toMatchObject({ partners: ['D-17', 'D-42'], rules });
    expect(forOrder(ZEL, rules).reason).toContain('brand "Porcelanosa" is exclusive in RU-MOW');
  });

  it('restricts nothing where no rule applies: a sibling region, the country above, another product, an expired rule', () => {
    const rules = [rule({ region: MOW, validTo: '2026-05-31' }), rule({ region: MOW, value: 'Other' })];
    expect(forOrder(SPE, [rule({ region: MOW })]).partners).toBeNull();
    expect(forOrder(RU, [rule({ region: MOW })]).partners).toBeNull();
    expect(forOrder(MOW, rules).partners).toBeNull();
    expect(forOrder(MOW, [rule({ region: MOW })], other).partners).toBeNull();
  });

  it('lets the most specific rule decide: a product line carve-out inside a brand grant', () => {
    const brand = rule({ region: RU, dealerCodes: ['D-1'] });
    const line = rule({ region: MOW, scope: 'product_line', value: 'Marmi', dealerCodes: ['D-42'] });
    expect(forOrder(ZEL, [brand, line])).toMatchObject({ partners: ['D-42'], rules: [line] });
    expect(forOrder(SPE, [brand, line])).toMatchObject({ partners: ['D-1'], rules: [brand] });
  });

  it('excludes a dealer that is no partner of every restricted line, with the rules, whatever the dealer\'s own regions', () => {
    const r1 = rule({ region: MOW, dealerCodes: ['A'] });
    const exclusivity = {
      regionCode: 'RU-MOW-ZEL',
      date: '2026-06-01',
      byOrderRegion: true,
      restricted: [{ index: 0, sku: tile.sku, partners: ['A'], rules: [r1], reason: describeRule(r1) }],
    };
    expect(orderExclusionOf(exclusivity, 'A')).toBeNull();
    expect(orderExclusionOf(exclusivity, 'COUNTRY')).toEqual({ reason: `${tile.sku}: ${describeRule(r1)}; the order is delivered in RU-MOW-ZEL`, rules: [r1] });
    expect(orderExclusionOf({ ...exclusivity, restricted: [] }, 'COUNTRY')).toBeNull();
    expect(orderExclusionOf(null, 'COUNTRY')).toBeNull();
  });
});
