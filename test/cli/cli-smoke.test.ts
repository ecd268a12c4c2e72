import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/hub.js', import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/hub.js …` on the embedded database in `dataDir` (no DATABASE_URL, no REDIS_URL). */
function hub(dataDir: string, ...args: string[]): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, HUB_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.HUB_ROLE;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('hub CLI', { timeout: 120_000 }, () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'orderhub-cli-'));
  });

  afterAll(async () => {
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

  describe('when running the demo once', () => {
    it('syncs the sandboxes twice, prints the counts and the orders, and exits 0', async () => {
      const result = await hub(dataDir, 'demo', '--once');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/\[demo\] Demo Woo shop HU: \+\d+ new, 0 changed, 0 unchanged — \d+ orders in total/);
      expect(result.stdout).toMatch(/\[demo\] Demo Woo shop HU: \+3 new, 2 changed, \d+ unchanged — \d+ orders in total/);
      expect(result.stdout).toMatch(/\[demo\] \d+ orders in the hub; the 10 newest:/);
      expect(result.stdout.split('\n').filter((l) => /^ {2}#\d+/.test(l))).toHaveLength(10);
    }, 120_000);
  });
});
