/**
 * Who may do what: the hub's roles, the permissions each holds, and the one decision every request
 * passes (mayCall). Pure: the API declares on each route what it needs (an Access), the
 * authenticated principal brings its roles, and this file decides.
 *
 * Two kinds of permission:
 * - staff permissions (channels.write, dealers.read…) are held by the manufacturer's staff and by
 *   integration users; they reach every resource of their kind;
 * - dealer permissions (dealer.orders.take…) are held by a dealer's users and reach that dealer's
 *   own resources only: a dealer's user naming another dealer in a URL is told it does not exist.
 */

export const STAFF_ROLES = ['admin', 'ops', 'accountant', 'desk', 'distribution'] as const;
export const DEALER_ROLES = ['dealer_head', 'dealer_manager'] as const;
export const ROLES = [...STAFF_ROLES, 'integration', 'monitoring', ...DEALER_ROLES] as const;

export type StaffRole = (typeof STAFF_ROLES)[number];
export type DealerRole = (typeof DEALER_ROLES)[number];
/** Roles stored on a user: staff roles, integration and monitoring (a dealer's user's role comes from its manager row). */
export type StoredRole = StaffRole | 'integration' | 'monitoring';
export type Role = (typeof ROLES)[number];

/** Staff permissions, with what each allows (docs/security.md lists them from here). */
export const STAFF_PERMISSIONS = {
  'channels.read': 'see channels (secrets redacted), connectors, sync status',
  'channels.write': 'add, change and check channels',
  'channels.sync': 'start a channel sync',
  'payloads.read': 'read archived raw payloads (personal data)',
  'payloads.reprocess': 'read a payload into orders again',
  'outbox.read': 'fetch outbound documents (EDI answers)',
  'orders.read': 'read orders from every channel',
  'orders.contacts': "see clients' phones and e-mails on orders (personal data)",
  'reports.read': 'turnover by channel, kind or label',
  'stock.read': 'availability, reservations, the review queue, the ledger check',
  'stock.load': 'load products, warehouses, stock levels and incoming supply; receive supply',
  'stock.reserve': "reserve, release and ship an order's stock",
  'stock.review': 'resolve the manual-review queue',
  'regions.read': 'read the region hierarchy',
  'regions.write': 'load the region hierarchy',
  'exclusivity.read': 'read exclusivity rules and check a dealer order against them',
  'exclusivity.write': 'create, change, load and delete exclusivity rules',
  'dealers.read': "read dealers' records: profile, assortment, managers, promotions, points",
  'dealers.write': "change dealers' records: profile and flags, assortment, managers, promotions",
  'dealers.load': 'load dealers idempotently by code (as 1C sends them)',
  'dealers.points': "adjust a dealer's points by hand",
  'distribution.read': "read the strategy, every distributed order and its trace, the refusal report, the manufacturer's notifications",
  'distribution.config': 'save and validate the strategy configuration',
  'distribution.assign': "assign, redistribute and move distributed orders on, reassign a dealer's responsible user",
  'distribution.what-if': 'replay a configuration over past orders',
  'distribution.tick': "run the distribution's minute tick now",
  'catalogue.read': 'products from 1C with stock and prices, price columns and their prices',
  'prices.assign': "set a dealer's price column and its regional overrides",
  'sales.orders': 'record manual orders on a manual channel',
  'sales.quotes': "the sales desk's quotes",
  'settlements.read': "read any dealer's settlements with 1C and download its reconciliation statement",
  'accounting.sync': 'sync dealers and settlements from 1C now, and see the accounting syncs',
  'users.manage': "users, roles, passwords and tokens of anyone; appoint a dealer's head",
  'audit.read': 'read the audit log',
  'metrics.read': "scrape /metrics (Prometheus): the hub's counters and gauges, no orders or personal data",
  'onec.exchange': '1C\'s CommerceML exchange ("обмен с сайтом"): send the catalogue and order changes, take the orders',
  'onec.exchanges.read': 'read the log of 1C exchange sessions: who, files, steps, counts, errors',
} as const;
export type StaffPermission = keyof typeof STAFF_PERMISSIONS;

/** Dealer permissions: always limited to the user's own dealer. */
export const DEALER_PERMISSIONS = {
  'dealer.profile.read': "the dealer's own record, assortment, points and the promotions on offer",
  'dealer.profile.edit': "the dealer's own contacts, description, site and logo",
  'dealer.employees.read': "the dealer's employees",
  'dealer.employees.manage': "add, change and block the dealer's employees and set their passwords",
  'dealer.promotions.join': 'join and leave promotions',
  'dealer.orders.read': "the dealer's offers and orders",
  'dealer.orders.take': 'take and decline offered orders',
  'dealer.orders.work': 'move taken orders on (employees: only those they are responsible for)',
  'dealer.orders.reassign': 'make another employee responsible for an order',
  'dealer.notifications': "the dealer's notifications",
  'dealer.catalogue.read': "products with stock and the dealer's own price column's prices",
  'dealer.settlements.read': "the dealer's own settlements with the manufacturer and its reconciliation statement",
  'dealer.purchases': "the dealer's purchase orders to the manufacturer: check and place them, and their history",
} as const;
export type DealerPermission = keyof typeof DEALER_PERMISSIONS;

export type Permission = StaffPermission | DealerPermission;

const ALL_STAFF = Object.keys(STAFF_PERMISSIONS) as StaffPermission[];

const READ_ORDERS: StaffPermission[] = ['orders.read', 'regions.read', 'exclusivity.read', 'dealers.read', 'catalogue.read'];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ALL_STAFF,
  ops: [
    ...READ_ORDERS, 'orders.contacts', 'channels.read', 'channels.write', 'channels.sync', 'payloads.read', 'payloads.reprocess', 'outbox.read',
    'reports.read', 'stock.read', 'stock.load', 'stock.reserve', 'stock.review', 'distribution.read', 'distribution.tick', 'metrics.read', 'accounting.sync', 'onec.exchanges.read',
  ],
  // Turnover, settlements with 1C and price columns; orders without clients' phones and e-mails.
  accountant: [...READ_ORDERS, 'channels.read', 'reports.read', 'stock.read', 'prices.assign', 'settlements.read', 'accounting.sync', 'onec.exchanges.read'],
  desk: [...READ_ORDERS, 'orders.contacts', 'channels.read', 'sales.orders', 'sales.quotes', 'stock.read'],
  distribution: [
    ...READ_ORDERS, 'orders.contacts', 'channels.read', 'regions.write', 'exclusivity.write', 'dealers.write', 'dealers.load', 'dealers.points',
    'distribution.read', 'distribution.config', 'distribution.assign', 'distribution.what-if', 'distribution.tick', 'stock.read', 'prices.assign',
  ],
  // Machines that load master data and read orders (1C's exchange).
  integration: ['orders.read', 'regions.read', 'regions.write', 'dealers.read', 'dealers.load', 'stock.read', 'stock.load', 'catalogue.read', 'onec.exchange'],
  // Prometheus and other scrapers: an API token of a user holding only this role reads the metrics and nothing else.
  monitoring: ['metrics.read'],
  dealer_head: Object.keys(DEALER_PERMISSIONS) as DealerPermission[],
  dealer_manager: ['dealer.profile.read', 'dealer.employees.read', 'dealer.orders.read', 'dealer.orders.take', 'dealer.orders.work', 'dealer.notifications', 'dealer.catalogue.read', 'dealer.purchases'],
};

export function permissionsOf(roles: readonly Role[]): Set<Permission> {
  return new Set(roles.flatMap((role) => ROLE_PERMISSIONS[role]));
}

export function isStaffRole(role: string): role is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(role);
}

export function isStoredRole(role: string): role is StoredRole {
  return isStaffRole(role) || role === 'integration' || role === 'monitoring';
}

/**
 * What a route needs, declared next to its schema:
 * - public: anyone (health, sign-in, the API docs);
 * - channel: authenticated by the channel itself (webhook signature, EDI upload token, POS store key);
 * - signed-in: any authenticated principal (who am I, sign out, my own tokens);
 * - permission: staff holding `staff`, or the dealer's own users holding `dealer`.
 */
export type Access =
  | { kind: 'public'; why: string }
  | { kind: 'channel'; why: string }
  | { kind: 'signed-in' }
  | { kind: 'permission'; staff?: StaffPermission | undefined; dealer?: DealerPermission | undefined };

/** The part of a principal the decision needs. */
export interface Caller {
  permissions: ReadonlySet<Permission>;
  /** The dealer a dealer's user belongs to; null for staff and integration users. */
  dealerCode: string | null;
}

export type AccessDecision =
  | { allowed: true }
  /** 401: nobody signed in. */
  | { allowed: false; status: 401; reason: 'not_signed_in' }
  /** 403: signed in, but the role may not. */
  | { allowed: false; status: 403; reason: 'role' }
  /** 404: a dealer's user naming another dealer: answered as if it did not exist. */
  | { allowed: false; status: 404; reason: 'other_dealer' };

/**
 * The one decision. `dealerCode` is the dealer a URL names (/v1/dealers/:code/…), if any: for a
 * dealer's user, another dealer's code is "not found" whatever the permission, so nothing tells
 * which dealers exist.
 */
export function mayCall(access: Access, caller: Caller | undefined, dealerCode?: string): AccessDecision {
  if (access.kind === 'public' || access.kind === 'channel') return { allowed: true };
  if (!caller) return { allowed: false, status: 401, reason: 'not_signed_in' };
  if (access.kind === 'signed-in') return { allowed: true };
  if (caller.dealerCode !== null) {
    if (dealerCode !== undefined && dealerCode !== caller.dealerCode) return { allowed: false, status: 404, reason: 'other_dealer' };
    return access.dealer && caller.permissions.has(access.dealer) ? { allowed: true } : { allowed: false, status: 403, reason: 'role' };
  }
  return access.staff && caller.permissions.has(access.staff) ? { allowed: true } : { allowed: false, status: 403, reason: 'role' };
}

/** The roles that may call a route (docs/security.md, the BOLA matrix's expectations come from the docs). */
export function rolesAllowed(access: Access): Role[] | 'anyone' | 'channel' | 'signed-in' {
  if (access.kind === 'public') return 'anyone';
  if (access.kind === 'channel') return 'channel';
  if (access.kind === 'signed-in') return 'signed-in';
  return ROLES.filter((role) => {
    const held = ROLE_PERMISSIONS[role] as readonly string[];
    const needed = (DEALER_ROLES as readonly string[]).includes(role) ? access.dealer : access.staff;
    return needed !== undefined && held.includes(needed);
  });
}

/** Fields of its own record a dealer's head may change; flags, regions, points and the price column stay with staff. */
export const DEALER_EDITABLE_FIELDS = ['contacts', 'description', 'logoUrl'] as const;
