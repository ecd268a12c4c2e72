import type { Actor } from '../audit/actor.ts';
import { adminScope, dealerScope, type DealerScope } from '../dealers/dealer-scope.ts';
import { isStoredRole, permissionsOf, type Caller, type Permission, type Role } from './access-rules.ts';

/**
 * An authenticated user as a request sees it: roles, the permissions they give, the dealer a
 * dealer's user belongs to, and how it proved who it is.
 */
export interface Principal extends Caller {
  userId: string;
  login: string;
  name: string | null;
  roles: Role[];
  permissions: ReadonlySet<Permission>;
  /** A dealer's user's dealer and manager row; null for staff and integration users. */
  dealer: { id: string; code: string; name: string; managerId: string; head: boolean } | null;
  dealerCode: string | null;
  via: 'session' | 'token' | 'basic';
  /** The session's or token's id. */
  credentialId: string;
}

/** The columns every credential lookup selects (after its own), to build a principal in the same query. */
export const PRINCIPAL_COLUMNS = `u.id AS user_id, u.login, u.name, u.roles, u.disabled_at,
  m.id AS manager_id, m.is_head, m.active AS manager_active, d.id AS dealer_id, d.code AS dealer_code, d.name AS dealer_name`;
export const PRINCIPAL_JOINS = `LEFT JOIN dealer_manager m ON m.id = u.dealer_manager_id LEFT JOIN dealer d ON d.id = m.dealer_id`;

export interface PrincipalRow {
  user_id: string;
  login: string;
  name: string | null;
  roles: string[];
  disabled_at: Date | null;
  manager_id: string | null;
  is_head: boolean | null;
  manager_active: boolean | null;
  dealer_id: string | null;
  dealer_code: string | null;
  dealer_name: string | null;
}

/** Undefined when the user may not act now: disabled, or a dealer's user whose manager row is blocked. */
export function principalFromRow(row: PrincipalRow, via: Principal['via'], credentialId: string): Principal | undefined {
  if (row.disabled_at) return undefined;
  if (row.manager_id) {
    if (!row.manager_active || !row.dealer_code) return undefined;
    const head = !!row.is_head;
    const roles: Role[] = [head ? 'dealer_head' : 'dealer_manager'];
    return {
      userId: row.user_id,
      login: row.login,
      name: row.name,
      roles,
      permissions: permissionsOf(roles),
      dealer: { id: row.dealer_id!, code: row.dealer_code, name: row.dealer_name ?? row.dealer_code, managerId: row.manager_id, head },
      dealerCode: row.dealer_code,
      via,
      credentialId,
    };
  }
  const roles = (row.roles ?? []).filter(isStoredRole);
  return { userId: row.user_id, login: row.login, name: row.name, roles, permissions: permissionsOf(roles), dealer: null, dealerCode: null, via, credentialId };
}

/** The dealers' orders a principal sees: its dealer's, or (staff) the manufacturer's view. */
export function scopeOfPrincipal(principal: Principal): DealerScope {
  if (principal.dealer) return dealerScope(principal.dealer.code, principal.login, { managerId: principal.dealer.managerId, head: principal.dealer.head });
  return adminScope(principal.login);
}

export function actorOfPrincipal(principal: Principal | undefined, ip: string | null): Actor {
  if (!principal) return { login: 'anonymous', userId: null, via: 'anonymous', ip };
  return { login: principal.login, userId: principal.userId, via: principal.via, ip };
}
