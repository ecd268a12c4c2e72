import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHub } from '../helpers/cli.ts';

/** `hub secrets rotate` on the embedded database in `dataDir`, with the given HUB_SECRET_KEYS (undefined: none). */
function hub(dataDir: string, keys: string | undefined, ...args: string[]) {
  return runHub({ HUB_DATA_DIR: dataDir, DATABASE_URL: undefined, REDIS_URL: undefined, HUB_ROLE: undefined, HUB_SECRET_KEYS: keys, HUB_SECRET_KEY: undefined, NODE_ENV: undefined }, ...args);
}

describe('hub secrets', { timeout: 400_000 }, () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'orderhub-secrets-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps a key file on a bare machine, rotates to a new key first in HUB_SECRET_KEYS, and names a missing key in words', async () => {
    expect((await hub(dataDir, undefined, 'migrate')).code).toBe(0);
    const added = await hub(dataDir, undefined, 'channels', 'add', 'Store 1', '--type', 'pos', '--set', 'storeCode=BP-01', '--set', 'apiKey=store-key-0123456789abcdefghij');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const file = join(dataDir, 'secret.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const local = (await readFile(file, 'utf8')).trim();
    expect(local).toMatch(/^local:[A-Za-z0-9+/]{43}=$/);

    // Already on the current key: nothing to do.
    const same = await hub(dataDir, undefined, 'secrets', 'rotate');
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('0 of 1 channel(s) re-encrypted with key "local"');

    const fresh = `new:${randomBytes(32).toString('base64')}`;
    const rotated = await hub(dataDir, `${fresh},${local}`, 'secrets', 'rotate');
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('1 of 1 channel(s) re-encrypted with key "new"');

    // The old key can go: the new one alone reads the channel.
    const checked = await hub(dataDir, fresh, 'channels', 'check', 'Store 1');
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain('OK: Store BP-01 is ready');
    // The old key alone cannot, and says which key is missing (never the secret).
    const without = await hub(dataDir, local, 'channels', 'check', 'Store 1');
    expect(without.code).toBe(1);
    expect(without.stdout).toContain('secret "apiKey" was encrypted with key "new", which is not configured (configured: local)');
    expect(without.stdout + without.stderr).not.toContain('store-key-0123456789abcdefghij');
    // The API view (and the CLI's) stays redacted.
    const listed = await hub(dataDir, fresh, 'channels', 'list', '--json');
    expect(JSON.parse(listed.stdout)[0].config).toMatchObject({ storeCode: 'BP-01', apiKey: '********' });
  });
});
