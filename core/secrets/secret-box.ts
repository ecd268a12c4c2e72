import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { HubError } from '../errors.ts';

/**
 * Channel secrets at rest: envelope encryption with AES-256-GCM (node:crypto).
 *
 * Each secret value gets its own random data key (DEK); the value is encrypted with the DEK, and the
 * DEK is encrypted ("wrapped") with a master key from the environment. The stored form names the
 * master key by id, so several keys can be configured at once (rotation): the first one encrypts new
 * values, every one of them can decrypt. The field name is bound to the value (GCM additional data),
 * so an encrypted value cannot be moved to another field.
 *
 *   { "$enc": "v1", "kid": "k2026", "iv": "…", "tag": "…", "data": "…", "dek": "…" }
 *
 * `dek` is base64 of iv (12 bytes) | tag (16 bytes) | the wrapped 32-byte data key.
 * A value that is not such an object is a plain-text value stored before encryption came in: it is
 * read as it is and encrypted on the next write (or by `hub secrets rotate`).
 */
export interface EncryptedSecret {
  $enc: 'v1';
  kid: string;
  iv: string;
  tag: string;
  data: string;
  dek: string;
}

export interface MasterKey {
  id: string;
  key: Buffer;
}

const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The configured master keys: the first encrypts, all decrypt. */
export class SecretKeyring {
  readonly #keys: MasterKey[];

  constructor(keys: readonly MasterKey[]) {
    if (keys.length === 0) throw new HubError('invalid_data', 'A secret keyring needs at least one key.');
    const seen = new Set<string>();
    for (const { id, key } of keys) {
      if (!KEY_ID_PATTERN.test(id)) throw new HubError('invalid_data', `Secret key id "${id}" must be 1–64 letters, digits, "_", "." or "-".`);
      if (key.length !== 32) throw new HubError('invalid_data', `Secret key "${id}" must be 32 bytes (base64 of 32 random bytes; got ${key.length} bytes).`);
      if (seen.has(id)) throw new HubError('invalid_data', `Secret key id "${id}" is given twice.`);
      seen.add(id);
    }
    this.#keys = keys.map((k) => ({ id: k.id, key: Buffer.from(k.key) }));
  }

  /**
   * Reads HUB_SECRET_KEYS ("kid1:base64,kid2:base64", the first used for new writes) or
   * HUB_SECRET_KEY (one base64 key, id "default"). Undefined when neither is set.
   */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): SecretKeyring | undefined {
    const many = env.HUB_SECRET_KEYS?.trim();
    if (many) return SecretKeyring.parse(many, 'HUB_SECRET_KEYS');
    const one = env.HUB_SECRET_KEY?.trim();
    if (one) return new SecretKeyring([{ id: 'default', key: decodeKey(one, 'HUB_SECRET_KEY') }]);
    return undefined;
  }

  /** "kid1:base64,kid2:base64" (a key without "kid:" gets the id "default"). */
  static parse(text: string, source = 'the key list'): SecretKeyring {
    const keys = text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const colon = part.indexOf(':');
        const id = colon > 0 ? part.slice(0, colon) : 'default';
        return { id, key: decodeKey(colon > 0 ? part.slice(colon + 1) : part, `${source} (key "${id}")`) };
      });
    return new SecretKeyring(keys);
  }

  /** A fresh random key (for `hub secrets new-key` and the embedded key file). */
  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }

  /** The id of the key new values are encrypted with. */
  get currentKeyId(): string {
    return this.#keys[0]!.id;
  }

  get keyIds(): string[] {
    return this.#keys.map((k) => k.id);
  }

  /** Encrypts one value (any JSON) for the field `field`. */
  seal(field: string, value: unknown): EncryptedSecret {
    const master = this.#keys[0]!;
    const dataKey = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
    cipher.setAAD(Buffer.from(field, 'utf8'));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    const wrapIv = randomBytes(12);
    const wrapper = createCipheriv('aes-256-gcm', master.key, wrapIv);
    wrapper.setAAD(Buffer.from(`dek:${master.id}`, 'utf8'));
    const wrapped = Buffer.concat([wrapper.update(dataKey), wrapper.final()]);
    const dek = Buffer.concat([wrapIv, wrapper.getAuthTag(), wrapped]).toString('base64');
    dataKey.fill(0);
    return { $enc: 'v1', kid: master.id, iv: iv.toString('base64'), tag: tag.toString('base64'), data: data.toString('base64'), dek };
  }

  /** Decrypts a value sealed for `field`; invalid_data in words when the key is missing or wrong. */
  open(field: string, sealed: EncryptedSecret, where = 'channel config'): unknown {
    const master = this.#keys.find((k) => k.id === sealed.kid);
    if (!master) {
      throw new HubError(
        'invalid_data',
        `The ${where} secret "${field}" was encrypted with key "${sealed.kid}", which is not configured (configured: ${this.keyIds.join(', ')}). Add that key to HUB_SECRET_KEYS (after the current one) to read it.`,
      );
    }
    try {
      const packed = Buffer.from(sealed.dek, 'base64');
      const unwrapper = createDecipheriv('aes-256-gcm', master.key, packed.subarray(0, 12));
      unwrapper.setAAD(Buffer.from(`dek:${master.id}`, 'utf8'));
      unwrapper.setAuthTag(packed.subarray(12, 28));
      const dataKey = Buffer.concat([unwrapper.update(packed.subarray(28)), unwrapper.final()]);
      const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(field, 'utf8'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const text = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
      dataKey.fill(0);
      return JSON.parse(text) as unknown;
    } catch {
      // Never the value nor the key: only which key failed.
      throw new HubError(
        'invalid_data',
        `The ${where} secret "${field}" could not be decrypted with key "${sealed.kid}": the configured key of that id is not the one it was encrypted with, or the stored value is damaged.`,
      );
    }
  }
}

function decodeKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) throw new HubError('invalid_data', `${source} must be base64 of 32 random bytes (openssl rand -base64 32).`);
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new HubError('invalid_data', `${source} must be base64 of 32 random bytes (openssl rand -base64 32); it decodes to ${key.length} bytes.`);
  return key;
}

export function isEncryptedSecret(value: unknown): value is EncryptedSecret {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return v.$enc === 'v1' && typeof v.kid === 'string' && typeof v.iv === 'string' && typeof v.tag === 'string' && typeof v.data === 'string' && typeof v.dek === 'string';
}

/*
 * The process's keyring. The hub installs it at start (jobs/secret-keys.ts: from the environment or
 * the embedded key file); everything that stores or reads a channel config uses it unless given one.
 */
let installed: SecretKeyring | undefined;

export function installSecretKeyring(keyring: SecretKeyring | undefined): void {
  installed = keyring;
}

export function installedSecretKeyring(): SecretKeyring | undefined {
  return installed;
}

/**
 * The config with its secret fields encrypted (those not encrypted yet, or encrypted with an older
 * key when `rekey`). Without a keyring the config is returned as it is (plain text): the hub always
 * installs one, so that is only the case for code that runs without a hub (unit tests).
 */
export function sealConfigSecrets(
  config: Record<string, unknown>,
  secretFields: readonly string[],
  keyring: SecretKeyring | undefined = installed,
  options: { rekey?: boolean } = {},
): Record<string, unknown> {
  if (!keyring) return config;
  const sealed: Record<string, unknown> = { ...config };
  for (const field of secretFields) {
    const value = sealed[field];
    if (value === undefined || value === null) continue;
    if (isEncryptedSecret(value)) {
      if (!options.rekey || value.kid === keyring.currentKeyId) continue;
      sealed[field] = keyring.seal(field, keyring.open(field, value));
      continue;
    }
    sealed[field] = keyring.seal(field, value);
  }
  return sealed;
}

/**
 * The config as its connector takes it: every encrypted value decrypted (whichever field holds it,
 * so a connector that stops declaring a field still reads it). Plain-text values pass as they are.
 */
export function openConfigSecrets(config: unknown, keyring: SecretKeyring | undefined = installed, where = 'channel config'): unknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return config;
  const entries = Object.entries(config as Record<string, unknown>);
  if (!entries.some(([, value]) => isEncryptedSecret(value))) return config;
  const opened: Record<string, unknown> = {};
  for (const [field, value] of entries) {
    if (!isEncryptedSecret(value)) {
      opened[field] = value;
      continue;
    }
    if (!keyring) {
      throw new HubError('invalid_data', `The ${where} secret "${field}" is encrypted (key "${value.kid}") but no secret key is configured: set HUB_SECRET_KEYS (see docs/ops/secrets.md).`);
    }
    opened[field] = keyring.open(field, value, where);
  }
  return opened;
}

/** Whether the config holds a secret that is still plain text or encrypted with another key than the current one. */
export function needsSealing(config: Record<string, unknown>, secretFields: readonly string[], keyring: SecretKeyring): boolean {
  return secretFields.some((field) => {
    const value = config[field];
    if (value === undefined || value === null) return false;
    return !isEncryptedSecret(value) || value.kid !== keyring.currentKeyId;
  });
}
