import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../core/db/database.ts';
import { ExclusivityService, excludedDealers, type DealerRef } from '../../core/exclusivity/exclusivity-service.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';

const TREE = [
  { code: 'RU', name: 'Russia', level: 'country' },
  { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
  { code: 'RU-MOW-ZEL', name: 'Zelenograd', level: 'city', parentCode: 'RU-MOW' },
  { code: 'RU-MOS', name: 'Moscow Oblast', level: 'region', parentCode: 'RU' },
  { code: 'RU-MOS-KHI', name: 'Khimki', level: 'city', parentCode: 'RU-MOS' },
  { code: 'RU-MOS-KHI-N', name: 'Khimki North', level: 'district', parentCode: 'RU-MOS-KHI' },
  { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
];

/** Counts the statements a flow sends (the flows read through Database.query only). */
function counting(db: Database): { db: Database; count: () => number } {
  let statements = 0;
  const counted: Database = {
    ...db,
    query: (sql, params) => {
      statements += 1;
      return db.query(sql, params);
    },
  };
  return { db: counted, count: () => statements };
}

for (const [kind, createDatabase] of DATABASE_KINDS) {
  describe(`regional exclusivity on ${kind}`, () => {
    let t: TestDatabase;
    let regions: RegionService;
    let rules: ExclusivityService;

    beforeAll(async () => {
      t = await createDatabase();
      regions = new RegionService(t.db);
      rules = new ExclusivityService(t.db);
      await t.db.prisma.product.createMany({
        data: [
          { sku: 'POR-MARMI-60', name: 'Marmi 60x60', productLine: 'Marmi', brand: 'Porcelanosa' },
          { sku: 'POR-BASIC', name: 'Basic', productLine: 'Basic', brand: 'Porcelanosa' },
          { sku: 'KER-1', name: 'Kerama tile', productLine: 'Classic', brand: 'Kerama' },
        ],
      });
    });
    afterAll(() => t.drop());

    describe('when a region tree is loaded', () => {
      it('creates it once with materialised paths, and a second load changes nothing', async () => {
        expect(await regions.load(TREE)).toEqual({ received: 7, created: 7, updated: 0, unchanged: 0, descendantsMoved: 0 });
        expect(await regions.load(TREE)).toEqual({ received: 7, created: 0, updated: 0, unchanged: 7, descendantsMoved: 0 });
        expect((await regions.get('RU-MOS-KHI-N')).path).toBe('/RU/RU-MOS/RU-MOS-KHI/RU-MOS-KHI-N/');
        expect((await regions.list()).map((r) => r.code)).toEqual(['RU', 'RU-MOS', 'RU-MOS-KHI', 'RU-MOS-KHI-N', 'RU-MOW', 'RU-MOW-ZEL', 'RU-SPE']);
        expect((await regions.list({ under: 'RU-MOS' })).map((r) => r.code)).toEqual(['RU-MOS', 'RU-MOS-KHI', 'RU-MOS-KHI-N']);
      });

      it('answers the chain of a region and whether one lies within another', async () => {
        expect((await regions.regionChain('RU-MOW-ZEL')).map((r) => r.code)).toEqual(['RU', 'RU-MOW', 'RU-MOW-ZEL']);
        expect(await regions.isWithin('RU-MOW-ZEL', 'RU')).toBe(true);
        expect(await regions.isWithin('RU-MOW', 'RU-MOW')).toBe(true);
        expect(await regions.isWithin('RU', 'RU-MOW')).toBe(false);
        expect(await regions.isWithin('RU-MOS-KHI', 'RU-MOW')).toBe(false);
        await expect(regions.regionChain('XX')).rejects.toMatchObject({ code: 'not_found' });
      });

      it('moves a whole subtree when a region gets another parent, and renames in place', async () => {
        const summary = await regions.load([
          { code: 'RU-MOS-KHI', name: 'Khimki (Moscow)', level: 'city', parentCode: 'RU-MOW' },
          { code: 'RU-NEW', name: 'New region', level: 'region', parentCode: 'RU' },
        ]);
        expect(summary).toEqual({ received: 2, created: 1, updated: 1, unchanged: 0, descendantsMoved: 1 });
        expect((await regions.get('RU-MOS-KHI')).path).toBe('/RU/RU-MOW/RU-MOS-KHI/');
        expect((await regions.get('RU-MOS-KHI')).parentCode).toBe('RU-MOW');
        expect((await regions.get('RU-MOS-KHI-N')).path).toBe('/RU/RU-MOW/RU-MOS-KHI/RU-MOS-KHI-N/');
        expect(await regions.isWithin('RU-MOS-KHI-N', 'RU-MOW')).toBe(true);
        expect(await regions.isWithin('RU-MOS-KHI-N', 'RU-MOS')).toBe(false);
        // Moving it back restores the original paths; the full load also renames RU-MOS-KHI back.
        expect(await regions.load(TREE)).toEqual({ received: 7, created: 0, updated: 1, unchanged: 5, descendantsMoved: 1 });
        expect((await regions.get('RU-MOS-KHI-N')).path).toBe('/RU/RU-MOS/RU-MOS-KHI/RU-MOS-KHI-N/');
      });

      it('serialises two identical loads at once: one creates, the other finds everything in place', async () => {
        const subtree = [
          { code: 'RU-KDA', name: 'Krasnodar Krai', level: 'region', parentCode: 'RU' },
          { code: 'RU-KDA-SOC', name: 'Sochi', level: 'city', parentCode: 'RU-KDA' },
        ];
        const results = await Promise.all([regions.load(subtree), regions.load(subtree)]);
        expect(results.map((r) => r.created).sort()).toEqual([0, 2]);
        expect((await regions.get('RU-KDA-SOC')).path).toBe('/RU/RU-KDA/RU-KDA-SOC/');
      });

      it('refuses a cycle, an unknown parent and a code twice, changing nothing', async () => {
        await expect(regions.load([{ code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU-MOW-ZEL' }])).rejects.toMatchObject({
          code: 'invalid_data',
          message: expect.stringContaining('cycle'),
        });
        await expect(regions.load([{ code: 'X-1', name: 'X', level: 'city', parentCode: 'NOPE' }])).rejects.toMatchObject({ code: 'invalid_data', field: '0.parentCode' });
        await expect(regions.load([TREE[0], TREE[0]])).rejects.toMatchObject({ code: 'invalid_data', field: '1.code' });
        expect((await regions.get('RU-MOW')).path).toBe('/RU/RU-MOW/');
      });
    });

    describe('when rules are loaded by externalId', () => {
      const batch = [
        { externalId: '1C-1', scope: 'brand' as const, value: 'Porcelanosa', regionCode: 'RU-MOW', dealerCodes: ['D-17', 'D-42'], validFrom: '2026-01-01', validTo: '2026-12-31' },
        { externalId: '1C-2', scope: 'product_line' as const, value: 'Classic', regionCode: 'RU-SPE', dealerCodes: ['D-50'] },
      ];

      it('creates, then changes nothing on the same load, then updates what differs', async () => {
        expect(await rules.load(batch)).toEqual({ received: 2, created: 2, updated: 0, unchanged: 0 });
        expect(await rules.load(batch)).toEqual({ received: 2, created: 0, updated: 0, unchanged: 2 });
        const changed = [batch[0], { ...batch[1]!, dealerCodes: ['D-50', 'D-51'], note: 'second partner' }];
        expect(await rules.load(changed)).toEqual({ received: 2, created: 0, updated: 1, unchanged: 1 });
        const listed = await rules.list({ value: 'classic' });
        expect(listed).toHaveLength(1);
        expect(listed[0]).toMatchObject({ externalId: '1C-2', dealerCodes: ['D-50', 'D-51'], note: 'second partner', regionCode: 'RU-SPE', validFrom: null });
        expect(await rules.list({ dealerCode: 'D-42' })).toEqual([expect.objectContaining({ externalId: '1C-1', validFrom: '2026-01-01', validTo: '2026-12-31' })]);
        expect(await rules.list({ activeOn: '2027-01-01', scope: 'brand' })).toEqual([]);
      });

      it('survives two identical loads at once without duplicating', async () => {
        const fresh = [{ externalId: '1C-3', scope: 'product' as const, value: 'KER-1', regionCode: 'RU-MOS', dealerCodes: ['D-60'] }];
        // One INSERT … ON CONFLICT statement: on PostgreSQL the second waits for the first and finds its row.
        const results = await Promise.all([rules.load(fresh), rules.load(fresh)]);
        expect(results.map((r) => r.created).sort()).toEqual([0, 1]);
        expect(await rules.list({ value: 'KER-1' })).toHaveLength(1);
      });

      it('refuses an unknown region, bad dates and a duplicated externalId', async () => {
        await expect(rules.load([{ ...batch[0]!, regionCode: 'XX' }])).rejects.toMatchObject({ code: 'invalid_data', field: '0.regionCode' });
        await expect(rules.load([{ ...batch[0]!, validFrom: '2027-01-01' }])).rejects.toMatchObject({ code: 'invalid_data', field: '0.validTo' });
        await expect(rules.load([batch[0], batch[0]])).rejects.toMatchObject({ code: 'invalid_data', field: '1.externalId' });
        await expect(rules.load([{ ...batch[0]!, externalId: undefined }])).rejects.toMatchObject({ code: 'invalid_data' });
      });

      it('supports create, update, delete, with a conflict on a taken externalId', async () => {
        const created = await rules.create({ scope: 'product', value: 'POR-BASIC', regionCode: 'RU-SPE', dealerCodes: ['D-70'], note: 'trial' });
        expect(created).toMatchObject({ scope: 'product', value: 'POR-BASIC', regionCode: 'RU-SPE', regionPath: '/RU/RU-SPE/', externalId: null, note: 'trial' });
        const updated = await rules.update(created.id, { validTo: '2026-03-31', dealerCodes: ['D-70', 'D-71'] });
        expect(updated).toMatchObject({ validTo: '2026-03-31', dealerCodes: ['D-70', 'D-71'], note: 'trial' });
        await expect(rules.update(created.id, { validFrom: '2026-04-01' })).rejects.toMatchObject({ code: 'invalid_data', field: 'validTo' });
        await expect(rules.update(created.id, { externalId: '1C-1' })).rejects.toMatchObject({ code: 'conflict' });
        await expect(rules.create({ scope: 'brand', value: 'X', regionCode: 'RU', dealerCodes: ['D-1'], externalId: '1C-2' })).rejects.toMatchObject({ code: 'conflict' });
        await rules.delete(created.id);
        await expect(rules.get(created.id)).rejects.toMatchObject({ code: 'not_found' });
        await expect(rules.delete(created.id)).rejects.toMatchObject({ code: 'not_found' });
      });
    });

    describe('when a dealer orders on the portal', () => {
      beforeAll(async () => {
        // The check reads where a dealer is registered from the hub, never from the caller.
        await new DealerService(t.db).load([
          { code: 'D-99', name: 'Zelenograd dealer', mainRegion: 'RU-MOW-ZEL', authorised: true },
          { code: 'D-42', name: 'Moscow partner', mainRegion: 'RU-MOW', authorised: true },
          { code: 'D-98', name: 'Petersburg dealer', mainRegion: 'RU-SPE', authorised: true },
        ]);
      });

      it('refuses line by line, with the reason, and allows the rest', async () => {
        const check = await rules.checkDealerLines('D-99', [{ sku: 'POR-MARMI-60' }, { sku: 'KER-1' }, { sku: 'NOT-IN-CATALOGUE' }], '2026-06-01');
        expect(check.allowed).toBe(false);
        expect(check.lines.map((l) => [l.sku, l.allowed])).toEqual([
          ['POR-MARMI-60', false],
          ['KER-1', true],
          ['NOT-IN-CATALOGUE', false],
        ]);
        expect(check.lines[0]!.reason).toBe(
          'brand "Porcelanosa" is exclusive in RU-MOW to dealers D-17, D-42 (rule 1C-1, valid 2026-01-01..2026-12-31); dealer D-99 operates in RU-MOW-ZEL, inside RU-MOW',
        );
        expect(check.lines[2]).toMatchObject({ productKnown: false, reason: 'SKU NOT-IN-CATALOGUE is not in the catalogue, so its exclusivity cannot be checked' });
      });

      it('allows a partner, and everyone once the rule has expired; finds lines by product id', async () => {
        const product = await t.db.prisma.product.findUniqueOrThrow({ where: { sku: 'POR-MARMI-60' } });
        const partner = await rules.checkDealerLines('D-42', [{ productId: product.id }], '2026-12-31');
        expect(partner.allowed).toBe(true);
        expect(partner.lines[0]).toMatchObject({ sku: 'POR-MARMI-60', productId: product.id, reason: expect.stringContaining('dealer D-42 is an exclusive partner') });
        const later = await rules.checkDealerLines('D-99', [{ sku: 'POR-MARMI-60' }], '2027-01-01');
        expect(later.allowed).toBe(true);
      });

      it('judges the delivery region with the registered ones: a Petersburg dealer may not buy for delivery into Moscow', async () => {
        const home = await rules.checkDealerLines('D-98', [{ sku: 'POR-MARMI-60' }], '2026-06-01');
        expect(home).toMatchObject({ allowed: true, regionCodes: ['RU-SPE'], deliveryRegion: null });
        const intoMoscow = await rules.checkDealerLines('D-98', [{ sku: 'POR-MARMI-60' }, { sku: 'POR-BASIC' }], '2026-06-01', 'RU-MOW-ZEL');
        expect(intoMoscow).toMatchObject({ allowed: false, regionCodes: ['RU-SPE', 'RU-MOW-ZEL'], deliveryRegion: 'RU-MOW-ZEL' });
        expect(intoMoscow.lines[0]!.reason).toMatch(/brand "Porcelanosa" is exclusive in RU-MOW .*dealer D-98 operates in RU-MOW-ZEL, inside RU-MOW$/);
      });

      it('refuses a purchase that breaks exclusivity as a conflict listing every line', async () => {
        const refusal = rules.refuseDealerPurchase('D-99', [{ sku: 'KER-1' }, { sku: 'POR-MARMI-60' }], '2026-06-01');
        await expect(refusal).rejects.toMatchObject({
          code: 'conflict',
          message: expect.stringMatching(/^Dealer D-99 may not buy line 2 under regional exclusivity: POR-MARMI-60: brand "Porcelanosa"/),
          details: {
            reason: 'exclusivity',
            lines: [expect.objectContaining({ index: 0, sku: 'KER-1', allowed: true }), expect.objectContaining({ index: 1, sku: 'POR-MARMI-60', allowed: false })],
          },
        });
        await expect(rules.refuseDealerPurchase('D-42', [{ sku: 'POR-MARMI-60' }], '2026-06-01', 'ru-mow')).resolves.toBeUndefined();
      });

      it('refuses an unknown dealer, an unknown delivery region and a line with neither sku nor product id', async () => {
        await expect(rules.checkDealerLines('D-NOBODY', [{ sku: 'KER-1' }], '2026-06-01')).rejects.toMatchObject({ code: 'not_found' });
        await expect(rules.checkDealerLines('D-99', [{ sku: 'KER-1' }], '2026-06-01', 'XX')).rejects.toMatchObject({ code: 'invalid_data', field: 'deliveryRegion' });
        await expect(rules.checkDealerLines('D-99', [{}], '2026-06-01')).rejects.toMatchObject({ code: 'invalid_data', field: 'lines.0' });
      });
    });

    describe('when the distribution engine asks which dealers to leave out', () => {
      it('excludes the right ones of 50 candidates, with reasons, in three queries', async () => {
        const places = ['RU-MOW', 'RU-MOW-ZEL', 'RU-SPE', 'RU-MOS', 'RU-MOS-KHI-N'];
        const candidates: DealerRef[] = Array.from({ length: 50 }, (_, i) => ({
          code: i === 0 ? 'D-17' : i === 1 ? 'D-50' : `D-${100 + i}`,
          regionCodes: i === 0 ? ['RU-MOW', 'RU-MOS'] : i === 1 ? ['RU-SPE'] : [places[i % places.length]!, ...(i % 7 === 0 ? ['RU-SPE'] : [])],
        }));
        const { db, count } = counting(t.db);
        const report = await excludedDealers(db, { lines: [{ sku: 'POR-MARMI-60' }, { sku: 'KER-1' }], candidates, date: '2026-06-01' });
        expect(count()).toBeLessThanOrEqual(3);

        // Moscow and its city are shut for Porcelanosa to all but D-17/D-42; Saint Petersburg for Kerama Classic to all but
        // D-50/D-51; Moscow Oblast and below for KER-1 to all but D-60 (rule 1C-3), which shuts out D-17 too: it also operates there.
        const shut = (d: DealerRef) =>
          (d.code !== 'D-17' && d.regionCodes.some((c) => c.startsWith('RU-MOW'))) ||
          (d.code !== 'D-50' && d.regionCodes.includes('RU-SPE')) ||
          d.regionCodes.some((c) => c.startsWith('RU-MOS'));
        const expected = candidates.filter(shut).map((d) => d.code);
        expect(report.excluded.map((e) => e.dealerCode).sort()).toEqual(expected.sort());
        expect(report.unknownProducts).toEqual([]);
        const both = report.excluded.find((e) => e.dealerCode === 'D-114')!; // i=14 → RU-MOS-KHI-N and RU-SPE
        expect(both.lines.map((l) => l.sku)).toEqual(['KER-1']);
        expect(both.reason).toMatch(/^KER-1: product "KER-1" is exclusive in RU-MOS to dealer D-60 .*; dealer D-114 operates in RU-MOS-KHI-N, inside RU-MOS$/);
        const partnerElsewhere = report.excluded.find((e) => e.dealerCode === 'D-17')!;
        expect(partnerElsewhere.lines.map((l) => l.sku)).toEqual(['KER-1']);
        const moscow = report.excluded.find((e) => e.dealerCode === 'D-105')!; // i=5 → RU-MOW
        expect(moscow.reason).toMatch(/^POR-MARMI-60: brand "Porcelanosa" is exclusive in RU-MOW to dealers D-17, D-42/);
        expect(report.excluded.some((e) => e.dealerCode === 'D-50')).toBe(false);
      });

      it('excludes a candidate whose region is unknown and reports unknown products', async () => {
        const report = await excludedDealers(t.db, {
          lines: [{ sku: 'UNKNOWN-SKU' }],
          candidates: [{ code: 'D-1', regionCodes: ['NOWHERE'] }, { code: 'D-2', regionCodes: ['RU-MOW'] }],
          date: '2026-06-01',
        });
        expect(report.excluded).toEqual([{ dealerCode: 'D-1', reason: 'region NOWHERE of dealer D-1 does not exist, so its exclusivity cannot be checked', lines: [] }]);
        expect(report.unknownProducts).toEqual(['UNKNOWN-SKU']);
      });
    });
  });
}
