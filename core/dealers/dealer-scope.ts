/**
 * Whose view of dealers' orders a query takes. The API derives it from the authenticated principal
 * (api/auth), never from the URL; the CLI, which runs next to the database, acts as the manufacturer
 * or as a whole dealer. Every query of dealers' orders takes a scope and filters by it in SQL.
 */
export type DealerScope =
  /** The manufacturer's side: every order. `actor` is recorded as who acted. */
  | { kind: 'admin'; actor?: string | undefined }
  /**
   * A dealer's user: sees what is offered to the dealer now and the dealer's own orders. An employee
   * (head false) moves on only the orders it is responsible for; the head (or the CLI acting as the
   * dealer, without a manager) all of the dealer's.
   */
  | { kind: 'dealer'; dealerCode: string; login?: string | undefined; managerId?: string | undefined; head?: boolean | undefined };

export const ADMIN_SCOPE: DealerScope = { kind: 'admin' };

export function adminScope(actor: string): DealerScope {
  return { kind: 'admin', actor };
}

export function dealerScope(dealerCode: string, login?: string, user?: { managerId: string; head: boolean }): DealerScope {
  return { kind: 'dealer', dealerCode, login, managerId: user?.managerId, head: user?.head ?? true };
}

/** The login recorded as having acted. */
export function actorName(scope: DealerScope): string {
  return scope.kind === 'admin' ? (scope.actor ?? 'admin') : (scope.login ?? `dealer ${scope.dealerCode}`);
}
