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

describe('hub CLI at the sales desk', { timeout: 120_000 }, () => {
  let t: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    t = await createTestPostgres();
    dir = await mkdtemp(join(tmpdir(), 'orderhub-desk-'));
    await writeFile(
      join(dir, 'order.json'),
      JSON.stringify({ customer: { name: 'Kiss Péter' }, currency: 'HUF', lines: [{ sku: 'TAP-1', name: 'Basin tap', quantity: '2', unitPrice: '10000', taxRate: '27' }] }),
    );
  });
  afterAll(() => t.drop());

  it('adds a labelled manual channel, records a phone order twice as one, makes a quote and reports turnover', async () => {
    const add = await hub(t.url!, 'channels', 'add', 'Phone desk', '--type', 'manual', '--label', 'b2b');
    expect(add.code, add.stderr).toBe(0);

    const first = await hub(t.url!, 'orders', 'add', 'Phone desk', '--file', join(dir, 'order.json'), '--operator', 'anna', '--via', 'phone', '--id', 'CALL-1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Order CALL-1 created \(version 1\) on "Phone desk"/);
    const again = await hub(t.url!, 'orders', 'add', 'Phone desk', '--file', join(dir, 'order.json'), '--operator', 'anna', '--via', 'phone', '--id', 'CALL-1');
    expect(again.stdout).toMatch(/Order CALL-1 unchanged \(version 1\)/);

    const invalid = await hub(t.url!, 'orders', 'add', 'Phone desk', '--json', '{"currency":"HUF","lines":[]}', '--operator', 'anna');
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toMatch(/not valid: (customer|lines)/);

    const quote = await hub(t.url!, 'quotes', 'create', 'Phone desk', '--file', join(dir, 'order.json'), '--by', 'bela');
    expect(quote.stdout).toMatch(/Quote Q-\d{8}-[0-9A-F]{6} \(.+\) drafted: 25400 HUF\./);
    const list = await hub(t.url!, 'quotes', 'list', '--json');
    expect(JSON.parse(list.stdout)).toMatchObject([{ status: 'draft', createdBy: 'bela' }]);

    const report = await hub(t.url!, 'turnover', '--by', 'label');
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/b2b\s+HUF\s+1\s+25400/);
  });
});
