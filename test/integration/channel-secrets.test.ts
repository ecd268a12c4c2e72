import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reencryptChannelSecrets } from '../../core/channels/channel-secrets.ts';
import { ChannelService, REDACTED } from '../../core/channels/channels.ts';
import { installSecretKeyring, isEncryptedSecret, SecretKeyring } from '../../core/secrets/secret-box.ts';
import { loadConfig } from '../../jobs/config.ts';
import { receiveWebhook } from '../../jobs/processors/webhook.ts';
import { connectorConfig, createRegistry } from '../../jobs/registry.ts';
import { loadSecretKeyring } from '../../jobs/secret-keys.ts';
import { silentLogger } from '../../jobs/runtime/types.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

const registry = createRegistry();
const woo = registry.requireConnector('woocommerce');
const pos = registry.requireConnector('pos');
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const keys = (text: string) => SecretKeyring.parse(text);
const WOO = { url: 'https://shop.example', consumerKey: 'ck_0123456789abcdef', consumerSecret: 'cs_fedcba9876543210', webhookSecret: 'whsec-0123456789' };

describe('channel secrets at rest', () => {
  let t: TestDatabase;
  let n = 0;
  const name = (what: string) => `${what} ${++n}`;

  beforeAll(async () => {
    t = await createTestPostgres();
  });
  afterAll(async () => {
    await t.drop();
  });
  afterEach(() => installSecretKeyring(undefined));

  async function rawConfig(id: string): Promise<Record<string, unknown>> {
    const [row] = await t.db.query<{ config: Record<string, unknown> }>('SELECT config FROM channel WHERE id = $1', [id]);
    return row!.config;
  }

  it('stores each secret field encrypted (envelope: data key wrapped by the master key), decrypts it for the connector only, and the API view stays redacted', async () => {
    const keyring = keys(`k1:${k1.toString('base64')}`);
    const channels = new ChannelService(t.db, registry, keyring);
    const channel = await channels.create({ name: name('Woo'), connectorType: 'woocommerce', config: WOO });

    const stored = await rawConfig(channel.id);
    const text = JSON.stringify(stored);
    for (const secret of [WOO.consumerKey, WOO.consumerSecret, WOO.webhookSecret]) expect(text).not.toContain(secret);
    expect(stored.url).toBe(WOO.url);
    for (const field of ['consumerKey', 'consumerSecret', 'webhookSecret']) {
      expect(stored[field]).toMatchObject({ $enc: 'v1', kid: 'k1', iv: expect.any(String), tag: expect.any(String), data: expect.any(String), dek: expect.any(String) });
    }
    // A data key per value: the same text encrypts differently each time.
    expect((stored.consumerKey as { dek: string }).dek).not.toBe((stored.consumerSecret as { dek: string }).dek);

    expect(connectorConfig(woo, stored, 'config', keyring)).toMatchObject(WOO);
    const shown = channels.toPublic(await channels.get(channel.id));
    expect(shown.config).toMatchObject({ url: WOO.url, consumerKey: REDACTED, consumerSecret: REDACTED, webhookSecret: REDACTED });
    expect(JSON.stringify(shown)).not.toContain('"$enc"');
  });

  it('an update that sends secrets back redacted keeps them (still encrypted, still the same values)', async () => {
    const keyring = keys(`k1:${k1.toString('base64')}`);
    const channels = new ChannelService(t.db, registry, keyring);
    const channel = await channels.create({ name: name('Woo'), connectorType: 'woocommerce', config: WOO });
    await channels.update(channel.id, { config: { url: WOO.url, consumerKey: REDACTED, consumerSecret: REDACTED, webhookSecret: 'whsec-new-value-42', perPage: 50 } });
    const stored = await rawConfig(channel.id);
    expect(isEncryptedSecret(stored.consumerKey) && isEncryptedSecret(stored.webhookSecret)).toBe(true);
    expect(connectorConfig(woo, stored, 'config', keyring)).toMatchObject({ ...WOO, webhookSecret: 'whsec-new-value-42', perPage: 50 });
  });

  it('reads a plain-text row stored before encryption, encrypts it on the next write, and `rotate` encrypts the rest', async () => {
    const keyring = keys(`k1:${k1.toString('base64')}`);
    installSecretKeyring(keyring);
    const [legacy] = await t.db.query<{ id: string }>(
      `INSERT INTO channel (id, kind, connector_type, name, config, updated_at) VALUES (gen_random_uuid()::text, 'webshop', 'woocommerce', $1, $2::jsonb, now()) RETURNING id`,
      [name('Legacy woo'), JSON.stringify(WOO)],
    );
    const [untouched] = await t.db.query<{ id: string }>(
      `INSERT INTO channel (id, kind, connector_type, name, config, updated_at) VALUES (gen_random_uuid()::text, 'pos', 'pos', $1, $2::jsonb, now()) RETURNING id`,
      [name('Legacy store'), JSON.stringify({ storeCode: 'BP-01', apiKey: 'pos-key-0123456789abcdefghij' })],
    );
    expect(connectorConfig(woo, await rawConfig(legacy!.id))).toMatchObject(WOO);

    const channels = new ChannelService(t.db, registry);
    await channels.update(legacy!.id, { config: { url: WOO.url, consumerKey: REDACTED, consumerSecret: REDACTED, webhookSecret: REDACTED } });
    const written = await rawConfig(legacy!.id);
    expect(isEncryptedSecret(written.consumerKey) && isEncryptedSecret(written.consumerSecret) && isEncryptedSecret(written.webhookSecret)).toBe(true);
    expect(connectorConfig(woo, written)).toMatchObject(WOO);
    expect((await rawConfig(untouched!.id)).apiKey).toBe('pos-key-0123456789abcdefghij');

    const report = await reencryptChannelSecrets(t.db, registry, keyring);
    expect(report.failed).toEqual([]);
    expect(report.keyId).toBe('k1');
    expect(isEncryptedSecret((await rawConfig(untouched!.id)).apiKey)).toBe(true);
    expect(connectorConfig(pos, await rawConfig(untouched!.id))).toMatchObject({ apiKey: 'pos-key-0123456789abcdefghij' });
    // Nothing left to do: a second run writes nothing.
    expect((await reencryptChannelSecrets(t.db, registry, keyring)).reencrypted).toBe(0);
  });

  it('rotation: with a new key first, `rotate` re-encrypts every secret with it; then the old key can go', async () => {
    const old = keys(`k1:${k1.toString('base64')}`);
    const channel = await new ChannelService(t.db, registry, old).create({ name: name('Woo'), connectorType: 'woocommerce', config: WOO });
    const both = keys(`k2:${k2.toString('base64')},k1:${k1.toString('base64')}`);
    // Both keys configured: old values read, new writes use k2.
    expect(connectorConfig(woo, await rawConfig(channel.id), 'config', both)).toMatchObject(WOO);

    const report = await reencryptChannelSecrets(t.db, registry, both);
    expect(report).toMatchObject({ keyId: 'k2', failed: [] });
    expect(report.reencrypted).toBeGreaterThanOrEqual(1);
    const stored = await rawConfig(channel.id);
    for (const field of ['consumerKey', 'consumerSecret', 'webhookSecret']) expect((stored[field] as { kid: string }).kid).toBe('k2');

    const onlyNew = keys(`k2:${k2.toString('base64')}`);
    expect(connectorConfig(woo, stored, 'config', onlyNew)).toMatchObject(WOO);
    // The old key alone no longer reads it, and says which key is missing.
    expect(() => connectorConfig(woo, stored, 'Channel "Woo" config', old)).toThrow(/secret "consumerKey" was encrypted with key "k2", which is not configured \(configured: k1\)/);
  });

  it('a wrong key of the same id is a clear error, never a garbled value; no key at all says what to set', async () => {
    const channel = await new ChannelService(t.db, registry, keys(`k1:${k1.toString('base64')}`)).create({ name: name('Woo'), connectorType: 'woocommerce', config: WOO });
    const stored = await rawConfig(channel.id);
    const wrong = keys(`k1:${randomBytes(32).toString('base64')}`);
    expect(() => connectorConfig(woo, stored, 'Channel "Woo" config', wrong)).toThrow(/Channel "Woo" config secret "consumerKey" could not be decrypted with key "k1"/);
    expect(() => connectorConfig(woo, stored, 'Channel "Woo" config', undefined)).toThrow(/no secret key is configured: set HUB_SECRET_KEYS/);
    // rotate reports such a channel and leaves its row alone.
    const report = await reencryptChannelSecrets(t.db, registry, keys(`k9:${k2.toString('base64')},k1:${randomBytes(32).toString('base64')}`));
    expect(report.failed.map((f) => f.channel)).toContain(channel.name);
    expect(await rawConfig(channel.id)).toEqual(stored);
    // Keeping a secret needs it read: a clear error. Entering the credentials anew replaces what no key reads.
    const withWrongKey = new ChannelService(t.db, registry, wrong);
    await expect(withWrongKey.update(channel.id, { config: { url: WOO.url, consumerKey: REDACTED, consumerSecret: 'cs_new', webhookSecret: 'whsec_new' } })).rejects.toThrow(/secret "consumerKey" could not be decrypted with key "k1"/);
    await withWrongKey.update(channel.id, { config: { url: WOO.url, consumerKey: 'ck_new', consumerSecret: 'cs_new', webhookSecret: 'whsec_new' } });
    expect(connectorConfig(woo, await rawConfig(channel.id), 'config', wrong)).toMatchObject({ consumerKey: 'ck_new', consumerSecret: 'cs_new', webhookSecret: 'whsec_new' });
  });

  it('a webhook is verified against the decrypted secret', async () => {
    const keyring = keys(`k1:${k1.toString('base64')}`);
    installSecretKeyring(keyring);
    const apiKey = 'store-key-0123456789abcdefghij';
    const channel = await new ChannelService(t.db, registry).create({ name: name('Store'), connectorType: 'pos', config: { storeCode: 'BP-02', apiKey } });
    expect(isEncryptedSecret((await rawConfig(channel.id)).apiKey)).toBe(true);
    const ctx = { db: t.db, registry };
    const push = (key: string) => receiveWebhook(ctx, channel.id, { headers: { authorization: `Bearer ${key}` }, rawBody: Buffer.from('{"sale":1}'), url: undefined }, async () => undefined);
    expect(await push(apiKey)).toMatchObject({ kind: 'accepted' });
    expect(await push('not-the-key-0123456789abcdefgh')).toMatchObject({ kind: 'rejected' });
  });

  it('keys come from HUB_SECRET_KEYS; without one an embedded hub keeps a key file (0600) in its data dir; production requires the key', async () => {
    const config = loadConfig({ HUB_SECRET_KEYS: `k2:${k2.toString('base64')},k1:${k1.toString('base64')}` });
    expect((await loadSecretKeyring(config, silentLogger)).keyIds).toEqual(['k2', 'k1']);
    expect(() => loadConfig({ HUB_SECRET_KEYS: 'k1:c2hvcnQ=' })).toThrow(/HUB_SECRET_KEYS \(key "k1"\) must be base64 of 32 random bytes/);

    const dataDir = await mkdtemp(join(tmpdir(), 'hub-keys-'));
    try {
      const warnings: string[] = [];
      const logger = { ...silentLogger, warn: (_data: object, message?: string) => void warnings.push(message ?? '') };
      const first = await loadSecretKeyring(loadConfig({ HUB_DATA_DIR: dataDir }), logger);
      expect(first.keyIds).toEqual(['local']);
      expect((await stat(join(dataDir, 'secret.key'))).mode & 0o777).toBe(0o600);
      expect(warnings.join('\n')).toMatch(/no HUB_SECRET_KEYS set: made a key for channel secrets/);
      // The same key next time (the file is kept), and the file's key never reaches the log.
      const again = await loadSecretKeyring(loadConfig({ HUB_DATA_DIR: dataDir }), logger);
      const sealed = first.seal('apiKey', 'x');
      expect(again.open('apiKey', sealed)).toBe('x');
      const keyText = (await readFile(join(dataDir, 'secret.key'), 'utf8')).trim().split(':')[1]!;
      expect(warnings.join('\n')).not.toContain(keyText);

      await expect(loadSecretKeyring(loadConfig({ HUB_DATA_DIR: dataDir, NODE_ENV: 'production' }), logger)).rejects.toThrow(/HUB_SECRET_KEYS is required here/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
