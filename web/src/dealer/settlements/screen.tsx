import { PeriodPicker, usePeriodParam } from '../../accounting/period-picker';
import { useT } from '../../i18n';
import { has, type NavItem } from '../../ui/nav';
import { Page } from '../../ui/page';
import { useDealerCode } from '../../session';
import { settlementMessages as messages } from './messages';
import { SettlementsDetail } from './settlements-view';

/** /dealer/settlements: the dealer head's own settlements with the manufacturer, as 1C sent them. */
export function DealerSettlementsScreen() {
  const t = useT(messages);
  const code = useDealerCode();
  const [period, setPeriod] = usePeriodParam('thisMonth');
  return (
    <Page title={t('title')}>
      <PeriodPicker period={period} onChange={setPeriod} />
      <SettlementsDetail code={code} period={period} />
    </Page>
  );
}

export const settlementsNav: NavItem[] = [
  { to: '/dealer/settlements', label: { en: 'Settlements', ru: 'Взаиморасчёты' }, visible: (me) => !!me.dealer && has('dealer.settlements.read')(me) },
];
