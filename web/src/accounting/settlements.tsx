import { useQueries, useQuery } from '@tanstack/react-query';
import { useDeferredValue, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ok } from '../api/client';
import { settlementMessages } from '../dealer/settlements/messages';
import { balanceTone, isNotSynced, settlementsQuery, SettlementsDetail, SyncPeriodButton, type Settlements } from '../dealer/settlements/settlements-view';
import { useFormat } from '../format';
import { useLocale, useT } from '../i18n';
import { useCan } from '../session';
import { Page } from '../ui/page';
import { Empty, ErrorState, Loading } from '../ui/states';
import { csvText, decimal, downloadCsv, type CsvCell } from './csv';
import { accountingMessages as messages } from './messages';
import { validPeriod } from './period';
import { PeriodPicker, usePeriodParam } from './period-picker';

const LIMIT = 100;

/** /settlements: every dealer with its settlement balance for a period (1C's figures), a CSV of the list. */
export function SettlementsListScreen() {
  const t = useT(messages);
  const f = useFormat();
  const { locale } = useLocale();
  const [period, setPeriod] = usePeriodParam('thisMonth');
  const [search, setSearch] = useState('');
  const q = useDeferredValue(search.trim());
  const dealers = useQuery({
    queryKey: ['dealers', 'settlements-list', q],
    queryFn: () => ok(api.GET('/v1/dealers', { params: { query: { limit: LIMIT, ...(q && { q }) } } })),
    placeholderData: (previous) => previous,
  });
  const list = dealers.data?.dealers ?? [];
  const balances = useQueries({ queries: list.map((d) => settlementsQuery(d.code, period)) });
  const byCode = new Map(list.map((d, i) => [d.code, balances[i]]));
  const allSettled = balances.every((b) => !b.isPending || !b.isFetching);

  const exportCsv = () => {
    const rows: CsvCell[][] = [
      [t('code'), t('dealer'), t('region'), t('csvCurrency'), t('csvOpening'), t('csvShipped'), t('csvPaid'), t('csvReturns'), t('closing'), t('overdue'), t('csvCreditLimit'), t('status'), t('csvSyncedAt'), t('csvFrom'), t('csvTo')],
    ];
    for (const d of list) {
      const s: Settlements | undefined = byCode.get(d.code)?.data;
      rows.push(
        s
          ? [d.code, d.name, d.mainRegion, s.currency, decimal(s.opening), decimal(s.shipped), decimal(s.paid), decimal(s.returns), decimal(s.closing), decimal(s.overdue), decimal(s.creditLimit), t(s.basis), s.syncedAt, period.from, period.to]
          : [d.code, d.name, d.mainRegion, '', '', '', '', '', '', '', '', t('notSynced'), '', period.from, period.to],
      );
    }
    downloadCsv(`dealer-settlements_${period.from}_${period.to}.csv`, csvText(rows, locale));
  };

  return (
    <Page
      title={t('settlements')}
      actions={
        <button type="button" onClick={exportCsv} disabled={!dealers.isSuccess || list.length === 0 || !allSettled} aria-label={t('exportDealersCsv')}>
          {t('exportCsv')}
        </button>
      }
    >
      <div className="report-controls">
        <PeriodPicker period={period} onChange={setPeriod} />
        <label className="search">
          {t('search')}
          <input type="search" value={search} placeholder={t('searchPlaceholder')} onChange={(e) => setSearch(e.target.value)} />
        </label>
      </div>
      <LastSync />
      {dealers.isPending ? (
        <Loading />
      ) : dealers.isError ? (
        <ErrorState error={dealers.error} retry={() => void dealers.refetch()} />
      ) : list.length === 0 ? (
        <Empty>{t('noDealers')}</Empty>
      ) : (
        <>
          {validPeriod(period) && balances.length > 0 && balances.every((b) => b.isError && isNotSynced(b.error)) && (
            <div className="card empty-card" data-testid="settlements-empty">
              <p>{settlementT(locale, 'notSyncedStaff', { from: f.date(period.from), to: f.date(period.to) })}</p>
              <SyncPeriodButton period={period} />
            </div>
          )}
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('dealer')}</th>
                  <th scope="col" className="hide-narrow">
                    {t('region')}
                  </th>
                  <th scope="col" className="num">
                    {t('closing')}
                  </th>
                  <th scope="col" className="num hide-narrow">
                    {t('overdue')}
                  </th>
                  <th scope="col" className="hide-narrow">
                    {t('status')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((d) => {
                  const b = byCode.get(d.code);
                  const s = b?.data;
                  return (
                    <tr key={d.code}>
                      <th scope="row">
                        <Link to={`/settlements/${encodeURIComponent(d.code)}?from=${period.from}&to=${period.to}`}>{d.name}</Link>
                        <div className="muted small mono">{d.code}</div>
                      </th>
                      <td className="hide-narrow">{d.mainRegion}</td>
                      <td className={`num ${s ? `balance-${balanceTone(s.closing)}` : ''}`}>
                        {s ? f.money(s.closing, s.currency) : b?.isError ? <span className="muted">{isNotSynced(b.error) ? t('notSynced') : t('failedShort')}</span> : <span className="muted">{t('loadingShort')}</span>}
                      </td>
                      <td className="num hide-narrow">{s?.overdue ? f.money(s.overdue, s.currency) : '—'}</td>
                      <td className="hide-narrow">{s ? <span className={`status ${s.basis === 'exact' ? 'ok' : ''}`}>{t(s.basis)}</span> : '—'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {dealers.data.total > list.length && <p className="muted small">{t('shownOf', { shown: list.length, total: dealers.data.total })}</p>}
        </>
      )}
    </Page>
  );
}

/** The settlement messages outside a hook's reach (the list's empty note). */
function settlementT(locale: 'ru' | 'en', key: 'notSyncedStaff', params: Record<string, string>): string {
  return settlementMessages[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}

/** When 1C last synced (for those who may see the syncs). */
function LastSync() {
  const t = useT(messages);
  const f = useFormat();
  const can = useCan();
  const syncs = useQuery({
    queryKey: ['accounting-syncs', 1],
    queryFn: () => ok(api.GET('/v1/accounting/syncs', { params: { query: { limit: 1 } } })),
    enabled: can('accounting.sync'),
    staleTime: 60_000,
  });
  if (!syncs.isSuccess) return null;
  const last = syncs.data.syncs[0];
  const known = ['succeeded', 'partial', 'failed', 'running'];
  return (
    <p className="muted small" data-testid="last-sync">
      {last
        ? t('lastSync', {
            when: f.dateTime(last.finishedAt ?? last.startedAt),
            status: known.includes(last.status) ? t(`syncStatus_${last.status as 'succeeded'}`) : last.status,
          })
        : t('neverSynced')}
    </p>
  );
}

/** /settlements/:code: one dealer's settlements for a period, with the documents and the statement downloads. */
export function DealerSettlementsDetailScreen() {
  const t = useT(messages);
  const { code = '' } = useParams();
  const [period, setPeriod] = usePeriodParam('thisMonth');
  const dealer = useQuery({ queryKey: ['dealer', code], queryFn: () => ok(api.GET('/v1/dealers/{code}', { params: { path: { code } } })), staleTime: 300_000 });
  return (
    <Page
      title={t('dealerSettlements', { name: dealer.data?.name ?? code })}
      actions={
        <Link className="button" to={`/settlements?from=${period.from}&to=${period.to}`}>
          ← {t('back')}
        </Link>
      }
    >
      <PeriodPicker period={period} onChange={setPeriod} />
      <SettlementsDetail code={code} period={period} staff />
    </Page>
  );
}
