import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchOutboundDocument, listOutboundDocuments, recordOutboundDocument } from '../../core/outbound/outbound-documents.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { turnover } from '../../core/orders/turnover.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

for (const [kind, createDatabase] of DATABASE_KINDS) {
  describe(`turnover and outbox on ${kind}`, () => {
    let t: TestDatabase;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      t = await createDatabase();
      const make = async (name: string, kindName: string, connectorType: string, labels: string[]) =>
        (ids[name] = (await t.db.prisma.channel.create({ data: { name, kind: kindName, connectorType, labels } })).id);
      await make('Store Budapest', 'pos', 'pos', ['franchise']);
      await make('Store Győr', 'pos', 'pos', []);
      await make('Web HU', 'webshop', 'woocommerce', ['b2c']);
      const totals = (total: string) => ({ subtotal: total, discount: '0', shipping: '0', fee: '0', tax: '0', total });
      await ingestOrders(t.db, { channelId: ids['Store Budapest']!, drafts: [orderDraft('r1', { totals: totals('100.10'), status: 'completed' }), orderDraft('r2', { totals: totals('0.25'), status: 'completed' })] });
      await ingestOrders(t.db, { channelId: ids['Store Győr']!, drafts: [orderDraft('r1', { totals: totals('50'), status: 'completed' }), orderDraft('r9', { totals: totals('999'), status: 'cancelled' })] });
      await ingestOrders(t.db, { channelId: ids['Web HU']!, drafts: [orderDraft('w1', { totals: totals('10'), currency: 'EUR' }), orderDraft('w2', { totals: totals('7'), placedAt: '2026-10-01T00:00:00.000Z' })] });
    });
    afterAll(() => t.drop());

    it('keeps each store’s turnover apart from every other channel, per currency, without cancelled orders', async () => {
      const rows = await turnover(t.db, { groupBy: 'channel' });
      expect(rows.map((r) => [r.key, r.currency, r.orders, r.total])).toEqual([
        ['Store Budapest', 'HUF', 2, '100.35'],
        ['Store Győr', 'HUF', 1, '50'],
        ['Web HU', 'EUR', 1, '10'],
        ['Web HU', 'HUF', 1, '7'],
      ]);
    });

    it('sums by channel kind and by ops label, within a date range', async () => {
      const byKind = await turnover(t.db, { groupBy: 'kind', placedFrom: new Date('2026-11-01T00:00:00Z') });
      expect(byKind.map((r) => [r.key, r.currency, r.total])).toEqual([
        ['pos', 'HUF', '150.35'],
        ['webshop', 'EUR', '10'],
      ]);
      const byLabel = await turnover(t.db, { groupBy: 'label' });
      expect(byLabel.map((r) => [r.key, r.currency, r.total])).toEqual([
        ['b2c', 'EUR', '10'],
        ['b2c', 'HUF', '7'],
        ['franchise', 'HUF', '100.35'],
      ]);
    });

    it('records an acknowledgement once per reference and marks its first fetch', async () => {
      const doc = { channelId: ids['Web HU']!, kind: 'edifact-ordrsp', dedupKey: 'payload-1|order-1|1', reference: '000042', fileName: 'ORDRSP-000042.edi', contentType: 'application/edifact', body: "UNB+UNOC:3'" };
      const first = await recordOutboundDocument(t.db, doc);
      const again = await recordOutboundDocument(t.db, doc);
      expect(first.created).toBe(true);
      expect(again).toEqual({ id: first.id, created: false });
      expect(await listOutboundDocuments(t.db, { channelId: doc.channelId, unfetchedOnly: true })).toHaveLength(1);
      const fetched = await fetchOutboundDocument(t.db, first.id);
      expect(fetched.body).toBe("UNB+UNOC:3'");
      expect(fetched.fetchedAt).not.toBeNull();
      expect(await listOutboundDocuments(t.db, { channelId: doc.channelId, unfetchedOnly: true })).toEqual([]);
    });
  });
}
