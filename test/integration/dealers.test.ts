import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../core/db/database.ts';
import { changePoints } from '../../core/dealers/dealer-points.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';

const TREE = [
  { code: 'RU', name: 'Russia', level: 'country' },
  { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
  { code: 'RU-MOW-ZEL', name: 'Zelenograd', level: 'city', parentCode: 'RU-MOW' },
  { code: 'RU-MOS', name: 'Moscow Oblast', level: 'region', parentCode: 'RU' },
  { code: 'RU-MOS-KHI', name: 'Khimki', level: 'city', parentCode: 'RU-MOS' },
  { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
  // The list filter's own subtree, so other tests' dealers do not show up in its answers.
  { code: 'KZ', name: 'Kazakhstan', level: 'country' },
  { code: 'KZ-ALA', name: 'Almaty', level: 'region', parentCode: 'KZ' },
  { code: 'KZ-ALA-C1', name: 'Almaty centre', level: 'city', parentCode: 'KZ-ALA' },
  { code: 'KZ-AST', name: 'Astana', level: 'region', parentCode: 'KZ' },
];

/** Counts the statements a flow sends through Database.query. */
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

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const [kind, createDatabase] of DATABASE_KINDS) {
  describe(`dealers on ${kind}`, () => {
    let t: TestDatabase;
    let dealers: DealerService;
    let channelId: string;

    /** An order with a distribution assigned to the dealer (and optionally an offer to another). */
    async function distribute(externalId: string, dealerCode: string, offeredTo?: string): Promise<string> {
      const p = t.db.prisma;
      const order = await p.order.create({
        data: { channelId, externalId, status: 'received', currency: 'RUB', subtotal: '1', total: '1', placedAt: new Date(), contentHash: externalId },
      });
      const dealer = await p.dealer.findUniqueOrThrow({ where: { code: dealerCode } });
      await p.orderDistribution.create({ data: { orderId: order.id, status: 'assigned', configVersion: 1, orderVersion: 1, dealerId: dealer.id } });
      if (offeredTo) {
        const other = await p.dealer.findUniqueOrThrow({ where: { code: offeredTo } });
        await p.dealerOffer.create({ data: { orderId: order.id, round: 1, dealerId: other.id, tier: 0, tierKind: 'region', visibleFrom: new Date() } });
      }
      return order.id;
    }

    beforeAll(async () => {
      t = await createDatabase();
      dealers = new DealerService(t.db);
      await new RegionService(t.db).load(TREE);
      await t.db.prisma.product.createMany({
        data: [
          { sku: 'TILE-1', name: 'Tile one', productLine: 'Marmi', brand: 'NOVUS' },
          { sku: 'TILE-2', name: 'Tile two', productLine: 'Marmi', brand: 'NOVUS' },
          { sku: 'TILE-3', name: 'Tile three', productLine: 'Basic', brand: 'Kerama' },
        ],
      });
      channelId = (await t.db.prisma.channel.create({ data: { name: 'Site', kind: 'webshop', connectorType: 'woocommerce' } })).id;
    });
    afterAll(() => t.drop());

    describe('when a dealer is created', () => {
      it('stores it with its regions and the defaults, and answers the whole view', async () => {
        const view = await dealers.create({
          code: 'D-1',
          name: 'Keramika Moscow',
          mainRegion: 'RU-MOW',
          extraRegions: ['RU-MOS-KHI', 'RU-MOW', 'RU-MOW-ZEL'],
          contacts: { phones: ['+7 495 000-00-00'], emails: ['sales@keramika.example'], site: 'https://keramika.example', address: 'Tverskaya 1' },
        });
        expect(view).toMatchObject({
          code: 'D-1',
          name: 'Keramika Moscow',
          logoUrl: null,
          mainRegion: { code: 'RU-MOW', name: 'Moscow', path: '/RU/RU-MOW/' },
          extraRegions: [
            { code: 'RU-MOS-KHI', name: 'Khimki', path: '/RU/RU-MOS/RU-MOS-KHI/' },
            { code: 'RU-MOW-ZEL', name: 'Zelenograd', path: '/RU/RU-MOW/RU-MOW-ZEL/' },
          ],
          authorised: false,
          acceptsSiteOrders: true,
          callFromSite: false,
          active: true,
          contacts: { phones: ['+7 495 000-00-00'], emails: ['sales@keramika.example'], site: 'https://keramika.example', address: 'Tverskaya 1' },
          description: null,
          wholeRange: false,
          productLines: [],
          ownPricesAllowed: false,
          priceColumn: null,
          points: 0,
          takesCount: 0,
          avgTakeSeconds: null,
          managers: [],
          head: null,
          promotions: [],
          assortmentCount: 0,
        });
        expect(view.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(view.createdAt).toMatch(ISO);
        expect(view.updatedAt).toMatch(ISO);
        expect(await dealers.get('D-1')).toEqual(view);
      });

      it('refuses a taken code, unknown regions and invalid input', async () => {
        await expect(dealers.create({ code: 'D-1', name: 'Again', mainRegion: 'RU-MOW' })).rejects.toMatchObject({ code: 'conflict' });
        await expect(dealers.create({ code: 'D-X', name: 'X', mainRegion: 'XX' })).rejects.toMatchObject({ code: 'invalid_data', field: 'mainRegion' });
        const unknownExtras = dealers.create({ code: 'D-X', name: 'X', mainRegion: 'RU-MOW', extraRegions: ['RU-SPE', 'NOPE-1', 'NOPE-2'] });
        await expect(unknownExtras).rejects.toMatchObject({ code: 'invalid_data', field: 'extraRegions', message: expect.stringContaining('NOPE-1, NOPE-2') });
        await expect(dealers.create({ code: 'D/X', name: 'X', mainRegion: 'RU-MOW' })).rejects.toMatchObject({ code: 'invalid_data', field: 'code' });
        await expect(dealers.create({ code: 'D X', name: 'X', mainRegion: 'RU-MOW' })).rejects.toMatchObject({ code: 'invalid_data', field: 'code' });
        await expect(dealers.create({ code: 'D-X', mainRegion: 'RU-MOW' })).rejects.toMatchObject({ code: 'invalid_data' });
        await expect(dealers.create({ code: 'D-X', name: 'X', mainRegion: 'RU-MOW', points: 5 })).rejects.toMatchObject({ code: 'invalid_data' });
        await expect(dealers.get('D-X')).rejects.toMatchObject({ code: 'not_found' });
      });
    });

    describe('when a dealer is changed', () => {
      beforeAll(async () => {
        await dealers.create({ code: 'D-2', name: 'Petersburg tiles', mainRegion: 'RU-SPE', extraRegions: ['RU-MOS'], logoUrl: 'https://cdn.example/d2.png', priceColumn: 'B' });
      });

      it('changes the fields given, clears with null and keeps the rest', async () => {
        const view = await dealers.update('D-2', { name: 'Petersburg Tiles Ltd', authorised: true, callFromSite: true, logoUrl: null, description: 'Since 1999' });
        expect(view).toMatchObject({
          name: 'Petersburg Tiles Ltd',
          authorised: true,
          callFromSite: true,
          logoUrl: null,
          description: 'Since 1999',
          priceColumn: 'B',
          mainRegion: { code: 'RU-SPE' },
          extraRegions: [{ code: 'RU-MOS' }],
        });
        expect(Date.parse(view.updatedAt)).toBeGreaterThanOrEqual(Date.parse(view.createdAt));
      });

      it('replaces the main region and the extra regions, keeping exactly one main region', async () => {
        let view = await dealers.update('D-2', { mainRegion: 'RU-MOS' });
        expect(view.mainRegion.code).toBe('RU-MOS');
        // The new main region was an extra one: it is listed once, as the main one; the old main one is gone.
        expect(view.extraRegions).toEqual([]);
        view = await dealers.update('D-2', { extraRegions: ['RU-SPE', 'RU-MOW-ZEL', 'RU-SPE'] });
        expect(view.mainRegion.code).toBe('RU-MOS');
        expect(view.extraRegions.map((r) => r.code)).toEqual(['RU-MOW-ZEL', 'RU-SPE']);
        view = await dealers.update('D-2', { mainRegion: 'RU-SPE', extraRegions: ['RU-MOW'] });
        expect(view.mainRegion.code).toBe('RU-SPE');
        expect(view.extraRegions.map((r) => r.code)).toEqual(['RU-MOW']);
        const mains = await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM dealer_region dr JOIN dealer d ON d.id = dr.dealer_id WHERE d.code = 'D-2' AND dr.is_main`,
        );
        expect(mains[0]!.n).toBe(1);
      });

      it('refuses an unknown dealer, an unknown region, no change and a change of code', async () => {
        await expect(dealers.update('NOPE', { name: 'x' })).rejects.toMatchObject({ code: 'not_found' });
        await expect(dealers.update('D-2', { mainRegion: 'XX' })).rejects.toMatchObject({ code: 'invalid_data', field: 'mainRegion' });
        await expect(dealers.update('D-2', { extraRegions: ['XX'] })).rejects.toMatchObject({ code: 'invalid_data', field: 'extraRegions' });
        await expect(dealers.update('D-2', {})).rejects.toMatchObject({ code: 'invalid_data' });
        await expect(dealers.update('D-2', { code: 'D-22' })).rejects.toMatchObject({ code: 'invalid_data' });
        expect((await dealers.get('D-2')).mainRegion.code).toBe('RU-SPE');
      });

      it('answers the average take time from the take counters', async () => {
        await t.db.query(`UPDATE dealer SET takes_count = 4, take_seconds_total = 100 WHERE code = 'D-2'`);
        expect(await dealers.get('D-2')).toMatchObject({ takesCount: 4, avgTakeSeconds: 25 });
      });
    });

    describe('when dealers are listed', () => {
      beforeAll(async () => {
        await dealers.create({ code: 'L-CITY', name: 'City dealer', mainRegion: 'KZ-ALA-C1', authorised: true });
        await dealers.create({ code: 'L-REG', name: 'Regional 50% dealer', mainRegion: 'KZ-ALA' });
        await dealers.create({ code: 'L-COUNTRY', name: 'Country dealer', mainRegion: 'KZ', active: false });
        await dealers.create({ code: 'L-AST', name: 'Astana dealer', mainRegion: 'KZ-AST', authorised: true });
        await dealers.create({ code: 'L-EXTRA', name: 'Astana and Almaty centre', mainRegion: 'KZ-AST', extraRegions: ['KZ-ALA-C1'] });
      });
      const codes = (list: { dealers: { code: string }[] }) => list.dealers.map((d) => d.code);

      it('filters by region through the hierarchy both ways: inside, equal and containing', async () => {
        expect(codes(await dealers.list({ region: 'KZ-ALA' }))).toEqual(['L-CITY', 'L-COUNTRY', 'L-EXTRA', 'L-REG']);
        expect(codes(await dealers.list({ region: 'KZ-ALA-C1' }))).toEqual(['L-CITY', 'L-COUNTRY', 'L-EXTRA', 'L-REG']);
        expect(codes(await dealers.list({ region: 'KZ-AST' }))).toEqual(['L-AST', 'L-COUNTRY', 'L-EXTRA']);
        expect(await dealers.list({ region: 'KZ' })).toMatchObject({ total: 5 });
        await expect(dealers.list({ region: 'XX' })).rejects.toMatchObject({ code: 'invalid_data', field: 'region' });
      });

      it('filters by name or code substring (case-insensitive, wildcards literal), active and authorised', async () => {
        expect(codes(await dealers.list({ q: 'astana' }))).toEqual(['L-AST', 'L-EXTRA']);
        expect(codes(await dealers.list({ q: 'l-cit' }))).toEqual(['L-CITY']);
        expect(codes(await dealers.list({ q: '50%' }))).toEqual(['L-REG']);
        expect(codes(await dealers.list({ q: '_' }))).toEqual([]);
        expect(codes(await dealers.list({ region: 'KZ', active: false }))).toEqual(['L-COUNTRY']);
        expect(codes(await dealers.list({ region: 'KZ', authorised: true }))).toEqual(['L-AST', 'L-CITY']);
      });

      it('pages with limit and offset, with the total, and refuses a limit over 1000', async () => {
        expect(await dealers.list({ region: 'KZ', limit: 2, offset: 1 })).toMatchObject({ total: 5, dealers: [{ code: 'L-CITY' }, { code: 'L-COUNTRY' }] });
        expect(await dealers.list({ region: 'KZ', limit: 2, offset: 10 })).toEqual({ total: 5, dealers: [] });
        await expect(dealers.list({ limit: 1001 })).rejects.toMatchObject({ code: 'invalid_data', field: 'limit' });
      });

      it('answers summaries with the main region and the number of orders distributed to the dealer', async () => {
        await distribute('LIST-1', 'L-AST');
        await distribute('LIST-2', 'L-AST');
        const { dealers: [ast] } = await dealers.list({ q: 'L-AST' });
        expect(ast).toEqual({
          code: 'L-AST', name: 'Astana dealer', mainRegion: 'KZ-AST', authorised: true, acceptsSiteOrders: true, callFromSite: false, active: true,
          points: 0, orders: 2, createdAt: expect.stringMatching(ISO),
        });
      });

      it('reads in a fixed number of queries whatever the number of dealers', async () => {
        const { db, count } = counting(t.db);
        const service = new DealerService(db);
        await service.list({ region: 'KZ', limit: 1 });
        const one = count();
        await service.list({ region: 'KZ', limit: 1000 });
        expect(count() - one).toBe(one);
        expect(one).toBeLessThanOrEqual(3);
      });
    });

    describe('when a dealer is removed', () => {
      it('deletes a dealer without distribution history, with its managers and regions', async () => {
        await dealers.create({ code: 'R-1', name: 'Short-lived', mainRegion: 'RU-MOW' });
        await dealers.addManager('R-1', { login: 'r1-boss', name: 'Boss', isHead: true });
        await dealers.remove('R-1');
        await expect(dealers.get('R-1')).rejects.toMatchObject({ code: 'not_found' });
        expect(await t.db.prisma.dealerManager.count({ where: { login: 'r1-boss' } })).toBe(0);
        await expect(dealers.remove('R-1')).rejects.toMatchObject({ code: 'not_found' });
      });

      it('refuses a dealer with distributions or offers, telling to block it instead', async () => {
        await dealers.create({ code: 'R-2', name: 'Has orders', mainRegion: 'RU-MOW' });
        await dealers.create({ code: 'R-3', name: 'Was offered one', mainRegion: 'RU-MOW' });
        await distribute('REMOVE-1', 'R-2', 'R-3');
        await expect(dealers.remove('R-2')).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('active = false') });
        await expect(dealers.remove('R-3')).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('1 offer(s)') });
        expect((await dealers.update('R-2', { active: false })).active).toBe(false);
      });
    });

    describe('when dealers are loaded', () => {
      const load = [
        { code: 'LD-1', name: 'Loaded one', mainRegion: 'RU-MOW', extraRegions: ['RU-MOW-ZEL', 'RU-MOS'], contacts: { site: 'https://one.example', phones: ['1'] } },
        { code: 'LD-2', name: 'Loaded two', mainRegion: 'RU-SPE', productLines: ['Marmi'], priceColumn: 'A' },
      ];

      it('creates them, and loading the same dealers again changes nothing', async () => {
        expect(await dealers.load(load)).toEqual({ received: 2, created: 2, updated: 0, unchanged: 0 });
        const before = await dealers.get('LD-1');
        expect(await dealers.load(load)).toEqual({ received: 2, created: 0, updated: 0, unchanged: 2 });
        // Regions in another order and contact keys in another order are the same dealer.
        const reordered = [{ ...load[0]!, extraRegions: ['RU-MOS', 'RU-MOW-ZEL'], contacts: { phones: ['1'], site: 'https://one.example' } }, load[1]!];
        expect(await dealers.load(reordered)).toEqual({ received: 2, created: 0, updated: 0, unchanged: 2 });
        expect((await dealers.get('LD-1')).updatedAt).toBe(before.updatedAt);
        expect(await dealers.load([])).toEqual({ received: 0, created: 0, updated: 0, unchanged: 0 });
      });

      it('updates what changed, creates what is new and keeps fields the load leaves out', async () => {
        await dealers.update('LD-2', { acceptsSiteOrders: false });
        const summary = await dealers.load([
          { ...load[0]!, extraRegions: ['RU-MOS'] },
          load[1]!,
          { code: 'LD-3', name: 'Loaded three', mainRegion: 'RU-MOS-KHI' },
        ]);
        expect(summary).toEqual({ received: 3, created: 1, updated: 1, unchanged: 1 });
        expect((await dealers.get('LD-1')).extraRegions.map((r) => r.code)).toEqual(['RU-MOS']);
        expect(await dealers.get('LD-2')).toMatchObject({ acceptsSiteOrders: false, productLines: ['Marmi'], priceColumn: 'A' });
        expect((await dealers.get('LD-3')).mainRegion.code).toBe('RU-MOS-KHI');
      });

      it('refuses a code twice or an unknown region and then writes nothing', async () => {
        await expect(dealers.load([load[0]!, load[0]!])).rejects.toMatchObject({ code: 'invalid_data', field: '1.code' });
        const bad = dealers.load([{ code: 'LD-4', name: 'Four', mainRegion: 'RU-MOW' }, { code: 'LD-5', name: 'Five', mainRegion: 'XX' }]);
        await expect(bad).rejects.toMatchObject({ code: 'invalid_data', field: '1.mainRegion' });
        const badExtra = dealers.load([{ code: 'LD-4', name: 'Four', mainRegion: 'RU-MOW', extraRegions: ['XX'] }]);
        await expect(badExtra).rejects.toMatchObject({ code: 'invalid_data', field: '0.extraRegions' });
        await expect(dealers.load([{ code: 'LD-4' }])).rejects.toMatchObject({ code: 'invalid_data' });
        await expect(dealers.get('LD-4')).rejects.toMatchObject({ code: 'not_found' });
      });
    });

    describe('when an assortment is set', () => {
      beforeAll(async () => {
        await dealers.create({ code: 'A-1', name: 'Assortment dealer', mainRegion: 'RU-MOW' });
      });

      it('replaces the whole assortment and answers it by SKU', async () => {
        expect(await dealers.setAssortment('A-1', { items: [{ sku: 'TILE-2' }, { sku: 'TILE-1', ownPrice: null }] })).toEqual({
          items: 2,
          wholeRange: false,
          productLines: [],
        });
        expect(await dealers.setAssortment('A-1', { wholeRange: true, productLines: ['Marmi', 'Basic', 'Marmi'], items: [{ sku: 'TILE-3' }, { sku: 'TILE-2' }] })).toEqual({
          items: 2,
          wholeRange: true,
          productLines: ['Marmi', 'Basic'],
        });
        expect(await dealers.getAssortment('A-1')).toEqual({
          items: [
            { sku: 'TILE-2', name: 'Tile two', productLine: 'Marmi', ownPrice: null },
            { sku: 'TILE-3', name: 'Tile three', productLine: 'Basic', ownPrice: null },
          ],
          wholeRange: true,
          productLines: ['Marmi', 'Basic'],
        });
        expect(await dealers.get('A-1')).toMatchObject({ assortmentCount: 2, wholeRange: true, productLines: ['Marmi', 'Basic'] });
        // Absent wholeRange and productLines stay as they are; an empty list empties the assortment.
        expect(await dealers.setAssortment('A-1', { items: [] })).toEqual({ items: 0, wholeRange: true, productLines: ['Marmi', 'Basic'] });
        expect((await dealers.getAssortment('A-1')).items).toEqual([]);
      });

      it('refuses unknown SKUs (listing them) and duplicates, changing nothing', async () => {
        await dealers.setAssortment('A-1', { items: [{ sku: 'TILE-1' }] });
        const unknown = dealers.setAssortment('A-1', { items: [{ sku: 'TILE-2' }, { sku: 'GHOST-1' }, { sku: 'GHOST-2' }] });
        await expect(unknown).rejects.toMatchObject({ code: 'invalid_data', field: 'items', message: expect.stringContaining('GHOST-1, GHOST-2') });
        await expect(dealers.setAssortment('A-1', { items: [{ sku: 'TILE-2' }, { sku: 'TILE-2' }] })).rejects.toMatchObject({ code: 'invalid_data', field: 'items' });
        expect((await dealers.getAssortment('A-1')).items.map((i) => i.sku)).toEqual(['TILE-1']);
        await expect(dealers.setAssortment('NOPE', { items: [] })).rejects.toMatchObject({ code: 'not_found' });
        await expect(dealers.getAssortment('NOPE')).rejects.toMatchObject({ code: 'not_found' });
      });

      it('refuses own prices unless the dealer may set them, then keeps them as decimal strings', async () => {
        const priced = { items: [{ sku: 'TILE-1', ownPrice: '1250.50' }, { sku: 'TILE-2' }] };
        await expect(dealers.setAssortment('A-1', priced)).rejects.toMatchObject({ code: 'invalid_data', field: 'items', message: expect.stringContaining('TILE-1') });
        await expect(dealers.setAssortment('A-1', { items: [{ sku: 'TILE-1', ownPrice: 12.5 }] })).rejects.toMatchObject({ code: 'invalid_data' });
        await dealers.update('A-1', { ownPricesAllowed: true });
        await expect(dealers.setAssortment('A-1', { items: [{ sku: 'TILE-1', ownPrice: '-1' }] })).rejects.toMatchObject({ code: 'invalid_data', field: 'items' });
        expect(await dealers.setAssortment('A-1', priced)).toMatchObject({ items: 2 });
        expect((await dealers.getAssortment('A-1')).items).toEqual([
          { sku: 'TILE-1', name: 'Tile one', productLine: 'Marmi', ownPrice: '1250.5' },
          { sku: 'TILE-2', name: 'Tile two', productLine: 'Marmi', ownPrice: null },
        ]);
      });
    });

    describe('when managers are kept', () => {
      beforeAll(async () => {
        await dealers.create({ code: 'M-1', name: 'Managed dealer', mainRegion: 'RU-MOW' });
        await dealers.create({ code: 'M-2', name: 'Other dealer', mainRegion: 'RU-SPE' });
      });

      it('adds managers with a unique login across every dealer', async () => {
        expect(await dealers.addManager('M-1', { login: 'anna', name: 'Anna', email: 'anna@m1.example' })).toEqual({
          login: 'anna', name: 'Anna', email: 'anna@m1.example', phone: null, isHead: false, active: true, canSignIn: false,
        });
        await dealers.addManager('M-1', { login: 'boris', name: 'Boris', phone: '+7 900', isHead: true });
        await expect(dealers.addManager('M-2', { login: 'anna', name: 'Another Anna' })).rejects.toMatchObject({ code: 'conflict', field: 'login' });
        await expect(dealers.addManager('M-1', { login: 'has space', name: 'X' })).rejects.toMatchObject({ code: 'invalid_data', field: 'login' });
        await expect(dealers.addManager('NOPE', { login: 'zed', name: 'Zed' })).rejects.toMatchObject({ code: 'not_found' });
        expect((await dealers.listManagers('M-1')).map((m) => [m.login, m.isHead])).toEqual([['boris', true], ['anna', false]]);
        expect(await dealers.get('M-1')).toMatchObject({ head: 'boris', managers: [{ login: 'boris' }, { login: 'anna' }] });
      });

      it('moves the head role: a new head manager, an appointment, a change', async () => {
        await dealers.addManager('M-1', { login: 'clara', name: 'Clara', isHead: true });
        expect((await dealers.get('M-1')).head).toBe('clara');
        expect(await dealers.appointHead('M-1', 'anna')).toMatchObject({ login: 'anna', isHead: true });
        expect((await dealers.listManagers('M-1')).filter((m) => m.isHead).map((m) => m.login)).toEqual(['anna']);
        expect(await dealers.updateManager('M-1', 'boris', { isHead: true, name: 'Boris B.' })).toMatchObject({ name: 'Boris B.', isHead: true });
        expect((await dealers.listManagers('M-1')).filter((m) => m.isHead).map((m) => m.login)).toEqual(['boris']);
        // A failed add leaves the head where it was.
        await expect(dealers.addManager('M-1', { login: 'anna', name: 'Dup', isHead: true })).rejects.toMatchObject({ code: 'conflict' });
        expect((await dealers.get('M-1')).head).toBe('boris');
        await expect(dealers.appointHead('M-1', 'nobody')).rejects.toMatchObject({ code: 'not_found' });
        await expect(dealers.appointHead('M-2', 'anna')).rejects.toMatchObject({ code: 'not_found' });
      });

      it('changes and blocks managers; a blocked head stops being the head', async () => {
        expect(await dealers.updateManager('M-1', 'clara', { email: 'clara@m1.example', phone: '+7 901' })).toMatchObject({ email: 'clara@m1.example', phone: '+7 901' });
        expect(await dealers.updateManager('M-1', 'clara', { email: null })).toMatchObject({ email: null, phone: '+7 901' });
        expect(await dealers.updateManager('M-1', 'boris', { active: false })).toMatchObject({ active: false, isHead: false });
        expect((await dealers.get('M-1')).head).toBeNull();
        await expect(dealers.updateManager('M-1', 'boris', { isHead: true })).rejects.toMatchObject({ code: 'invalid_data', field: 'isHead' });
        await expect(dealers.updateManager('M-1', 'clara', {})).rejects.toMatchObject({ code: 'invalid_data' });
        await expect(dealers.updateManager('M-1', 'clara', { login: 'c' })).rejects.toMatchObject({ code: 'invalid_data' });
      });

      it('removes managers', async () => {
        await dealers.removeManager('M-1', 'clara');
        expect((await dealers.listManagers('M-1')).map((m) => m.login)).toEqual(['anna', 'boris']);
        await expect(dealers.removeManager('M-1', 'clara')).rejects.toMatchObject({ code: 'not_found' });
        await expect(dealers.removeManager('M-2', 'anna')).rejects.toMatchObject({ code: 'not_found' });
        await expect(dealers.listManagers('NOPE')).rejects.toMatchObject({ code: 'not_found' });
      });
    });

    describe('when promotions run', () => {
      beforeAll(async () => {
        await dealers.create({ code: 'P-1', name: 'Promoted dealer', mainRegion: 'RU-MOW' });
      });

      it('creates promotions and refuses a taken code or impossible dates', async () => {
        expect(await dealers.createPromotion({ code: 'SPRING', name: 'Spring sale', validFrom: '2027-03-01', validTo: '2027-05-31' })).toEqual({
          code: 'SPRING', name: 'Spring sale', description: null, validFrom: '2027-03-01', validTo: '2027-05-31', dealers: 0, createdAt: expect.stringMatching(ISO),
        });
        await dealers.createPromotion({ code: 'ALWAYS', name: 'Always on', description: 'No end' });
        await expect(dealers.createPromotion({ code: 'SPRING', name: 'Again' })).rejects.toMatchObject({ code: 'conflict' });
        await expect(dealers.createPromotion({ code: 'BAD', name: 'Bad', validFrom: '2027-05-01', validTo: '2027-04-01' })).rejects.toMatchObject({ code: 'invalid_data', field: 'validTo' });
        await expect(dealers.createPromotion({ code: 'BAD', name: 'Bad', validFrom: '2027-02-30' })).rejects.toMatchObject({ code: 'invalid_data', field: 'validFrom' });
      });

      it('lets a dealer join and leave, idempotently', async () => {
        expect(await dealers.joinPromotion('P-1', 'SPRING')).toEqual({ changed: true });
        expect(await dealers.joinPromotion('P-1', 'SPRING')).toEqual({ changed: false });
        await dealers.joinPromotion('P-1', 'ALWAYS');
        expect((await dealers.get('P-1')).promotions).toEqual(['ALWAYS', 'SPRING']);
        expect((await dealers.listPromotions()).map((p) => [p.code, p.dealers])).toEqual([['ALWAYS', 1], ['SPRING', 1]]);
        expect(await dealers.leavePromotion('P-1', 'SPRING')).toEqual({ changed: true });
        expect(await dealers.leavePromotion('P-1', 'SPRING')).toEqual({ changed: false });
        expect((await dealers.get('P-1')).promotions).toEqual(['ALWAYS']);
        await expect(dealers.joinPromotion('P-1', 'NOPE')).rejects.toMatchObject({ code: 'not_found' });
        await expect(dealers.joinPromotion('NOPE', 'SPRING')).rejects.toMatchObject({ code: 'not_found' });
      });
    });

    describe('when points change', () => {
      let dealerId: string;
      beforeAll(async () => {
        dealerId = (await dealers.create({ code: 'PT-1', name: 'Points dealer', mainRegion: 'RU-MOW' })).id;
      });
      const change = (delta: number, cause: string, orderId: string | null) =>
        t.db.prisma.$transaction((tx) => changePoints(tx, { dealerId, delta, cause, orderId, changedBy: 'system' }));

      it('counts an order once per cause', async () => {
        expect(await change(10, 'order_completed', 'O-1')).toEqual({ applied: true, balance: 10 });
        expect(await change(10, 'order_completed', 'O-1')).toEqual({ applied: false, balance: 10 });
        expect(await change(-4, 'cancelled_by_dealer', 'O-1')).toEqual({ applied: true, balance: 6 });
        expect(await change(7, 'order_completed', 'O-2')).toEqual({ applied: true, balance: 13 });
        await expect(t.db.prisma.$transaction((tx) => changePoints(tx, { dealerId: 'no-such-dealer', delta: 1, cause: 'manual' }))).rejects.toMatchObject({ code: 'not_found' });
        await expect(change(1.5, 'manual', null)).rejects.toMatchObject({ code: 'invalid_data', field: 'delta' });
      });

      it('adjusts manually with a note and who did it; refuses a zero delta or no note', async () => {
        expect(await dealers.adjustPoints('PT-1', { delta: -3, note: 'late delivery' }, 'admin-ivan')).toEqual({ balance: 10 });
        await expect(dealers.adjustPoints('PT-1', { delta: 0, note: 'nothing' }, 'admin-ivan')).rejects.toMatchObject({ code: 'invalid_data', field: 'delta' });
        await expect(dealers.adjustPoints('PT-1', { delta: 5 }, 'admin-ivan')).rejects.toMatchObject({ code: 'invalid_data' });
        await expect(dealers.adjustPoints('PT-1', { delta: 5, note: '' }, 'admin-ivan')).rejects.toMatchObject({ code: 'invalid_data', field: 'note' });
        await expect(dealers.adjustPoints('NOPE', { delta: 5, note: 'x' }, 'admin-ivan')).rejects.toMatchObject({ code: 'not_found' });
        expect((await dealers.get('PT-1')).points).toBe(10);
      });

      it('answers the history newest first, page by page', async () => {
        const history = await dealers.pointsHistory('PT-1');
        expect(history.map((h) => [h.delta, h.balance, h.cause, h.orderId])).toEqual([
          [-3, 10, 'manual', null],
          [7, 13, 'order_completed', 'O-2'],
          [-4, 6, 'cancelled_by_dealer', 'O-1'],
          [10, 10, 'order_completed', 'O-1'],
        ]);
        expect(history[0]).toMatchObject({ note: 'late delivery', changedBy: 'admin-ivan', createdAt: expect.stringMatching(ISO), id: expect.stringMatching(/^\d+$/) });
        const first = await dealers.pointsHistory('PT-1', { limit: 2 });
        const second = await dealers.pointsHistory('PT-1', { limit: 2, beforeId: first[1]!.id });
        expect([...first, ...second]).toEqual(history);
        expect(await dealers.pointsHistory('PT-1', { beforeId: history[3]!.id })).toEqual([]);
        await expect(dealers.pointsHistory('PT-1', { limit: 0 })).rejects.toMatchObject({ code: 'invalid_data', field: 'limit' });
        await expect(dealers.pointsHistory('NOPE')).rejects.toMatchObject({ code: 'not_found' });
        const [sum] = await t.db.query<{ total: number }>(`SELECT sum(delta)::int AS total FROM dealer_points_change WHERE dealer_id = $1`, [dealerId]);
        expect(sum!.total).toBe((await dealers.get('PT-1')).points);
      });
    });

    if (kind === 'PostgreSQL') {
      describe('when points change concurrently', () => {
        it('keeps points equal to the sum of the deltas and the balances a chain', async () => {
          const { id: dealerId } = await dealers.create({ code: 'PT-RACE', name: 'Racing dealer', mainRegion: 'RU-MOW' });
          // Separate pools: separate connections, as separate workers would have.
          const pools = [t.db, await openDatabase({ url: t.url, poolSize: 10 }), await openDatabase({ url: t.url, poolSize: 10 })];
          try {
            // 20 changes; the last five credit the same order for the same cause, so exactly one of those applies.
            const changes = Array.from({ length: 20 }, (_, i) => ({
              delta: i < 15 ? ((i * 7) % 11) - 5 || 3 : 9,
              cause: i < 15 ? 'manual' : 'order_completed',
              orderId: i < 15 ? null : 'O-RACE',
            }));
            const results = await Promise.all(
              changes.map((c, i) => pools[i % pools.length]!.prisma.$transaction((tx) => changePoints(tx, { dealerId, ...c }), { timeout: 60_000, maxWait: 60_000 })),
            );
            expect(results.filter((r, i) => r.applied && i >= 15)).toHaveLength(1);
            expect(results.slice(0, 15).every((r) => r.applied)).toBe(true);

            const expected = changes.slice(0, 15).reduce((sum, c) => sum + c.delta, 0) + 9;
            const ledger = await t.db.query<{ delta: number; balance: number }>(`SELECT delta, balance FROM dealer_points_change WHERE dealer_id = $1 ORDER BY id`, [dealerId]);
            expect(ledger).toHaveLength(16);
            let running = 0;
            for (const row of ledger) {
              running += row.delta;
              expect(row.balance).toBe(running);
            }
            expect(running).toBe(expected);
            expect((await dealers.get('PT-RACE')).points).toBe(expected);
          } finally {
            await Promise.all(pools.slice(1).map((p) => p.close()));
          }
        });
      });
    }
  });
}
