import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHub } from '../helpers/cli.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

/** `hub …` against a PostgreSQL database (the production runtime, in-process jobs). */
function hub(databaseUrl: string, ...args: string[]) {
  return runHub({ DATABASE_URL: databaseUrl, REDIS_URL: undefined }, ...args);
}

describe('hub CLI for stock and exclusivity', { timeout: 120_000 }, () => {
  let t: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    t = await createTestPostgres();
    dir = await mkdtemp(join(tmpdir(), 'orderhub-stock-'));
    await writeFile(
      join(dir, 'stock.json'),
      JSON.stringify({
        products: [{ sku: 'TILE-30', name: 'Floor tile 30x30', brand: 'Porcelanosa', unit: 'm2' }],
        warehouses: [{ code: 'MSK', name: 'Moscow' }],
        levels: [{ sku: 'TILE-30', warehouse: 'MSK', onHand: '50' }],
        incoming: [{ sku: 'TILE-30', warehouse: 'MSK', reference: 'PO-7', quantity: '70', expectedOn: '2027-04-15' }],
      }),
    );
    await writeFile(
      join(dir, 'regions.json'),
      JSON.stringify([
        { code: 'RU', name: 'Russia', level: 'country' },
        { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
        { code: 'RU-MOW-ZEL', name: 'Zelenograd', level: 'city', parentCode: 'RU-MOW' },
      ]),
    );
    await writeFile(
      join(dir, 'dealers.json'),
      JSON.stringify([
        { code: 'D-99', name: 'Zelenograd dealer', mainRegion: 'RU-MOW-ZEL' },
        { code: 'D-17', name: 'Moscow partner', mainRegion: 'RU-MOW' },
      ]),
    );
    await writeFile(join(dir, 'rules.json'), JSON.stringify([{ externalId: '1C-1', scope: 'brand', value: 'Porcelanosa', regionCode: 'RU-MOW', dealerCodes: ['D-17'] }]));
  });
  afterAll(() => t.drop());

  it('loads stock idempotently and answers availability by date as the documented example', async () => {
    const first = await hub(t.url!, 'stock', 'load', join(dir, 'stock.json'));
    expect(first.code, first.stderr).toBe(0);
    const again = await hub(t.url!, 'stock', 'load', join(dir, 'stock.json'));
    expect(again.stdout).toMatch(/levels\s+0\s+0\s+1/);
    const availability = await hub(t.url!, 'stock', 'availability', '--sku', 'TILE-30', '--qty', '100', '--by', '2027-04-17', '--json');
    expect(availability.code, availability.stderr).toBe(0);
    const line = JSON.parse(availability.stdout);
    expect(line).toMatchObject({ status: 'confirmed', allocated: '100' });
    expect(line.sources.map((s: { kind: string; quantity: string }) => [s.kind, s.quantity])).toEqual([
      ['incoming', '70'],
      ['on_hand', '30'],
    ]);
  });

  it('loads regions and rules, and refuses a city dealer outside the partners with the reason (exit code 2)', async () => {
    expect((await hub(t.url!, 'regions', 'load', join(dir, 'regions.json'))).code).toBe(0);
    expect((await hub(t.url!, 'dealers', 'load', join(dir, 'dealers.json'))).code).toBe(0);
    expect((await hub(t.url!, 'exclusivity', 'load', join(dir, 'rules.json'))).code).toBe(0);
    // The dealer's regions are the ones the hub holds for it.
    const refused = await hub(t.url!, 'exclusivity', 'check', '--dealer', 'D-99', '--sku', 'TILE-30');
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/REFUSED\s+brand "Porcelanosa" is exclusive in RU-MOW to dealer D-17 \(rule 1C-1, without end date\); dealer D-99 operates in RU-MOW-ZEL, inside RU-MOW/);
    const partner = await hub(t.url!, 'exclusivity', 'check', '--dealer', 'D-17', '--delivery-region', 'RU-MOW-ZEL', '--sku', 'TILE-30');
    expect(partner.code).toBe(0);
  });
});
