import type { RouteObject } from 'react-router';
import type { NavItem } from '../ui/nav';
import { AccountScreen } from './account';

/** /account: every signed-in user's own page (who I am, password, API tokens, sign out everywhere). */
export const accountRoutes: RouteObject[] = [{ path: 'account', element: <AccountScreen /> }];

export const accountNav: NavItem[] = [{ to: '/account', label: { en: 'My account', ru: 'Учётная запись' }, visible: () => true }];
