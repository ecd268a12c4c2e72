import type { RouteObject } from 'react-router';
import { has, type NavItem } from '../../ui/nav';
import { AuditScreen } from './audit';
import { DealerScreen } from './dealer';
import { DealerCreateScreen, DealersScreen } from './dealers';
import { ExclusivityScreen } from './exclusivity';
import { navLabels } from './messages';
import { RegionsScreen } from './regions';
import { UserScreen, UsersScreen } from './users';
import './admin.css';

/**
 * The ops console's admin screens: dealers, regions, exclusivity rules, users (roles, passwords,
 * tokens) and the audit log. Each is shown to whoever may read it; changing needs the write
 * permission (the screens turn read-only without it, and the API refuses anyway).
 */
export const adminRoutes: RouteObject[] = [
  { path: 'ops/dealers', element: <DealersScreen /> },
  { path: 'ops/dealers/new', element: <DealerCreateScreen /> },
  { path: 'ops/dealers/:code', element: <DealerScreen /> },
  { path: 'ops/regions', element: <RegionsScreen /> },
  { path: 'ops/exclusivity', element: <ExclusivityScreen /> },
  { path: 'ops/users', element: <UsersScreen /> },
  { path: 'ops/users/:login', element: <UserScreen /> },
  { path: 'ops/audit', element: <AuditScreen /> },
];

export const adminNav: NavItem[] = [
  { to: '/ops/dealers', label: navLabels.dealers, visible: has('dealers.read') },
  { to: '/ops/regions', label: navLabels.regions, visible: has('regions.read') },
  { to: '/ops/exclusivity', label: navLabels.exclusivity, visible: has('exclusivity.read') },
  { to: '/ops/users', label: navLabels.users, visible: has('users.manage') },
  { to: '/ops/audit', label: navLabels.audit, visible: has('audit.read') },
];
