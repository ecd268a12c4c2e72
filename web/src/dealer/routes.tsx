import { has, type Area } from '../ui/nav';
import { EmployeesScreen } from './employees';
import { DealerLive, useNotificationsBadge, useOffersBadge } from './live';
import { messages } from './messages';
import { NotificationsScreen } from './notifications';
import { OrderCardScreen } from './order-card';
import { OrdersScreen } from './orders';
import { PointsScreen } from './points';
import { ProfileScreen } from './profile';
import { purchaseNav, purchaseRoutes } from './purchases/routes';
import './dealer.css';

const label = (key: keyof (typeof messages)['en']) => ({ en: messages.en[key], ru: messages.ru[key] });

/**
 * The dealer cabinet: offers and orders, points, notifications, profile, employees, purchases, settlements.
 * Every /dealer/… screen is a child of DealerLive (the cabinet's one live subscription to its events).
 * Orders comes first: the home page of a dealer's user is the first nav item it may see.
 */
export const dealerArea: Area = {
  routes: [
    {
      element: <DealerLive />,
      children: [
        { path: '/dealer/orders', element: <OrdersScreen /> },
        { path: '/dealer/orders/:orderId', element: <OrderCardScreen /> },
        { path: '/dealer/points', element: <PointsScreen /> },
        { path: '/dealer/notifications', element: <NotificationsScreen /> },
        { path: '/dealer/profile', element: <ProfileScreen /> },
        { path: '/dealer/employees', element: <EmployeesScreen /> },
        ...purchaseRoutes,
      ],
    },
  ],
  nav: [
    { to: '/dealer/orders', label: label('navOrders'), visible: has('dealer.orders.read'), badge: useOffersBadge },
    { to: '/dealer/notifications', label: label('navNotifications'), visible: has('dealer.notifications'), badge: useNotificationsBadge },
    ...purchaseNav,
    { to: '/dealer/points', label: label('navPoints'), visible: has('dealer.profile.read') },
    { to: '/dealer/profile', label: label('navProfile'), visible: has('dealer.profile.read') },
    { to: '/dealer/employees', label: label('navEmployees'), visible: has('dealer.employees.read') },
  ],
};
