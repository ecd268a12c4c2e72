import type { RouteObject } from 'react-router';
import type { NavItem } from '../../ui/nav';

/**
 * PLACEHOLDER so the ops console compiles on its own branch: the admin helper's branch replaces this
 * file with the real dealers/regions/exclusivity/users/audit screens (take theirs at merge).
 */
export const adminRoutes: RouteObject[] = [];
export const adminNav: NavItem[] = [];
