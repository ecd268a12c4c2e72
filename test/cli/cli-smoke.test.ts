import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHub } from '../helpers/cli.ts';
import { startWooSandbox, type WooSandbox } from '../../testkit/woo-sandbox.ts';

/** Runs `node bin/hub.js …` on the embedded database in `dataDir` (no DATABASE_URL, no REDIS_URL). */
function hub(dataDir: string, ...args: string[]) {
  return runHub({ HUB_DATA_DIR: dataDir, DATABASE_URL: undefined, REDIS_URL: undefined, HUB_ROLE: undefined }, ...args);
}

describe('hub CLI', { timeout: 120_000 }, () => {
  let dataDir: string;
  let sandbox: WooSandbox;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'orderhub-cli-'));
    sandbox = await startWooSandbox({ consumerKey: 'ck_cli', consumerSecret: 'cs_cli', initialOrders: 5 });
  });

  afterAll(async () => {
    await sandbox?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('when migrating an empty data dir twice', () => {
    it('applies the migrations, then nothing', async () => {
      const first = await hub(dataDir, 'migrate');
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/Applied \d+_init/);
      const second = await hub(dataDir, 'migrate');
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/Nothing to apply/);
    });
  });

  describe('when adding and listing channels', () => {
    it('adds a WooCommerce channel and lists it as JSON with secrets redacted', async () => {
      const added = await hub(dataDir, 'channels', 'add', 'Smoke shop', '--type', 'woocommerce', '--config', '{"url":"http://127.0.0.1:9"}', '--set', 'consumerKey=ck_smoke', '--set', 'consumerSecret=cs_smoke', '--set', 'perPage=25');
      expect(added.stderr).toBe('');
      expect(added.code).toBe(0);
      expect(added.stdout).toContain('Added channel "Smoke shop"');

      const listed = await hub(dataDir, 'channels', 'list', '--json');
      expect(listed.code).toBe(0);
      const channels = JSON.parse(listed.stdout) as { name: string; connectorType: string; config: Record<string, unknown>; lastSync: unknown }[];
      expect(channels).toHaveLength(1);
      expect(channels[0]).toMatchObject({ name: 'Smoke shop', connectorType: 'woocommerce', lastSync: null });
      expect(channels[0]!.config).toMatchObject({ url: 'http://127.0.0.1:9', perPage: 25, consumerKey: '********', consumerSecret: '********' });
    });

    it('exits non-zero with the hub’s message when the channel is invalid', async () => {
      const result = await hub(dataDir, 'channels', 'add', 'Smoke shop', '--type', 'nosuchconnector', '--config', '{}');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: Unknown connector type "nosuchconnector"/);
    });
  });

  // One data dir for the describe; every command is a process booting PGlite, so they are few.
  describe('when operating a channel against the WooCommerce sandbox', () => {
    it('checks it, syncs it with progress, lists its orders and reprocesses the broken page', async () => {
      // maxAttempts=1: the broken page below is not fetched again (a subprocess cannot skip the backoff's waits).
      const added = await hub(dataDir, 'channels', 'add', 'Sandbox shop', '--type', 'woocommerce', '--set', `url=${sandbox.url}`, '--set', 'consumerKey=ck_cli', '--set', 'consumerSecret=cs_cli', '--set', 'perPage=2', '--set', 'maxAttempts=1');
      expect(added.stderr).toBe('');
      expect(added.code).toBe(0);

      const checked = await hub(dataDir, 'channels', 'check', 'Sandbox shop');
      expect(checked.stderr).toBe('');
      expect(checked.code).toBe(0);
      expect(checked.stdout).toMatch(/^OK: Connected to WooCommerce at .*: 5 orders visible\./);

      // The shop answers one page with HTML (a caching plugin's error page): archived as failed, the sync goes on.
      sandbox.injectFaults({ status: 200, body: '<html><body>Service temporarily unavailable</body></html>', headers: { 'Content-Type': 'text/html', 'X-WP-TotalPages': '3', 'X-WP-Total': '5' } });
      const synced = await hub(dataDir, 'channels', 'sync', 'Sandbox shop');
      expect(synced.code).toBe(0);
      const lines = synced.stdout.trim().split('\n');
      expect(lines[0]).toBe('Syncing "Sandbox shop"…');
      // Each page line: the page of the total, that page's own counts, then the run's total so far.
      const pages = lines.filter((l) => /^ {2}page \d+/.test(l));
      expect(pages.length).toBeGreaterThanOrEqual(3);
      for (const line of pages) expect(line).toMatch(/^ {2}page \d+ of 3: \+\d+ new, 0 changed, \d+ unchanged(, 1 failed)? \| total so far: \d+ page\(s\), \+\d+ new, 0 changed, \d+ unchanged(, 1 failed)?$/);
      expect(pages.at(-1)).toMatch(/\| total so far: \d+ page\(s\), \+\d+ new, 0 changed, \d+ unchanged, 1 failed$/);
      expect(lines.filter((l) => /^ {4}page \d+ failed: \w+: .* \(hub payloads show [0-9a-f-]{36}\)$/.test(l))).toHaveLength(1);
      const done = lines.at(-2)!;
      expect(done).toMatch(/^Done with errors \(partial\): \d+ page\(s\), \+\d+ new, 0 changed, \d+ unchanged, 1 failed; \d+ orders in the channel\.$/);
      expect(lines.at(-1)).toMatch(/^1 of \d+ page\(s\) failed; first: page \d+ \(.*, payload [0-9a-f-]{36}\): .*See them: hub payloads list --failed --channel /);
      const created = Number(/\+(\d+) new/.exec(done)![1]);
      expect(created).toBeGreaterThan(0);
      // The pages' own counts add up to the run's (they are not running totals).
      expect(pages.reduce((sum, line) => sum + Number(/\+(\d+) new/.exec(line)![1]), 0)).toBe(created);

      const listed = await hub(dataDir, 'orders', 'list', '--channel', 'Sandbox shop', '--json');
      expect(listed.stderr).toBe('');
      expect(listed.code).toBe(0);
      const orders = JSON.parse(listed.stdout) as { externalId: string; channel: { name: string }; version: number }[];
      expect(orders).toHaveLength(created);
      expect(new Set(orders.map((o) => o.channel.name))).toEqual(new Set(['Sandbox shop']));
      const wooIds = new Set(sandbox.orders.map((o) => String(o.id)));
      for (const order of orders) expect(wooIds.has(order.externalId)).toBe(true);

      const reprocessed = await hub(dataDir, 'reprocess', '--failed', '--channel', 'Sandbox shop');
      expect(reprocessed.stderr).toBe('');
      expect(reprocessed.code).toBe(0);
      expect(reprocessed.stdout).toMatch(/: failed, 0 order\(s\) — /);
      expect(reprocessed.stdout).toMatch(/Reprocessed 1 payload\(s\); 0 now parsed, 1 still failing\./);
    });
  });

  describe('when running the demo once', () => {
    it('syncs the sandboxes twice, prints the counts and the orders, and exits 0', async () => {
      const result = await hub(dataDir, 'demo', '--once');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/\[demo\] Demo Woo shop HU: \+\d+ new, 0 changed, 0 unchanged — \d+ orders in total/);
      expect(result.stdout).toMatch(/\[demo\] Demo Woo shop HU: \+3 new, 2 changed, \d+ unchanged — \d+ orders in total/);
      expect(result.stdout).toMatch(/\[demo\] \d+ orders in the hub; the 10 newest:/);
      // The newest are the shops' orders and BP-KERT's purchase from the manufacturer (numbered by its own PO number).
      expect(result.stdout.split('\n').filter((l) => /^ {2}#\S+/.test(l))).toHaveLength(10);
      expect(result.stdout).toMatch(/^ {2}#KERT-PO-0001 +Dealer purchases /m);
      expect(result.stdout).toMatch(/\[demo\] catalogue: \d+ products .*KP-TOLGY: 50 in stock and 70 arriving on \d{4}-\d{2}-\d{2}/);
      expect(result.stdout).toMatch(/one webhook body the mapping refused/);
      // The demo's dealer network: new and changed orders reach dealers during the sync.
      expect(result.stdout).toMatch(/\[demo\] distribution: [1-9]\d* orders offered to dealers/);
      expect(result.stdout).toMatch(/^ {2}EXPORT +[1-9]\d* \/ \d+$/m);
      // Its users, with fresh passwords: every staff role, and a head and an employee of two dealers.
      expect(result.stdout).toMatch(/\[demo\] users \(passwords are new every run\):/);
      const logins: [string, string][] = [['admin', 'admin'], ['ops', 'ops'], ['accountant', 'accountant'], ['kert.head', 'dealer_head of BP-KERT'], ['kert.anna', 'dealer_manager of BP-KERT'], ['kelet.head', 'dealer_head of KELET'], ['kelet.bela', 'dealer_manager of KELET']];
      for (const [login, role] of logins) {
        expect(result.stdout).toMatch(new RegExp(`^ {2}${login.replace('.', '\\.')} +demo-[\\w-]{12} +${role}$`, 'm'));
      }
    }, 120_000);
  });
});
