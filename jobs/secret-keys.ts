import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../core/errors.ts';
import { SecretKeyring } from '../core/secrets/secret-box.ts';
import type { HubConfig } from './config.ts';
import type { JobLogger } from './runtime/types.ts';

/** The key file an embedded hub keeps when no key is given in the environment. */
export const LOCAL_KEY_FILE = 'secret.key';
export const LOCAL_KEY_ID = 'local';

/**
 * The master keys that encrypt channel secrets:
 * - HUB_SECRET_KEYS ("kid1:base64,kid2:base64"; the first encrypts) or HUB_SECRET_KEY (one key);
 * - otherwise, unless a key is required (NODE_ENV=production or HUB_REQUIRE_SECRET_KEY=true), a key
 *   kept in `<dataDir>/secret.key` (made on first use, mode 0600) with a warning: a bare machine still
 *   runs, but that key lives beside the database it protects and other machines do not have it.
 */
export async function loadSecretKeyring(config: Pick<HubConfig, 'dataDir' | 'secretKeys' | 'requireSecretKey'>, logger: JobLogger): Promise<SecretKeyring> {
  if (config.secretKeys) return SecretKeyring.parse(config.secretKeys, 'HUB_SECRET_KEYS');
  if (config.requireSecretKey) {
    throw new HubError('invalid_data', 'HUB_SECRET_KEYS is required here (NODE_ENV=production or HUB_REQUIRE_SECRET_KEY=true): set it to "<key id>:<base64 of 32 random bytes>" (openssl rand -base64 32); see docs/ops/secrets.md.');
  }
  const path = join(config.dataDir, LOCAL_KEY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(config.dataDir, { recursive: true });
    try {
      await writeFile(path, `${LOCAL_KEY_ID}:${SecretKeyring.generateKey()}\n`, { mode: 0o600, flag: 'wx' });
      logger.warn({ path }, `no HUB_SECRET_KEYS set: made a key for channel secrets in ${path} (mode 0600); production sets HUB_SECRET_KEYS instead (docs/ops/secrets.md)`);
    } catch (writeError) {
      // Another process made it first: use that one.
      if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError;
    }
    text = await readFile(path, 'utf8');
  }
  await chmod(path, 0o600).catch(() => undefined);
  return SecretKeyring.parse(text.trim(), path);
}
