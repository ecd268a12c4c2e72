import type { RouteObject } from 'react-router';
import type { Me } from '../session';

/** A screen area (dealer cabinet, ops console, accounting): its routes and its menu entries. */
export interface Area {
  routes: RouteObject[];
  nav: NavItem[];
}

export interface NavItem {
  to: string;
  /** The label in both languages. */
  label: { en: string; ru: string };
  /** Shown when the signed-in user may do this. */
  visible: (me: Me) => boolean;
  /** A live count beside the label (unread notifications, offers). */
  badge?: () => number | undefined;
}

export const has = (...permissions: string[]) => (me: Me) => permissions.some((p) => me.permissions.includes(p));
