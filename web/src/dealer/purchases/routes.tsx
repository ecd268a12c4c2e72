import type { RouteObject } from 'react-router';
import { DealerSettlementsScreen, settlementsNav } from '../settlements/screen';
import { has, type NavItem } from '../../ui/nav';
import { PurchaseDetailScreen, PurchaseHistoryScreen } from './history';
import { NewPurchaseScreen } from './new-purchase';

/** The dealer's purchase orders to the manufacturer and its settlements (wired into the dealer cabinet by dealer/routes.tsx). */
export const purchaseRoutes: RouteObject[] = [
  { path: 'dealer/purchase', element: <NewPurchaseScreen /> },
  { path: 'dealer/purchases', element: <PurchaseHistoryScreen /> },
  { path: 'dealer/purchases/:orderId', element: <PurchaseDetailScreen /> },
  { path: 'dealer/settlements', element: <DealerSettlementsScreen /> },
];

const purchasing = (me: Parameters<NavItem['visible']>[0]) => !!me.dealer && has('dealer.purchases')(me);

export const purchaseNav: NavItem[] = [
  { to: '/dealer/purchase', label: { en: 'New purchase order', ru: 'Новая закупка' }, visible: purchasing },
  { to: '/dealer/purchases', label: { en: 'Purchase orders', ru: 'Закупки' }, visible: purchasing },
  ...settlementsNav,
];
