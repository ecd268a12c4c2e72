import type { Database } from '../db/database.ts';

/**
 * Failed sign-ins counted per login and per address, in PostgreSQL so every API process (and a
 * restart) sees the same count. Too many failures within the window lock the key for a while;
 * a locked key is refused before any password is checked, so a flood costs no hashing. Unknown
 * logins are counted like known ones: the answer never tells whether a login exists.
 */

export interface ThrottlePolicy {
  /** Failures of one login within the window before it is locked. */
  loginFailures: number;
  /** Failures from one address within the window (any logins) before it is locked. */
  addressFailures: number;
  windowMinutes: number;
  lockMinutes: number;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = { loginFailures: 5, addressFailures: 30, windowMinutes: 15, lockMinutes: 15 };

export interface ThrottleKeys {
  login: string;
  address: string | null;
}

export class LoginThrottle {
  constructor(
    private readonly db: Database,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** When the later of the two locks ends, if either is on now. */
  async lockedUntil(keys: ThrottleKeys): Promise<Date | undefined> {
    const now = this.clock();
    const [row] = await this.db.query<{ until: Date | null }>(
      `SELECT max(locked_until) AS until FROM login_throttle WHERE key = ANY($1::text[]) AND locked_until > $2::timestamptz`,
      [this.keysOf(keys), now.toISOString()],
    );
    return row?.until ? new Date(row.until) : undefined;
  }

  /** Counts a failure against both keys; answers when a lock it started ends. */
  async failed(keys: ThrottleKeys): Promise<Date | undefined> {
    const now = this.clock();
    const limits: [string, number][] = [[loginKey(keys.login), this.policy.loginFailures]];
    if (keys.address) limits.push([addressKey(keys.address), this.policy.addressFailures]);
    let until: Date | undefined;
    for (const [key, limit] of limits) {
      // A window that has passed starts again at one; reaching the limit (again) locks from now.
      const [row] = await this.db.query<{ locked_until: Date | null }>(
        `INSERT INTO login_throttle AS t (key, failures, window_started_at, locked_until)
         VALUES ($1, 1, $2::timestamptz, CASE WHEN 1 >= $3 THEN $2::timestamptz + $5 * interval '1 minute' END)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN t.window_started_at <= $2::timestamptz - $4 * interval '1 minute' THEN 1 ELSE t.failures + 1 END,
           window_started_at = CASE WHEN t.window_started_at <= $2::timestamptz - $4 * interval '1 minute' THEN $2::timestamptz ELSE t.window_started_at END,
           locked_until = CASE
             WHEN (CASE WHEN t.window_started_at <= $2::timestamptz - $4 * interval '1 minute' THEN 1 ELSE t.failures + 1 END) >= $3
             THEN $2::timestamptz + $5 * interval '1 minute' ELSE t.locked_until END
         RETURNING locked_until`,
        [key, now.toISOString(), limit, this.policy.windowMinutes, this.policy.lockMinutes],
      );
      const locked = row?.locked_until ? new Date(row.locked_until) : undefined;
      if (locked && locked > now && (!until || locked > until)) until = locked;
    }
    return until;
  }

  /** A correct password clears the login's count (not the address's: one good account must not reset a spray). */
  async succeeded(login: string): Promise<void> {
    const now = this.clock();
    await this.db.query(
      `DELETE FROM login_throttle WHERE key = $1 OR (window_started_at < $2::timestamptz - interval '1 day' AND (locked_until IS NULL OR locked_until < $2::timestamptz))`,
      [loginKey(login), now.toISOString()],
    );
  }

  private keysOf(keys: ThrottleKeys): string[] {
    return keys.address ? [loginKey(keys.login), addressKey(keys.address)] : [loginKey(keys.login)];
  }
}

function loginKey(login: string): string {
  return `login:${login.trim().toLowerCase()}`;
}

function addressKey(address: string): string {
  return `ip:${address}`;
}
