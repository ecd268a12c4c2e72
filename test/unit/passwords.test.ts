import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from '../../core/identity/passwords.ts';

describe('password hashing', () => {
  it('stores scrypt with its parameters and a random salt, and verifies only the same password', async () => {
    const [first, second] = await Promise.all([hashPassword('correct horse battery'), hashPassword('correct horse battery')]);
    expect(first).toMatch(/^scrypt\$32768\$8\$3\$[\w-]{22}\$[\w-]{43}$/);
    expect(first).not.toBe(second);
    expect(await verifyPassword('correct horse battery', first)).toEqual({ ok: true, rehash: false });
    expect(await verifyPassword('correct horse batterY', first)).toEqual({ ok: false, rehash: false });
    expect(await verifyPassword('anything', 'plain-text-from-somewhere')).toEqual({ ok: false, rehash: false });
  });

  it('asks for a re-hash when a password was stored with older parameters', async () => {
    const current = await hashPassword('correct horse battery');
    const [, , , , salt] = current.split('$');
    // The same password under N=2^14, r=8, p=1, made the way Node makes it.
    const old = `scrypt$16384$8$1$${salt}$${scryptSync('correct horse battery', Buffer.from(salt!, 'base64url'), 32, { N: 16384, r: 8, p: 1 }).toString('base64url')}`;
    expect(await verifyPassword('correct horse battery', old)).toEqual({ ok: true, rehash: true });
  });

  it('judges length, not composition, and refuses the login as a password', () => {
    expect(passwordProblem('short', 'anna')).toBe('must be at least 10 characters long');
    expect(passwordProblem('x'.repeat(1001), 'anna')).toBe('must be at most 1000 characters long');
    expect(passwordProblem('Anna.Kovacs', 'anna.kovacs')).toBe('must not be the login');
    expect(passwordProblem('all lower case words', 'anna')).toBeUndefined();
  });
});
