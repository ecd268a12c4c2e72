import type { Database } from '../db/database.ts';

/**
 * Sign-in attempts counted in PostgreSQL, so every API process (and a restart) sees the same
 * counts. Three counters, each with its own limit within the window:
 * - a login from one address (the strict one: a person mistyping, or a guesser);
 * - a login from anywhere (ten times looser: a guesser spreading over many addresses), so a
 *   stranger elsewhere cannot lock a user out with a handful of wrong passwords;
 * - an address, whatever the logins (a password spray).
 *
 * An attempt is *reserved* before the password is checked, in one statement per counter, so a
 * burst of concurrent sign-ins cannot all slip past the limit while their hashes are computed:
 * the attempt that goes over a limit locks the counter and is refused unchecked. A correct password
 * gives the attempt back (and clears the login's counters). Unknown logins are counted like
 * known ones: the answers never tell whether a login exists.
 */

export interface ThrottlePolicy {
  /** Attempts of one login from one address within the window. */
  loginFailures: number;
  /** Attempts from one address within the window, any logins. */
  addressFailures: number;
  windowMinutes: number;
  lockMinutes: number;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = { loginFailures: 5, addressFailures: 30, windowMinutes: 15, lockMinutes: 15 };

/** A login from anywhere may fail this many times as often as from one address. */
const LOGIN_EVERYWHERE_FACTOR = 10;

export interface ThrottleKeys {
  login: string;
  address: string | null;
}

/** A reserved attempt: the counters it went into, to settle once the password is checked. */
export interface Attempt {
  keys: { key: string; limit: number; count: number }[];
}

export class LoginThrottle {
  constructor(
    private readonly db: Database,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Counts an attempt before its password is checked. Answers the attempt, or when the lock it
   * ran into ends (then the password must not be checked at all).
   */
  async reserve(keys: ThrottleKeys): Promise<{ attempt: Attempt } | { lockedUntil: Date }> {
    const now = this.clock();
    const attempt: Attempt = { keys: [] };
    let lockedUntil: Date | undefined;
    for (const { key, limit } of this.countersOf(keys)) {
      // A window that has passed, or a lock that has ended, starts counting again at one; a live lock counts nothing.
      const [row] = await this.db.query<{ failures: number; locked_until: Date | null }>(
        `INSERT INTO login_throttle AS t (key, failures, window_started_at, locked_until)
         VALUES ($1, 1, $2::timestamptz, CASE WHEN 1 > $3 THEN $2::timestamptz + $5 * interval '1 minute' END)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE
             WHEN t.locked_until > $2::timestamptz THEN t.failures
             WHEN t.locked_until IS NOT NULL OR t.window_started_at <= $2::timestamptz - $4 * interval '1 minute' THEN 1
             ELSE t.failures + 1 END,
           window_started_at = CASE
             WHEN t.locked_until > $2::timestamptz THEN t.window_started_at
             WHEN t.locked_until IS NOT NULL OR t.window_started_at <= $2::timestamptz - $4 * interval '1 minute' THEN $2::timestamptz
             ELSE t.window_started_at END,
           locked_until = CASE
             WHEN t.locked_until > $2::timestamptz THEN t.locked_until
             WHEN t.locked_until IS NULL AND t.window_started_at > $2::timestamptz - $4 * interval '1 minute' AND t.failures + 1 > $3
               THEN $2::timestamptz + $5 * interval '1 minute'
             END
         RETURNING failures, locked_until`,
        [key, now.toISOString(), limit, this.policy.windowMinutes, this.policy.lockMinutes],
      );
      const until = row?.locked_until ? new Date(row.locked_until) : undefined;
      if (until && until > now) {
        if (!lockedUntil || until > lockedUntil) lockedUntil = until;
      } else {
        attempt.keys.push({ key, limit, count: row?.failures ?? 1 });
      }
    }
    if (lockedUntil) {
      // Refused unchecked: the counters it did enter give the attempt back.
      await this.giveBack(attempt);
      return { lockedUntil };
    }
    return { attempt };
  }

  /** The password was wrong: a counter the attempt brought to its limit locks now. */
  async failed(attempt: Attempt): Promise<Date | undefined> {
    const now = this.clock();
    let until: Date | undefined;
    for (const { key, limit, count } of attempt.keys) {
      if (count < limit) continue;
      // A concurrent attempt over the limit may have locked the counter already: that lock is the answer.
      const [row] = await this.db.query<{ locked_until: Date }>(
        `UPDATE login_throttle
            SET locked_until = CASE WHEN locked_until > $2::timestamptz THEN locked_until ELSE $2::timestamptz + $3 * interval '1 minute' END
          WHERE key = $1 RETURNING locked_until`,
        [key, now.toISOString(), this.policy.lockMinutes],
      );
      const locked = row ? new Date(row.locked_until) : undefined;
      if (locked && (!until || locked > until)) until = locked;
    }
    return until;
  }

  /**
   * The password was right: the login's count from this address starts again; the login's count
   * from anywhere and the address's get the attempt back (a user signing in must not wipe out what
   * a guesser elsewhere has used up).
   */
  async succeeded(keys: ThrottleKeys, attempt: Attempt): Promise<void> {
    const now = this.clock();
    const here = keys.address ? [pairKey(keys.login, keys.address)] : [];
    await this.db.query(
      `DELETE FROM login_throttle WHERE key = ANY($1::text[]) OR (window_started_at < $2::timestamptz - interval '1 day' AND (locked_until IS NULL OR locked_until < $2::timestamptz))`,
      [here, now.toISOString()],
    );
    await this.giveBack({ keys: attempt.keys.filter((k) => !here.includes(k.key)) });
  }

  private async giveBack(attempt: Attempt): Promise<void> {
    if (attempt.keys.length === 0) return;
    await this.db.query(`UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = ANY($1::text[])`, [attempt.keys.map((k) => k.key)]);
  }

  private countersOf(keys: ThrottleKeys): { key: string; limit: number }[] {
    const counters = [{ key: `login:${normal(keys.login)}`, limit: this.policy.loginFailures * LOGIN_EVERYWHERE_FACTOR }];
    if (keys.address) {
      counters.push({ key: pairKey(keys.login, keys.address), limit: this.policy.loginFailures });
      counters.push({ key: `ip:${keys.address}`, limit: this.policy.addressFailures });
    }
    return counters;
  }
}

function normal(login: string): string {
  return login.trim().toLowerCase();
}

function pairKey(login: string, address: string): string {
  return `login:${normal(login)}@${address}`;
}
