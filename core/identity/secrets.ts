import { createHash, randomBytes } from 'node:crypto';

/**
 * Secrets the hub hands out (session cookies, API tokens) are 32 random bytes; the database keeps
 * only their SHA-256, so a copy of the database signs nobody in. A fast hash is enough for secrets
 * this long: there is nothing to guess (passwords, which people choose, use scrypt instead).
 */
export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
