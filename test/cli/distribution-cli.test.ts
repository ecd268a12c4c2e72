import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHub, type CliResult } from '../helpers/cli.ts';

/** `hub …` on the embedded database in `dataDir` (no DATABASE_URL, no REDIS_URL). */
function hub(dataDir: string, ...args: string[]): Promise<CliResult> {
  return runHub({ HUB_DATA_DIR: dataDir, DATABASE_URL: undefined, REDIS_URL: undefined, HUB_ROLE: undefined }, ...args);
}

/** Runs a command that must succeed; a failure shows its stderr. */
async function ok(dataDir: string, ...args: string[]): Promise<CliResult> {
  const result = await hub(dataDir, ...args);
  expect(result.code, `hub ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result;
}

const REGIONS = [
  { code: 'RU', name: 'Russia', level: 'country' },
  { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
  { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
];

const DEALERS = {
  dealers: [
    { code: 'D-1', name: 'Keramika Moscow', mainRegion: 'RU-MOW', authorised: true, wholeRange: true },
    { code: 'D-2', name: 'Plitka Moscow', mainRegion: 'RU-MOW', authorised: true, wholeRange: true },
    { code: 'D-3', name: 'Nevsky Tiles', mainRegion: 'RU-SPE', authorised: true, wholeRange: true },
    { code: 'D-9', name: 'Newcomer Moscow', mainRegion: 'RU-MOW', wholeRange: true },
  ],
};

/** The partner D-1 sees Moscow orders first, for 30 minutes; then every eligible Moscow dealer; D-3 gets what nobody takes. */
const CONFIG = {
  settings: { fallbackDealer: 'D-3' },
  tiers: [
    { kind: 'fixed', name: 'partner', windowMinutes: 30, rules: [{ dealer: 'D-1', match: { regions: ['RU-MOW'] } }] },
    { kind: 'taxi', windowMinutes: 60 },
  ],
};

const ORDER = {
  customer: { name: 'Ivan Petrov', phone: '+7 900 000-00-00' },
  region: 'RU-MOW',
  currency: 'RUB',
  lines: [{ sku: 'TILE-30', name: 'Floor tile 30x30', quantity: '10', unitPrice: '1500', taxRate: '20' }],
};

describe('hub CLI for dealers and distribution', { timeout: 240_000 }, () => {
  let dataDir: string;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'orderhub-distribution-'));
    dataDir = join(dir, 'data');
    await writeFile(join(dir, 'regions.json'), JSON.stringify(REGIONS));
    await writeFile(join(dir, 'dealers.json'), JSON.stringify(DEALERS));
    await writeFile(join(dir, 'config.json'), JSON.stringify(CONFIG));
    await writeFile(join(dir, 'bad-config.json'), JSON.stringify({ settings: {}, tiers: [{ kind: 'base', windowMinutes: 10, delayMinutes: 20 }] }));
    await writeFile(join(dir, 'order.json'), JSON.stringify(ORDER));
    await ok(dataDir, 'migrate');
    await ok(dataDir, 'regions', 'load', join(dir, 'regions.json'));
    const loaded = await ok(dataDir, 'dealers', 'load', join(dir, 'dealers.json'));
    expect(loaded.stdout).toContain('Dealers: 4 received, 4 created, 0 updated, 0 unchanged.');
    const saved = await ok(dataDir, 'distribution', 'config', 'set', join(dir, 'config.json'), '--note', 'partner first', '--by', 'olga');
    expect(saved.stdout).toContain('Saved distribution configuration version 1 (partner → taxi)');
    await ok(dataDir, 'channels', 'add', 'Phone desk', '--type', 'manual');
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('when dealers are loaded again and a bad configuration is offered', () => {
    it('changes nothing, lists the Moscow dealers, and refuses the configuration naming the field (exit code 1)', async () => {
      const again = await ok(dataDir, 'dealers', 'load', join(dir, 'dealers.json'));
      expect(again.stdout).toContain('Dealers: 4 received, 0 created, 0 updated, 4 unchanged.');

      const listed = await ok(dataDir, 'dealers', 'list', '--region', 'RU-MOW');
      expect(listed.stdout).toMatch(/^CODE\s+NAME\s+REGION\s+AUTH\s+POINTS\s+ORDERS$/m);
      expect(listed.stdout).toMatch(/^D-1\s+Keramika Moscow\s+RU-MOW\s+yes\s+0\s+0$/m);
      expect(listed.stdout).toMatch(/^D-9\s+Newcomer Moscow\s+RU-MOW\s+no\s+0\s+0$/m);
      expect(listed.stdout).not.toContain('D-3');

      const refused = await hub(dataDir, 'distribution', 'config', 'set', join(dir, 'bad-config.json'));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: .*bad-config\.json is not a valid distribution configuration: .*the delay \(20 min\) must be shorter than the window \(10 min\).*\(field tiers\.0\.delayMinutes\)/);
    });
  });

  describe('when a manual order is offered to the partner first', () => {
    it('lets the partner take it, refuses the second dealer, traces the tiers, awards points on completion and replays it in what-if', async () => {
      const added = await ok(dataDir, 'orders', 'add', 'Phone desk', '--file', join(dir, 'order.json'), '--operator', 'anna', '--id', 'CALL-1');
      const orderId = /: ([0-9a-f-]{36})$/m.exec(added.stdout)?.[1];
      expect(orderId, added.stdout).toBeDefined();

      const offered = await ok(dataDir, 'distribution', 'orders', '--dealer', 'D-1', '--view', 'offered');
      expect(offered.stdout).toMatch(new RegExp(`offering\\s+RU-MOW\\s+Ivan Petrov\\s+Floor tile 30x30\\s+18000(\\.0+)? RUB.*${orderId}`));

      const taken = await ok(dataDir, 'distribution', 'take', 'D-1', orderId!);
      expect(taken.stdout).toMatch(new RegExp(`^Dealer D-1 took order ${orderId} \\d+ s after it was offered; it is assigned, due `));

      const late = await hub(dataDir, 'distribution', 'take', 'D-2', orderId!);
      expect(late.code).toBe(1);
      // The dealer that lost the race hears "not offered to you", not who took it.
      expect(late.stderr).toContain(`error: Order ${orderId} is not offered to you.`);
      expect(late.stderr).not.toContain('D-1');

      const trace = await ok(dataDir, 'distribution', 'trace', orderId!);
      expect(trace.stdout).toMatch(/^Order .+: assigned, dealer D-1 \(take\)$/m);
      expect(trace.stdout).toMatch(/D-9 Newcomer Moscow .*: fails not_authorised/);
      expect(trace.stdout).toMatch(/D-3 Nevsky Tiles .*: fails region/);
      expect(trace.stdout).toMatch(/1\. partner \(fixed\): opens .+, closes .+\n\s+offered to: D-1 /);
      expect(trace.stdout).toMatch(/2\. taxi: opens .+, closes .+\n\s+offered to: D-2 /);
      expect(trace.stdout).toMatch(/left out D-1 \(already_offered\)/);
      expect(trace.stdout).toMatch(/^\s+\S+ \S+\s+taken D-1 by D-1 /m);
      expect(trace.stdout).toMatch(/^Decision: offer: offered to 2 dealers by 2 tiers \(partner, taxi\).*the fallback dealer Nevsky Tiles \(D-3\) gets it$/m);

      await ok(dataDir, 'distribution', 'status', 'D-1', orderId!, 'in_progress');
      const completed = await ok(dataDir, 'distribution', 'status', 'D-1', orderId!, 'completed');
      expect(completed.stdout).toContain(`Order ${orderId} is completed; dealer D-1 +100 points (balance 100).`);

      const points = await ok(dataDir, 'dealers', 'points', 'D-1');
      expect(points.stdout).toContain('Dealer D-1 (Keramika Moscow) has 100 points.');
      expect(points.stdout).toMatch(new RegExp(`\\+100\\s+100\\s+order_completed\\s+${orderId}`));

      const all = await ok(dataDir, 'distribution', 'orders');
      expect(all.stdout).toMatch(new RegExp(`completed\\s+D-1\\s+RU-MOW\\s+Ivan Petrov.*${orderId}`));

      const replay = await ok(dataDir, 'distribution', 'what-if', '--from', '2000-01-01', '--to', '2100-01-01');
      expect(replay.stdout).toContain('What-if: configuration version 1');
      expect(replay.stdout).toMatch(/^1 order\(s\) distributed\.$/m);
      expect(replay.stdout).toMatch(/^DEALER\s+OFFERED\s+WOULD GET\s+ACTUALLY GOT$/m);
      expect(replay.stdout).toMatch(/^D-1\s+1\s+1\s+1$/m);
      expect(replay.stdout).toMatch(/^D-2\s+1\s+0\s+0$/m);
      expect(replay.stdout).toMatch(/^\s*1\s+fixed\s+partner\s+1\s+1$/m);
      expect(replay.stdout).toMatch(/^simulated\s+1\s/m);
      // The order's wait and the dealers' take time are two figures, each named for what it is.
      expect(replay.stdout).toContain("Orders' wait, minutes from distribution start to a dealer's take:");
      expect(replay.stdout).toContain("Dealers' take time, seconds from the offer becoming visible:");
    });
  });
});
