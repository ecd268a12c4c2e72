import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../core/audit/actor.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { ADMIN_SCOPE } from '../../core/dealers/dealer-scope.ts';
import type { DecisionTrace } from '../../core/distribution/distribution-plan.ts';
import { DistributionQueries } from '../../core/distribution/distribution-queries.ts';
import { DistributionService } from '../../core/distribution/distribution-service.ts';
import { ExclusivityService } from '../../core/exclusivity/exclusivity-service.ts';
import type { OrderDraft } from '../../core/model/order.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/**
 * Regional exclusivity judged by where the order is delivered (issue 10): NOVA is exclusive to
 * dealer A in Moscow. A NOVA order delivered in a Moscow city is offered to A alone, whatever the
 * tier and wherever the other dealers are registered; a dealer registered in Tver with Moscow as an
 * extra region still gets NOVA orders in Tver; an order without NOVA goes as usual; an admin's
 * assign to a non-partner is refused unless forced with a reason.
 */

const REGIONS = [
  { code: 'RU', name: 'Russia', level: 'country' },
  { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
  { code: 'RU-MOW-ZEL', name: 'Zelenograd', level: 'city', parentCode: 'RU-MOW' },
  { code: 'RU-TVE', name: 'Tver', level: 'region', parentCode: 'RU' },
  { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
];
const LINES = ['NOVA-LINE', 'PLAIN-LINE'];
const FAR = Array.from({ length: 8 }, (_, i) => `FAR-${i + 1}`);
const NOW = new Date('2026-06-10T08:00:00.000Z');
const ADMIN: Actor = { login: 'anna', userId: null, via: 'session', ip: null };

type Line = OrderDraft['lines'][number];
const line = (sku: string): Line => ({ kind: 'product', sku, name: sku, quantity: '1', unitPrice: '100.00', subtotal: '100.00', discount: '0', tax: '0', total: '100.00', attributes: {} });

for (const [kind, createDatabase] of DATABASE_KINDS) {
  describe(`exclusivity by the order's region on ${kind}`, () => {
    let t: TestDatabase;
    let service: DistributionService;
    let queries: DistributionQueries;
    let channelId: string;
    let ruleId: string;
    let n = 0;

    beforeAll(async () => {
      t = await createDatabase();
      await new RegionService(t.db).load(REGIONS);
      await t.db.prisma.product.createMany({
        data: [
          { sku: 'NOVA-1', name: 'Nova tile', productLine: 'NOVA-LINE', brand: 'NOVA' },
          { sku: 'PLAIN-1', name: 'Plain tile', productLine: 'PLAIN-LINE', brand: 'Plain' },
        ],
      });
      const dealer = (code: string, mainRegion: string, extra: Partial<{ extraRegions: string[]; authorised: boolean }> = {}) => ({
        code, name: `Dealer ${code}`, mainRegion, authorised: true, productLines: LINES, ...extra,
      });
      await new DealerService(t.db).load([
        dealer('A', 'RU-MOW'),
        dealer('COUNTRY', 'RU'),
        dealer('TVER', 'RU-TVE', { extraRegions: ['RU-MOW'] }),
        dealer('FIX', 'RU-SPE'),
        dealer('DEF', 'RU-SPE'),
        dealer('DEPT', 'RU'),
        dealer('UNAUTH', 'RU-MOW', { authorised: false }),
        ...FAR.map((code) => dealer(code, 'RU-SPE')),
      ]);
      ruleId = (await new ExclusivityService(t.db).create({ scope: 'brand', value: 'NOVA', regionCode: 'RU-MOW', dealerCodes: ['A'], externalId: '1C-NOVA' })).id;
      channelId = (await t.db.prisma.channel.create({ data: { name: 'Webshop', kind: 'webshop', connectorType: 'woocommerce' } })).id;
      service = new DistributionService(t.db, { clock: () => NOW });
      queries = new DistributionQueries(t.db, () => NOW);
    });
    afterAll(() => t.drop());

    async function place(region: string, sku: string): Promise<string> {
      n += 1;
      const draft = orderDraft(`EXC-${n}`, { region, currency: 'RUB', lines: [line(sku)], placedAt: NOW.toISOString(), sourceUpdatedAt: NOW.toISOString() });
      const [result] = await ingestOrders(t.db, { channelId, drafts: [draft] });
      return result!.orderId!;
    }

    async function configure(tiers: unknown[], settings: Record<string, unknown> = {}): Promise<void> {
      await service.configs.save({ settings, tiers }, 'test');
    }

    async function offered(orderId: string): Promise<string[]> {
      return (await queries.details(ADMIN_SCOPE, orderId)).offers.map((o) => o.dealer).sort();
    }

    async function traceOf(orderId: string): Promise<DecisionTrace> {
      return (await queries.details(ADMIN_SCOPE, orderId)).trace!;
    }

    /** A fixed rule naming FIX for NOVA, then a nationwide taxi; DEF is the default dealer for NOVA; DEPT the fallback. */
    const everyTier = async () =>
      configure(
        [
          { kind: 'fixed', windowMinutes: 10, rules: [{ dealer: 'FIX', match: { brands: ['NOVA'] } }] },
          { kind: 'taxi', windowMinutes: 60, scope: 'everywhere' },
        ],
        { fallbackDealer: 'DEPT', defaultDealers: [{ dealer: 'DEF', match: { brands: ['NOVA'] } }] },
      );

    it('offers a NOVA order delivered in a Moscow city to the partner alone: no default dealer, fixed rule, country-level dealer or nationwide taxi', async () => {
      await everyTier();
      const orderId = await place('RU-MOW-ZEL', 'NOVA-1');
      expect(await service.distribute(orderId)).toMatchObject({ status: 'offering' });
      expect(await offered(orderId)).toEqual(['A']);

      const trace = await traceOf(orderId);
      expect(trace.order.exclusivity).toMatchObject({
        regionCode: 'RU-MOW-ZEL',
        byOrderRegion: true,
        restricted: [{ sku: 'NOVA-1', partners: ['A'], rules: [{ id: ruleId, externalId: '1C-NOVA', scope: 'brand', value: 'NOVA', regionCode: 'RU-MOW' }] }],
      });
      for (const code of ['COUNTRY', 'TVER', 'FIX', 'DEF', 'DEPT', ...FAR]) {
        // Dealers outside Moscow also fail the region check; the nationwide taxi and fixed rules would ignore that one.
        const failed = trace.dealers.find((d) => d.code === code)!.failed;
        expect(failed, code).toContainEqual({
          check: 'exclusivity',
          message: `Dealer ${code} (${code}) is excluded by regional exclusivity: NOVA-1: brand "NOVA" is exclusive in RU-MOW to dealer A (rule 1C-NOVA, without end date); the order is delivered in RU-MOW-ZEL`,
          rules: [expect.objectContaining({ id: ruleId, externalId: '1C-NOVA', scope: 'brand', value: 'NOVA', regionCode: 'RU-MOW' })],
        });
      }
      expect(trace.defaultDealer).toEqual([expect.objectContaining({ dealer: 'DEF', matched: true, usable: false })]);
      expect(trace.tiers[0]).toMatchObject({ kind: 'fixed', skipped: 'no dealer named by a matching rule can take the order' });
      expect(trace.tiers[1]!.offeredTo.map((o) => o.code)).toEqual(['A']);
      expect(trace.result.reason).toContain('the admins are told (the fallback dealer Dealer DEPT (DEPT) is excluded by regional exclusivity');
    });

    it('gives the order to nobody rather than to a fallback that is no partner, and tells the admins', async () => {
      await configure([{ kind: 'rating', windowMinutes: 10, minPoints: 1_000_000 }], { fallbackDealer: 'DEPT' });
      const orderId = await place('RU-MOW', 'NOVA-1');
      expect(await service.distribute(orderId)).toMatchObject({ status: 'unassigned' });
      const trace = await traceOf(orderId);
      expect(trace.result).toMatchObject({ outcome: 'unassigned', reason: expect.stringContaining('the fallback dealer Dealer DEPT (DEPT) is excluded by regional exclusivity') });
      const told = (await queries.notifications(ADMIN_SCOPE, { limit: 1000 })).filter((x) => x.orderId === orderId).map((x) => x.kind);
      expect(told).toEqual(['unassigned']);
    });

    it('offers a NOVA order in Tver to the Tver dealer with Moscow as an extra region: no rule applies there', async () => {
      await everyTier();
      const orderId = await place('RU-TVE', 'NOVA-1');
      await service.distribute(orderId);
      const details = await queries.details(ADMIN_SCOPE, orderId);
      // No rule restricts NOVA in Tver: the default dealer for NOVA gets it, as it would any NOVA order.
      expect(details).toMatchObject({ status: 'assigned', dealer: 'DEF' });
      expect(details.trace!.order.exclusivity).toMatchObject({ regionCode: 'RU-TVE', restricted: [] });
      expect(details.trace!.dealers.every((d) => d.failed.every((f) => f.check !== 'exclusivity'))).toBe(true);

      await configure([{ kind: 'taxi', windowMinutes: 60, scope: 'region' }]);
      const regional = await place('RU-TVE', 'NOVA-1');
      await service.distribute(regional);
      expect(await offered(regional)).toEqual(['COUNTRY', 'DEPT', 'TVER']);
    });

    it('distributes an order without a NOVA line in Moscow as usual', async () => {
      await everyTier();
      const orderId = await place('RU-MOW-ZEL', 'PLAIN-1');
      await service.distribute(orderId);
      expect(await offered(orderId)).toEqual(['A', 'COUNTRY', 'DEF', 'DEPT', 'FIX', 'TVER', ...FAR].sort());
      expect((await traceOf(orderId)).order.exclusivity).toMatchObject({ restricted: [] });
    });

    it('judges dealers by their own regions when the order\'s region is not in the hierarchy, rather than let a rule be breached', async () => {
      await configure([{ kind: 'taxi', windowMinutes: 60, scope: 'everywhere' }]);
      const orderId = await place('XX-NOWHERE', 'NOVA-1');
      await service.distribute(orderId);
      // TVER operates in Moscow (an extra region) and is no NOVA partner there; the others are outside Moscow or A itself.
      expect(await offered(orderId)).toEqual(['A', 'COUNTRY', 'DEF', 'DEPT', 'FIX', ...FAR].sort());
      const trace = await traceOf(orderId);
      expect(trace.order.exclusivity).toMatchObject({ regionCode: 'XX-NOWHERE', byOrderRegion: false, restricted: [] });
      expect(trace.dealers.find((d) => d.code === 'TVER')!.failed).toContainEqual(expect.objectContaining({ check: 'exclusivity', rules: [expect.objectContaining({ id: ruleId })] }));
    });

    describe('when an admin assigns an order directly', () => {
      it('refuses a non-partner, an unauthorised and a blocked dealer with every failed check; forcing needs a written reason, which is recorded', async () => {
        await configure([{ kind: 'taxi', windowMinutes: 60, scope: 'region' }]);
        const orderId = await place('RU-MOW-ZEL', 'NOVA-1');
        await service.distribute(orderId);

        await expect(service.assign(orderId, 'COUNTRY', ADMIN)).rejects.toMatchObject({
          code: 'conflict',
          details: {
            reason: 'not_eligible',
            forceable: true,
            checks: [{ check: 'exclusivity', message: expect.stringContaining('brand "NOVA" is exclusive in RU-MOW to dealer A'), rules: [expect.objectContaining({ id: ruleId })] }],
          },
        });
        await expect(service.assign(orderId, 'UNAUTH', ADMIN)).rejects.toMatchObject({
          code: 'conflict',
          details: { checks: [expect.objectContaining({ check: 'not_authorised' }), expect.objectContaining({ check: 'exclusivity' })] },
        });
        await expect(service.assign(orderId, 'COUNTRY', ADMIN, { force: true })).rejects.toMatchObject({ code: 'invalid_data', field: 'reason' });
        await t.db.prisma.dealer.update({ where: { code: 'FAR-8' }, data: { active: false } });
        await expect(service.assign(orderId, 'FAR-8', ADMIN, { force: true, reason: 'the client insists' })).rejects.toMatchObject({
          code: 'conflict',
          details: { forceable: false, checks: [expect.objectContaining({ check: 'blocked' }), expect.objectContaining({ check: 'exclusivity' })] },
        });
        expect((await queries.details(ADMIN_SCOPE, orderId)).status).toBe('offering');

        const forced = await service.assign(orderId, 'COUNTRY', ADMIN, { force: true, reason: 'A cannot deliver this month; agreed with the supplier' });
        expect(forced).toMatchObject({ dealerCode: 'COUNTRY', status: 'assigned', forced: true });
        const [assigned] = await t.db.query<{ actor: string; details: { forced: boolean; reason: string; overridden: { check: string }[] } }>(
          `SELECT actor, detail AS details FROM distribution_event WHERE order_id = $1 AND kind = 'assigned'`,
          [orderId],
        );
        expect(assigned).toMatchObject({ actor: 'anna', details: { forced: true, reason: 'A cannot deliver this month; agreed with the supplier', overridden: [{ check: 'exclusivity' }] } });
        const audit = await t.db.prisma.auditEvent.findMany({ where: { action: 'order.assign.forced' } });
        expect(audit).toHaveLength(1);
        expect(audit[0]).toMatchObject({ actor: 'anna', targetId: orderId, details: expect.objectContaining({ reason: 'A cannot deliver this month; agreed with the supplier' }) });
      });

      it('assigns the partner without forcing', async () => {
        const orderId = await place('RU-MOW', 'NOVA-1');
        await service.distribute(orderId);
        expect(await service.assign(orderId, 'A', ADMIN, { note: 'asked for' })).toMatchObject({ dealerCode: 'A', forced: false });
      });
    });
  });
}
