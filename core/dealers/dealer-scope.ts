/**
 * Who is asking. Authentication comes in a later issue; until then the API derives the scope from
 * the path (/v1/dealers/:code/...) or treats the caller as an admin. Every query of dealers' orders
 * takes a scope and filters by it, so adding authentication changes where the scope comes from, not
 * the queries.
 */
export type DealerScope =
  | { kind: 'admin' }
  /** A dealer's user: sees what is offered to the dealer now and the dealer's own orders. */
  | { kind: 'dealer'; dealerCode: string; login?: string | undefined };

export const ADMIN_SCOPE: DealerScope = { kind: 'admin' };

export function dealerScope(dealerCode: string, login?: string): DealerScope {
  return { kind: 'dealer', dealerCode, login };
}
