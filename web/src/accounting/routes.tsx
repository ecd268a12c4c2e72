import { has, type Area } from '../ui/nav';
import { DealerSettlementsDetailScreen, SettlementsListScreen } from './settlements';
import { TurnoverScreen } from './turnover';

/** Accountants and management: turnover with charts, settlements per dealer, exports. */
export const accountingArea: Area = {
  routes: [
    { path: 'reports/turnover', element: <TurnoverScreen /> },
    { path: 'settlements', element: <SettlementsListScreen /> },
    { path: 'settlements/:code', element: <DealerSettlementsDetailScreen /> },
  ],
  nav: [
    { to: '/reports/turnover', label: { en: 'Turnover', ru: 'Оборот' }, visible: has('reports.read') },
    { to: '/settlements', label: { en: 'Dealer settlements', ru: 'Расчёты с дилерами' }, visible: has('settlements.read') },
  ],
};
