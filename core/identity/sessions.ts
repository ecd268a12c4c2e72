import { createHmac } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { PRINCIPAL_COLUMNS, PRINCIPAL_JOINS, principalFromRow, type Principal, type PrincipalRow } from './principal.ts';
import { digest, newSecret } from './secrets.ts';

/**
 * Browser sessions. The cookie holds a random secret; the row is keyed by its SHA-256, so neither a
 * database copy nor a log line can be replayed. A session ends at its absolute expiry, after an idle
 * spell, at sign-out, when the password changes, or when the user is disabled. Every sign-in makes
 * a new session (no fixation: a secret from before sign-in is never promoted).
 */

export interface SessionPolicy {
  /** A session unused this long ends. */
  idleMinutes: number;
  /** A session ends this long after sign-in, used or not. */
  maxHours: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMinutes: 12 * 60, maxHours: 7 * 24 };

/** last_seen_at is written at most this often: a busy page must not turn every read into a write. */
const TOUCH_EVERY_MS = 60_000;

export interface OpenedSession {
  secret: string;
  id: string;
  expiresAt: Date;
}

export class SessionStore {
  constructor(
    private readonly db: Database,
    private readonly policy: SessionPolicy = DEFAULT_SESSION_POLICY,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async open(userId: string, client: { ip: string | null; userAgent: string | null }): Promise<OpenedSession> {
    const now = this.clock();
    const secret = newSecret();
    const id = digest(secret);
    const expiresAt = new Date(now.getTime() + this.policy.maxHours * 3_600_000);
    await this.db.query(
      `INSERT INTO auth_session (id, user_id, created_at, last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3::timestamptz, $3::timestamptz, $4::timestamptz, $5, $6)`,
      [id, userId, now.toISOString(), expiresAt.toISOString(), client.ip, client.userAgent?.slice(0, 500) ?? null],
    );
    // Housekeeping: the user's ended sessions go when a new one starts.
    await this.db.query(`DELETE FROM auth_session WHERE user_id = $1 AND (expires_at <= $2::timestamptz OR last_seen_at <= $3::timestamptz)`, [userId, now.toISOString(), this.idleSince(now).toISOString()]);
    return { secret, id, expiresAt };
  }

  /**
   * The principal of a live session, or undefined (unknown, ended, or its user may not act).
   * `touch: false` only looks (a live stream re-checking its session must not keep it from idling out).
   */
  async resolve(secret: string, options: { touch?: boolean } = {}): Promise<{ principal: Principal; expiresAt: Date } | undefined> {
    const now = this.clock();
    const id = digest(secret);
    const [row] = await this.db.query<PrincipalRow & { expires_at: Date; last_seen_at: Date }>(
      `SELECT s.expires_at, s.last_seen_at, ${PRINCIPAL_COLUMNS}
         FROM auth_session s JOIN hub_user u ON u.id = s.user_id ${PRINCIPAL_JOINS}
        WHERE s.id = $1 AND s.expires_at > $2::timestamptz AND s.last_seen_at > $3::timestamptz`,
      [id, now.toISOString(), this.idleSince(now).toISOString()],
    );
    if (!row) return undefined;
    const principal = principalFromRow(row, 'session', id);
    if (!principal) return undefined;
    if (options.touch !== false && now.getTime() - new Date(row.last_seen_at).getTime() > TOUCH_EVERY_MS) {
      await this.db.query(`UPDATE auth_session SET last_seen_at = $2::timestamptz WHERE id = $1`, [id, now.toISOString()]);
    }
    return { principal, expiresAt: new Date(row.expires_at) };
  }

  async close(sessionId: string): Promise<void> {
    await this.db.query(`DELETE FROM auth_session WHERE id = $1`, [sessionId]);
  }

  /** Ends the session a cookie's secret names, whatever state it is in (nothing when it names none). */
  closeSecret(secret: string): Promise<void> {
    return this.close(digest(secret));
  }

  /** Ends every session of the user but one (the caller's own, when it changed its password). */
  async closeAll(userId: string, exceptId?: string): Promise<number> {
    const rows = await this.db.query(`DELETE FROM auth_session WHERE user_id = $1 AND id <> $2 RETURNING id`, [userId, exceptId ?? '']);
    return rows.length;
  }

  private idleSince(now: Date): Date {
    return new Date(now.getTime() - this.policy.idleMinutes * 60_000);
  }
}

/**
 * The session's CSRF token: derived from the cookie's secret, so it needs no storage, cannot be
 * computed without the (HttpOnly) cookie, and changes with every sign-in.
 */
export function csrfTokenOf(sessionSecret: string): string {
  return createHmac('sha256', sessionSecret).update('orderhub csrf').digest('base64url');
}
