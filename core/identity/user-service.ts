import { randomUUID } from 'node:crypto';
import type { Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Database } from '../db/database.ts';
import type { Prisma } from '../db/generated/client.ts';
import { sqlStateOf } from '../db/sql-errors.ts';
import { HubError } from '../errors.ts';
import { assertValid } from '../model/validate.ts';
import { DEALER_ROLES, isStoredRole, type DealerRole, type Role, type StoredRole } from './access-rules.ts';
import { UserChangesSchema, UserInputSchema, type UserView } from './identity-schemas.ts';
import { assertPasswordAcceptable, hashPassword } from './passwords.ts';

/**
 * The hub's users: staff (admin, ops, accountant, desk, distribution), integration machines, and
 * dealers' users. A dealer's user is one of the dealer's managers (dealer_manager) with a sign-in:
 * its role is dealer_head when that manager is the dealer's head, dealer_manager otherwise, so the
 * head appointed in the dealer's record and the head who signs in are always the same person.
 *
 * Invariants:
 * - logins are unique case-insensitively (index on lower(login));
 * - a user is either staff/integration (roles stored) or a dealer's (dealer_manager_id set, no
 *   stored roles), never both;
 * - the hub keeps at least one enabled admin once it has one (no change may remove the last);
 * - every change is audited in its own transaction, with the state before and after (never the
 *   password hash).
 */

type Tx = Prisma.TransactionClient;
const TX_OPTIONS = { timeout: 30_000, maxWait: 30_000 } as const;
/** Serialises changes that could remove the last admin. */
const ADMIN_GUARD_LOCK = 0x6f680009;

interface UserRow {
  id: string;
  login: string;
  name: string | null;
  roles: string[];
  dealer_manager_id: string | null;
  password_hash: string | null;
  password_changed_at: Date | null;
  disabled_at: Date | null;
  created_by: string;
  created_at: Date;
  is_head: boolean | null;
  dealer_code: string | null;
  dealer_name: string | null;
}

const USER_SELECT = `SELECT u.id, u.login, u.name, u.roles, u.dealer_manager_id, u.password_hash, u.password_changed_at, u.disabled_at, u.created_by, u.created_at,
       m.is_head, d.code AS dealer_code, d.name AS dealer_name
  FROM hub_user u LEFT JOIN dealer_manager m ON m.id = u.dealer_manager_id LEFT JOIN dealer d ON d.id = m.dealer_id`;

export interface UserFilter {
  role?: Role | undefined;
  dealer?: string | undefined;
  disabled?: boolean | undefined;
}

export class UserService {
  constructor(private readonly db: Database) {}

  /** How many users there are: the hub cannot be opened before the first admin exists. */
  async count(): Promise<{ users: number; admins: number }> {
    const [row] = await this.db.query<{ users: number; admins: number }>(
      `SELECT count(*)::int AS users, count(*) FILTER (WHERE 'admin' = ANY(roles) AND disabled_at IS NULL)::int AS admins FROM hub_user`,
    );
    return row ?? { users: 0, admins: 0 };
  }

  /**
   * A new user. A dealer's user (dealer_head / dealer_manager with `dealer`) signs in as the dealer's
   * manager of the same login, made here when the dealer has none yet; dealer_head appoints it head.
   */
  async create(input: unknown, actor: Actor): Promise<UserView> {
    const valid = assertValid(UserInputSchema, input, 'user');
    const login = valid.login.trim();
    const split = splitRoles(valid.roles, valid.dealer);
    if (valid.password !== undefined) assertPasswordAcceptable(valid.password, login);
    const passwordHash = valid.password !== undefined ? await hashPassword(valid.password) : null;
    return this.inUse(login, this.transaction(async (tx) => {
      await this.assertLoginFree(tx, login);
      const managerId = split.kind === 'dealer' ? await this.managerFor(tx, split.dealer, login, valid.name, split.role === 'dealer_head') : null;
      return this.insertUser(tx, { login, name: valid.name ?? null, roles: split.kind === 'staff' ? split.roles : [], managerId, passwordHash }, actor);
    }));
  }

  async list(filter: UserFilter = {}): Promise<UserView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.role && (DEALER_ROLES as readonly string[]).includes(filter.role)) {
      where.push(`u.dealer_manager_id IS NOT NULL AND m.is_head = ${filter.role === 'dealer_head' ? 'true' : 'false'}`);
    } else if (filter.role) {
      params.push(filter.role);
      where.push(`$${params.length} = ANY(u.roles)`);
    }
    if (filter.dealer) {
      params.push(filter.dealer);
      where.push(`d.code = $${params.length}`);
    }
    if (filter.disabled !== undefined) where.push(filter.disabled ? 'u.disabled_at IS NOT NULL' : 'u.disabled_at IS NULL');
    const rows = await this.db.query<UserRow>(`${USER_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY lower(u.login) LIMIT 10000`, params);
    return rows.map(toView);
  }

  async get(login: string): Promise<UserView> {
    return toView(await this.row(this.db.prisma, login));
  }

  /** The user's id by login (not found otherwise). */
  async idOf(login: string): Promise<string> {
    return (await this.row(this.db.prisma, login)).id;
  }

  /**
   * Changes name, roles or the disabled flag. A dealer's user's role moves between dealer_head
   * (appointed head of its dealer) and dealer_manager; staff roles stay staff. Disabling ends the
   * user's sessions (its tokens stop working while it is disabled).
   */
  async update(login: string, changes: unknown, actor: Actor): Promise<UserView> {
    const valid = assertValid(UserChangesSchema, changes, 'user changes');
    return this.transaction(async (tx) => {
      const current = await this.row(tx, login, true);
      const before = toView(current);
      const touchesAdmins = (valid.disabled === true || valid.roles !== undefined) && current.roles.includes('admin');
      if (touchesAdmins) await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${ADMIN_GUARD_LOCK})`);
      if (valid.roles !== undefined) {
        if (current.dealer_manager_id) {
          const role = valid.roles.length === 1 && isDealerRole(valid.roles[0]!) ? valid.roles[0] : undefined;
          if (!role) throw new HubError('invalid_data', `roles: ${current.login} is a dealer's user: its role is dealer_head or dealer_manager.`, { field: 'roles' });
          await this.setHead(tx, current.dealer_manager_id, role === 'dealer_head');
        } else {
          const roles = valid.roles.filter(isStoredRole);
          if (roles.length !== valid.roles.length) {
            throw new HubError('invalid_data', `roles: ${current.login} is a staff or integration user; dealer roles belong to a dealer's managers.`, { field: 'roles' });
          }
          await tx.$executeRawUnsafe(`UPDATE hub_user SET roles = $2::text[], updated_at = now() WHERE id = $1`, current.id, roles);
        }
      }
      if (valid.name !== undefined) await tx.$executeRawUnsafe(`UPDATE hub_user SET name = $2, updated_at = now() WHERE id = $1`, current.id, valid.name);
      if (valid.disabled !== undefined && valid.disabled !== !!current.disabled_at) {
        await tx.$executeRawUnsafe(`UPDATE hub_user SET disabled_at = ${valid.disabled ? 'now()' : 'NULL'}, updated_at = now() WHERE id = $1`, current.id);
        if (valid.disabled) await tx.$executeRawUnsafe(`DELETE FROM auth_session WHERE user_id = $1`, current.id);
      }
      if (touchesAdmins) await this.assertAdminLeft(tx);
      const after = await this.view(tx, current.login);
      await recordAudit(tx, actor, { kind: 'change', action: 'user.update', target: { type: 'user', id: current.login }, before, after });
      return after;
    });
  }

  /**
   * Sets a password (made by an admin, a dealer's head for its employees, or the user itself) and
   * ends the user's other sessions: whoever knew the old password is signed out everywhere.
   */
  async setPassword(login: string, password: string, actor: Actor, keepSessionId?: string): Promise<UserView> {
    const user = await this.row(this.db.prisma, login);
    assertPasswordAcceptable(password, user.login);
    const hash = await hashPassword(password);
    return this.transaction(async (tx) => {
      await tx.$executeRawUnsafe(`UPDATE hub_user SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1`, user.id, hash);
      const ended = await tx.$executeRawUnsafe(`DELETE FROM auth_session WHERE user_id = $1 AND id <> $2`, user.id, keepSessionId ?? '');
      const after = await this.view(tx, user.login);
      await recordAudit(tx, actor, { kind: 'change', action: 'user.password', target: { type: 'user', id: user.login }, details: { sessionsEnded: ended } });
      return after;
    });
  }

  /** Stores a re-hash made at sign-in with newer parameters (same password). */
  async storeRehash(userId: string, hash: string): Promise<void> {
    await this.db.query(`UPDATE hub_user SET password_hash = $2 WHERE id = $1`, [userId, hash]);
  }

  /**
   * Makes sure a dealer's manager can sign in: its user is made (with this password) or its password
   * set. For a dealer's head setting an employee's password, and the demo.
   */
  async setManagerPassword(dealerCode: string, managerLogin: string, password: string, actor: Actor): Promise<UserView> {
    const [manager] = await this.db.query<{ id: string; login: string; name: string; user_login: string | null }>(
      `SELECT m.id, m.login, m.name, u.login AS user_login FROM dealer_manager m JOIN dealer d ON d.id = m.dealer_id
         LEFT JOIN hub_user u ON u.dealer_manager_id = m.id WHERE d.code = $1 AND m.login = $2`,
      [dealerCode, managerLogin],
    );
    if (!manager) throw new HubError('not_found', `Dealer ${dealerCode} has no manager ${managerLogin}.`);
    if (manager.user_login) return this.setPassword(manager.user_login, password, actor);
    assertPasswordAcceptable(password, manager.login);
    const hash = await hashPassword(password);
    return this.inUse(manager.login, this.transaction(async (tx) => {
      await this.assertLoginFree(tx, manager.login);
      return this.insertUser(tx, { login: manager.login, name: manager.name, roles: [], managerId: manager.id, passwordHash: hash }, actor);
    }));
  }

  // ---- internals ----------------------------------------------------------------------------------------------------

  /** Logins are one namespace, case aside (the unique index on lower(login) is the last guard). */
  private async assertLoginFree(tx: Tx, login: string): Promise<void> {
    const [clash] = await tx.$queryRawUnsafe<{ login: string }[]>(`SELECT login FROM hub_user WHERE lower(login) = lower($1)`, login);
    if (clash) throw new HubError('conflict', `Login ${login} is already in use.`, { field: 'login' });
  }

  /** Writes a new user (staff roles, or a dealer's manager row) and audits it; answers its view. */
  private async insertUser(
    tx: Tx,
    user: { login: string; name: string | null; roles: StoredRole[]; managerId: string | null; passwordHash: string | null },
    actor: Actor,
  ): Promise<UserView> {
    await tx.$executeRawUnsafe(
      `INSERT INTO hub_user (id, login, name, roles, dealer_manager_id, password_hash, password_changed_at, created_by)
       VALUES ($1, $2, $3, $4::text[], $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE now() END, $7)`,
      randomUUID(),
      user.login,
      user.name,
      user.roles,
      user.managerId,
      user.passwordHash,
      actor.login,
    );
    const after = await this.view(tx, user.login);
    await recordAudit(tx, actor, { kind: 'change', action: 'user.create', target: { type: 'user', id: user.login }, after });
    return after;
  }

  /** The dealer's manager of this login (made if missing); dealer_head appoints it head. */
  private async managerFor(tx: Tx, dealerCode: string, login: string, name: string | undefined, head: boolean): Promise<string> {
    const [dealer] = await tx.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM dealer WHERE code = $1 FOR UPDATE`, dealerCode);
    if (!dealer) throw new HubError('not_found', `Dealer ${dealerCode} does not exist.`, { field: 'dealer' });
    const [existing] = await tx.$queryRawUnsafe<{ id: string; dealer_id: string; has_user: boolean }[]>(
      `SELECT m.id, m.dealer_id, EXISTS (SELECT 1 FROM hub_user u WHERE u.dealer_manager_id = m.id) AS has_user FROM dealer_manager m WHERE m.login = $1`,
      login,
    );
    if (existing && existing.dealer_id !== dealer.id) throw new HubError('conflict', `Login ${login} is already in use.`, { field: 'login' });
    if (existing?.has_user) throw new HubError('conflict', `Login ${login} is already in use.`, { field: 'login' });
    const id = existing?.id ?? randomUUID();
    if (!existing) {
      await tx.$executeRawUnsafe(`INSERT INTO dealer_manager (id, dealer_id, login, name) VALUES ($1, $2, $3, $4)`, id, dealer.id, login, name ?? login);
    }
    if (head) await this.setHead(tx, id, true);
    return id;
  }

  /** Head or not, under the dealer row's lock (one head per dealer; a blocked manager cannot be head). */
  private async setHead(tx: Tx, managerId: string, head: boolean): Promise<void> {
    const [manager] = await tx.$queryRawUnsafe<{ dealer_id: string; active: boolean; login: string }[]>(
      `SELECT m.dealer_id, m.active, m.login FROM dealer_manager m JOIN dealer d ON d.id = m.dealer_id WHERE m.id = $1 FOR UPDATE OF d`,
      managerId,
    );
    if (!manager) throw new HubError('not_found', `Manager ${managerId} does not exist.`);
    if (head && !manager.active) throw new HubError('invalid_data', `roles: ${manager.login} is blocked and cannot be the head.`, { field: 'roles' });
    if (head) await tx.$executeRawUnsafe(`UPDATE dealer_manager SET is_head = false WHERE dealer_id = $1 AND is_head AND id <> $2`, manager.dealer_id, managerId);
    await tx.$executeRawUnsafe(`UPDATE dealer_manager SET is_head = $2 WHERE id = $1`, managerId, head);
  }

  private async assertAdminLeft(tx: Tx): Promise<void> {
    const [row] = await tx.$queryRawUnsafe<{ admins: number }[]>(`SELECT count(*)::int AS admins FROM hub_user WHERE 'admin' = ANY(roles) AND disabled_at IS NULL`);
    if ((row?.admins ?? 0) === 0) throw new HubError('conflict', 'This would leave the hub without an enabled admin; make another admin first.');
  }

  private async row(q: Tx, login: string, forUpdate = false): Promise<UserRow> {
    const [row] = await q.$queryRawUnsafe<UserRow[]>(`${USER_SELECT} WHERE lower(u.login) = lower($1)${forUpdate ? ' FOR UPDATE OF u' : ''}`, login);
    if (!row) throw new HubError('not_found', `User ${login} does not exist.`);
    return row;
  }

  private async view(tx: Tx, login: string): Promise<UserView> {
    return toView(await this.row(tx, login));
  }

  /** Two makers of one login at once: the unique index decides, and the loser hears it as a conflict. */
  private async inUse<T>(login: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (sqlStateOf(error) === '23505') throw new HubError('conflict', `Login ${login} is already in use.`, { field: 'login' });
      throw error;
    }
  }

  private transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.prisma.$transaction(work, TX_OPTIONS);
  }
}

type SplitRoles = { kind: 'staff'; roles: StoredRole[] } | { kind: 'dealer'; role: DealerRole; dealer: string };

/** Staff roles and integration combine; a dealer's role stands alone and names its dealer. */
function splitRoles(roles: Role[], dealer: string | undefined): SplitRoles {
  const dealerRoles = roles.filter(isDealerRole);
  if (dealerRoles.length === 0) {
    if (dealer !== undefined) throw new HubError('invalid_data', 'dealer: only dealer_head and dealer_manager users belong to a dealer.', { field: 'dealer' });
    return { kind: 'staff', roles: roles.filter(isStoredRole) };
  }
  if (roles.length !== 1) throw new HubError('invalid_data', "roles: a dealer's user has exactly one role, dealer_head or dealer_manager.", { field: 'roles' });
  if (dealer === undefined) throw new HubError('invalid_data', `dealer: a ${dealerRoles[0]} names the dealer it belongs to.`, { field: 'dealer' });
  return { kind: 'dealer', role: dealerRoles[0]!, dealer };
}

function isDealerRole(role: string): role is DealerRole {
  return (DEALER_ROLES as readonly string[]).includes(role);
}

function toView(row: UserRow): UserView {
  const roles: Role[] = row.dealer_manager_id ? [row.is_head ? 'dealer_head' : 'dealer_manager'] : row.roles.filter(isStoredRole);
  return {
    login: row.login,
    name: row.name,
    roles,
    dealer: row.dealer_code ? { code: row.dealer_code, name: row.dealer_name ?? row.dealer_code } : null,
    disabled: !!row.disabled_at,
    hasPassword: !!row.password_hash,
    passwordChangedAt: row.password_changed_at ? new Date(row.password_changed_at).toISOString() : null,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
