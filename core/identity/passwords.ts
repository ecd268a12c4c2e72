import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { HubError } from '../errors.ts';

/**
 * Password hashing with scrypt from Node's own crypto: memory-hard, no native addon to build and no
 * prebuilt binary to fetch (argon2 would need one), and it runs on libuv's thread pool, off the event
 * loop. Parameters are OWASP's scrypt row N=2^15, r=8, p=3 (32 MiB per hash, the same work as
 * N=2^17, p=1 at a quarter of the memory, so four sign-ins at once stay near 128 MiB). They are
 * stored in the hash (`scrypt$N$r$p$salt$key`), so raising them later re-hashes on the next sign-in.
 */

const CURRENT = { N: 2 ** 15, r: 8, p: 3 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 1000;

interface Params {
  N: number;
  r: number;
  p: number;
}

function derive(password: string, salt: Buffer, params: Params, length: number): Promise<Buffer> {
  // maxmem: scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is just below that.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * 2 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, CURRENT, KEY_LENGTH);
  return `scrypt$${CURRENT.N}$${CURRENT.r}$${CURRENT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Parses a stored hash; undefined for anything that is not ours (never matches). */
function parse(stored: string): { params: Params; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return undefined;
  return { params: { N, r, p }, salt: Buffer.from(parts[4]!, 'base64url'), key: Buffer.from(parts[5]!, 'base64url') };
}

export interface PasswordCheck {
  ok: boolean;
  /** The hash was made with older parameters: store a new one. */
  rehash: boolean;
}

export async function verifyPassword(password: string, stored: string): Promise<PasswordCheck> {
  const parsed = parse(stored);
  if (!parsed) return { ok: false, rehash: false };
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  const ok = key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  const { N, r, p } = parsed.params;
  return { ok, rehash: ok && (N !== CURRENT.N || r !== CURRENT.r || p !== CURRENT.p) };
}

let decoy: Promise<string> | undefined;

/**
 * Spends the time a real check takes, for a login that does not exist or has no password: the
 * answer's timing must not tell which logins exist.
 */
export async function verifyNothing(password: string): Promise<void> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await decoy);
}

/** A password's problem, if any (NIST 800-63B: length, not composition rules). */
export function passwordProblem(password: string, login: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (password.trim().toLowerCase() === login.trim().toLowerCase()) return 'must not be the login';
  return undefined;
}

export function assertPasswordAcceptable(password: string, login: string, field = 'password'): void {
  const problem = passwordProblem(password, login);
  if (problem) throw new HubError('invalid_data', `${field} ${problem}.`, { field });
}
