import { randomUUID } from 'node:crypto';
import type { Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import { assertValid } from '../model/validate.ts';
import { TokenInputSchema, type NewToken, type TokenView } from './identity-schemas.ts';
import { PRINCIPAL_COLUMNS, PRINCIPAL_JOINS, principalFromRow, type Principal, type PrincipalRow } from './principal.ts';
import { digest, newSecret } from './secrets.ts';

/**
 * API tokens for scripts (`Authorization: Bearer ohk_…`). A token acts as its user, with the user's
 * roles as they are at each request; it is shown once, stored as its SHA-256, named, expires (90
 * days unless told otherwise), records when and from where it was last used, and can be revoked.
 * A disabled user's tokens stop working with it.
 */

/** Recognisable in a leaked file or a secret scanner's rules. */
export const TOKEN_PREFIX = 'ohk_';
export const DEFAULT_TOKEN_DAYS = 90;
const TOUCH_EVERY_MS = 60_000;

interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  expires_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  revoked_at: Date | null;
  created_by: string;
  created_at: Date;
}

const TOKEN_COLUMNS = `t.id, t.name, t.prefix, t.expires_at, t.last_used_at, t.last_used_ip, t.revoked_at, t.created_by, t.created_at`;

export class ApiTokens {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * A new token for the user with this id; the secret is in the answer and nowhere else. `maxDays`
   * bounds its life (a token one makes for oneself); without it, it may never expire.
   */
  async create(userId: string, input: unknown, actor: Actor, limits: { maxDays?: number } = {}): Promise<NewToken> {
    const valid = assertValid(TokenInputSchema, input, 'token');
    const now = this.clock();
    const expiresAt = valid.expiresAt === null ? null : valid.expiresAt ? new Date(valid.expiresAt) : new Date(now.getTime() + DEFAULT_TOKEN_DAYS * 86_400_000);
    if (expiresAt && expiresAt.getTime() <= now.getTime()) throw new HubError('invalid_data', 'expiresAt must be in the future.', { field: 'expiresAt' });
    if (limits.maxDays !== undefined && (!expiresAt || expiresAt.getTime() > now.getTime() + limits.maxDays * 86_400_000)) {
      throw new HubError('invalid_data', `expiresAt: your own tokens expire within ${limits.maxDays} days; ask an admin for a token that lasts longer.`, { field: 'expiresAt' });
    }
    const secret = newSecret(TOKEN_PREFIX);
    const id = randomUUID();
    const details = await this.db.prisma.$transaction(async (tx) => {
      const user = await tx.hubUser.findUnique({ where: { id: userId }, select: { login: true } });
      if (!user) throw new HubError('not_found', `User ${userId} does not exist.`);
      const row = await tx.apiToken.create({
        data: { id, userId, name: valid.name, tokenHash: digest(secret), prefix: secret.slice(0, TOKEN_PREFIX.length + 6), expiresAt, createdBy: actor.login, createdAt: now },
      });
      const view = toView({ ...row, expires_at: row.expiresAt, last_used_at: null, last_used_ip: null, revoked_at: null, created_by: row.createdBy, created_at: row.createdAt });
      await recordAudit(tx, actor, { kind: 'change', action: 'token.create', target: { type: 'user', id: user.login }, after: view });
      return view;
    });
    return { token: secret, details };
  }

  /** The user's tokens, newest first, revoked and expired ones included (they say so). */
  async list(userId: string): Promise<TokenView[]> {
    const rows = await this.db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_token t WHERE t.user_id = $1 ORDER BY t.created_at DESC, t.id`, [userId]);
    return rows.map(toView);
  }

  /**
   * Revokes a token (idempotent: a revoked token stays revoked, with its first revocation). With a
   * user id, only that user's token: another user's reads as not found.
   */
  async revoke(userId: string | null, tokenId: string, actor: Actor): Promise<TokenView> {
    return this.db.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRawUnsafe<(TokenRow & { login: string })[]>(
        `SELECT ${TOKEN_COLUMNS}, u.login FROM api_token t JOIN hub_user u ON u.id = t.user_id
          WHERE t.id = $1 AND ($2::text IS NULL OR t.user_id = $2) FOR UPDATE OF t`,
        tokenId,
        userId,
      );
      if (!row) throw new HubError('not_found', `Token ${tokenId} does not exist.`);
      if (row.revoked_at) return toView(row);
      const now = this.clock();
      await tx.$executeRawUnsafe(`UPDATE api_token SET revoked_at = $2::timestamptz, revoked_by = $3 WHERE id = $1`, tokenId, now.toISOString(), actor.login);
      const view = toView({ ...row, revoked_at: now });
      await recordAudit(tx, actor, { kind: 'change', action: 'token.revoke', target: { type: 'user', id: row.login }, before: toView(row), after: view });
      return view;
    });
  }

  /** The principal a bearer token stands for, or undefined (unknown, expired, revoked, or its user may not act). */
  async resolve(secret: string, ip: string | null): Promise<Principal | undefined> {
    const now = this.clock();
    const [row] = await this.db.query<PrincipalRow & { token_id: string; last_used_at: Date | null }>(
      `SELECT t.id AS token_id, t.last_used_at, ${PRINCIPAL_COLUMNS}
         FROM api_token t JOIN hub_user u ON u.id = t.user_id ${PRINCIPAL_JOINS}
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2::timestamptz)`,
      [digest(secret), now.toISOString()],
    );
    if (!row) return undefined;
    const principal = principalFromRow(row, 'token', row.token_id);
    if (!principal) return undefined;
    if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > TOUCH_EVERY_MS) {
      await this.db.query(`UPDATE api_token SET last_used_at = $2::timestamptz, last_used_ip = $3 WHERE id = $1`, [row.token_id, now.toISOString(), ip]);
    }
    return principal;
  }
}

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

function toView(row: TokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    lastUsedIp: row.last_used_ip,
    revokedAt: iso(row.revoked_at),
    createdBy: row.created_by,
    createdAt: iso(row.created_at)!,
  };
}
