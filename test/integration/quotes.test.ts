import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualOrderContent } from '../../core/model/manual-order.ts';
import { QuoteService } from '../../core/quotes/quotes.ts';
import { manualMapping } from '../../mappings/manual/index.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

const content: ManualOrderContent = {
  customer: { name: 'Építő Kft.', email: 'beszerzes@epito.hu', taxNumber: '12345678-2-41' },
  shippingAddress: { line1: 'Fő utca 1.', city: 'Győr', postcode: '9021', country: 'HU' },
  currency: 'HUF',
  lines: [
    { sku: 'TILE-30', name: 'Floor tile 30x30', quantity: '120', unitPrice: '1890.50', taxRate: '27' },
    { sku: 'GLUE-5', name: 'Tile adhesive 5 kg', quantity: '10', unitPrice: '2990', discount: '990', taxRate: '27' },
  ],
  shipping: { name: 'Pallet delivery', amount: '15000', taxRate: '27' },
};

describe('quotes on PostgreSQL', () => {
  let t: TestDatabase;
  let quotes: QuoteService;
  let channelId: string;

  beforeAll(async () => {
    t = await createTestPostgres({ poolSize: 12 });
    quotes = new QuoteService(t.db, (type) => (type === 'manual' ? manualMapping : undefined));
    channelId = (await t.db.prisma.channel.create({ data: { name: 'Sales desk', kind: 'manual', connectorType: 'manual' } })).id;
  });
  afterAll(() => t.drop());

  it('prices a quote exactly from net prices and tax rates', async () => {
    const quote = await quotes.create({ channelId, content, createdBy: 'anna' });
    // 120 × 1890.50 = 226860; 10 × 2990 − 990 = 28910; shipping 15000; tax 27 % of each part.
    expect(quote.priced).toEqual({ subtotal: '256760', discount: '990', shipping: '15000', fee: '0', tax: '73107.9', total: '343877.9' });
    expect(quote.status).toBe('draft');
    expect(quote.number).toMatch(/^Q-\d{8}-[0-9A-F]{6}$/);
  });

  it('keeps every revision as a version and goes draft → sent → accepted → converted, linked both ways, exactly once', async () => {
    const quote = await quotes.create({ channelId, content, createdBy: 'anna' });
    await quotes.send(quote.id);
    const revised = await quotes.revise(quote.id, { ...content, lines: [content.lines[0]!] }, 'bela');
    expect(revised.version).toBe(2);
    expect(revised.status).toBe('draft');
    expect(revised.versions!.map((v) => [v.version, v.changedBy])).toEqual([[1, 'anna'], [2, 'bela']]);
    await quotes.send(quote.id);
    await quotes.accept(quote.id);

    const conversions = await Promise.all(Array.from({ length: 8 }, () => quotes.convert(quote.id)));
    const orderIds = new Set(conversions.map((c) => c.orderId));
    expect(orderIds.size).toBe(1);
    expect(conversions.filter((c) => c.created)).toHaveLength(1);
    const [orderId] = [...orderIds];
    const order = await t.db.prisma.order.findUniqueOrThrow({ where: { id: orderId! }, include: { lines: true, versions: true } });
    expect(order.quoteId).toBe(quote.id);
    expect(order.externalId).toBe(`quote-${quote.number}`);
    expect(order.versions).toHaveLength(1);
    expect(order.lines).toHaveLength(2); // the revised single product line + shipping
    expect(order.total.toFixed()).toBe('307162.2'); // 226860 + 27 % + 15000 + 27 %
    expect(order.source).toMatchObject({ user: 'anna', createdVia: 'quote' });
    const after = await quotes.get(quote.id);
    expect(after).toMatchObject({ status: 'converted', orderId });
    expect(await t.db.prisma.order.count({ where: { quoteId: quote.id } })).toBe(1);
  });

  it('refuses actions the lifecycle does not allow, with the reason', async () => {
    const quote = await quotes.create({ channelId, content, createdBy: 'anna' });
    await expect(quotes.accept(quote.id)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/a draft quote cannot be accepted/) });
    await expect(quotes.convert(quote.id)).rejects.toMatchObject({ code: 'conflict' });
    await quotes.lose(quote.id, 'competitor was cheaper');
    const lost = await quotes.get(quote.id);
    expect(lost).toMatchObject({ status: 'lost', lostReason: 'competitor was cheaper' });
    await expect(quotes.send(quote.id)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses a quote on a channel that is not a manual one, and invalid content naming the field', async () => {
    const shop = await t.db.prisma.channel.create({ data: { name: 'A shop', kind: 'webshop', connectorType: 'woocommerce' } });
    await expect(quotes.create({ channelId: shop.id, content, createdBy: 'anna' })).rejects.toMatchObject({ code: 'invalid_data', field: 'channelId' });
    await expect(quotes.create({ channelId, content: { ...content, lines: [] }, createdBy: 'anna' })).rejects.toMatchObject({ code: 'invalid_data', field: 'lines' });
  });
});
