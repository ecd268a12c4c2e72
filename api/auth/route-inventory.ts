import {
  DEALER_PERMISSIONS,
  DEALER_ROLES,
  ROLE_PERMISSIONS,
  ROLES,
  rolesAllowed,
  STAFF_PERMISSIONS,
  type Access,
} from '../../core/identity/access-rules.ts';

/**
 * Every route with who may call it, as registered: the source of docs/security.md's inventory
 * (`hub routes --write docs/security.md` writes it; test/api/access-matrix.test.ts fails when the
 * docs and the routes disagree).
 */

export interface DeclaredRoute {
  method: string;
  url: string;
  access: Access;
}

const METHOD_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export function sortedRoutes(routes: readonly DeclaredRoute[]): DeclaredRoute[] {
  return [...routes].sort((a, b) => a.url.localeCompare(b.url) || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method));
}

/** What the route declares, in words: `staff: orders.read`, `dealer: dealer.orders.take`. */
export function describeAccess(access: Access): string {
  switch (access.kind) {
    case 'public':
      return 'anyone';
    case 'channel':
      return 'channel credential';
    case 'signed-in':
      return 'signed in';
    case 'permission':
      return [access.staff && `staff: ${access.staff}`, access.dealer && `dealer: ${access.dealer}`].filter(Boolean).join('; ');
  }
}

/** Who may call it: roles (dealer roles for their own dealer only), or anyone / the channel / any signed-in user. */
export function describeCallers(access: Access): string {
  const allowed = rolesAllowed(access);
  if (allowed === 'anyone') return 'anyone';
  if (allowed === 'channel') return "the channel's own credential";
  if (allowed === 'signed-in') return 'any signed-in user';
  if (allowed.length === 0) return 'nobody';
  return allowed.map((role) => ((DEALER_ROLES as readonly string[]).includes(role) ? `${role} (own dealer)` : role)).join(', ');
}

export function inventoryTable(routes: readonly DeclaredRoute[]): string {
  const lines = ['| method | path | declared access | who may call |', '|---|---|---|---|'];
  for (const route of sortedRoutes(routes)) {
    lines.push(`| ${route.method} | \`${route.url}\` | ${describeAccess(route.access)} | ${describeCallers(route.access)} |`);
  }
  return lines.join('\n');
}

/** Which role holds which permission, as core/identity/access-rules.ts says. */
export function permissionsTable(): string {
  const lines = [`| permission | what it allows | ${ROLES.join(' | ')} |`, `|---|---|${ROLES.map(() => '---|').join('')}`];
  const all = { ...STAFF_PERMISSIONS, ...DEALER_PERMISSIONS } as Record<string, string>;
  for (const [permission, what] of Object.entries(all)) {
    const marks = ROLES.map((role) => ((ROLE_PERMISSIONS[role] as readonly string[]).includes(permission) ? '✓' : ''));
    lines.push(`| \`${permission}\` | ${what} | ${marks.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** docs/security.md's generated part: the permissions of each role, then every route. */
export function securityInventory(routes: readonly DeclaredRoute[]): string {
  return [
    '### Roles and their permissions',
    '',
    permissionsTable(),
    '',
    `### Every route (${routes.length})`,
    '',
    'Dealer roles act only on their own dealer: under `/v1/dealers/:code/` another dealer\'s code answers 404, as if it did not exist.',
    '',
    inventoryTable(routes),
  ].join('\n');
}
