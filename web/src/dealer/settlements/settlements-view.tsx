import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { api, ApiError, downloadUrl, ok, type paths } from '../../api/client';
import { validPeriod, type Period } from '../../accounting/period';
import { useFormat } from '../../format';
import { useT } from '../../i18n';
import { useCan } from '../../session';
import { ActionError, ErrorState, Loading } from '../../ui/states';
import { settlementMessages as messages } from './messages';

export type Settlements = paths['/v1/dealers/{code}/settlements']['get']['responses'][200]['content']['application/json'];

export const settlementsKey = (code: string, period: Period) => ['settlements', code, period.from, period.to] as const;

/** 1C has not sent this period (the hub answers 404 with reason period_not_synced). */
export function isNotSynced(error: unknown): boolean {
  if (!(error instanceof ApiError) || error.status !== 404) return false;
  const reason = (error.details as { reason?: string } | undefined)?.reason;
  return reason === 'period_not_synced' || reason === undefined;
}

export function settlementsQuery(code: string, period: Period) {
  return {
    queryKey: settlementsKey(code, period),
    queryFn: () => ok(api.GET('/v1/dealers/{code}/settlements', { params: { path: { code }, query: { from: period.from, to: period.to } } })),
    enabled: validPeriod(period),
    retry: (count: number, error: unknown) => !(error instanceof ApiError && error.status < 500) && count < 2,
    staleTime: 60_000,
  };
}

/** positive = the dealer owes the manufacturer. */
export function balanceTone(amount: string): 'owes' | 'credit' | 'settled' {
  const n = Number(amount);
  return n > 0 ? 'owes' : n < 0 ? 'credit' : 'settled';
}

/**
 * One dealer's settlements for a period: the figures, the documents, the reconciliation statement
 * downloads; an empty state saying 1C has sent nothing for the period (with the sync for staff who may).
 */
export function SettlementsDetail({ code, period, staff }: { code: string; period: Period; staff?: boolean }) {
  const t = useT(messages);
  const f = useFormat();
  const query = useQuery(settlementsQuery(code, period));
  if (!validPeriod(period)) return null;
  if (query.isPending) return <Loading />;
  if (query.isError) {
    if (isNotSynced(query.error)) {
      return (
        <div className="card empty-card" data-testid="settlements-empty">
          <h2>{t('notSyncedTitle')}</h2>
          <p className="muted">{t(staff ? 'notSyncedStaff' : 'notSyncedDealer', { from: f.date(period.from), to: f.date(period.to) })}</p>
          {staff && <SyncPeriodButton period={period} />}
        </div>
      );
    }
    return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  }
  const s = query.data;
  const money = (value: string | null) => f.money(value, s.currency);
  const tone = balanceTone(s.closing);
  const query_ = { from: period.from, to: period.to };
  return (
    <>
      <div className="cards settlement-figures">
        <div className="card">
          <div className="muted">{t('closing')}</div>
          <div className={`stat balance-${tone}`} data-testid="closing-balance">
            {money(s.closing)}
          </div>
          <div className="muted small">{t(tone)}</div>
        </div>
        <dl className="card figures">
          <dt>{t('opening')}</dt>
          <dd>{money(s.opening)}</dd>
          <dt>{t('shipped')}</dt>
          <dd>{money(s.shipped)}</dd>
          <dt>{t('paid')}</dt>
          <dd>{money(s.paid)}</dd>
          <dt>{t('returns')}</dt>
          <dd>{money(s.returns)}</dd>
        </dl>
        {(s.overdue !== null || s.creditLimit !== null) && (
          <dl className="card figures">
            {s.overdue !== null && (
              <>
                <dt>{t('overdue')}</dt>
                <dd className={Number(s.overdue) > 0 ? 'bad-text' : undefined}>{money(s.overdue)}</dd>
              </>
            )}
            {s.creditLimit !== null && (
              <>
                <dt>{t('creditLimit')}</dt>
                <dd>{money(s.creditLimit)}</dd>
              </>
            )}
          </dl>
        )}
      </div>
      <p className="muted small">
        {t('syncedAt', { when: f.dateTime(s.syncedAt) })} {s.basis === 'derived' && t('derived')} {t('balanceNote')}
      </p>
      <div className="row statement">
        <span>{t('statement')}:</span>
        <a className="button" href={downloadUrl(`/v1/dealers/${encodeURIComponent(code)}/settlements/statement.csv`, query_)} download aria-label={t('statementCsv')}>
          {t('csv')}
        </a>
        <a className="button" href={downloadUrl(`/v1/dealers/${encodeURIComponent(code)}/settlements/statement.pdf`, query_)} download aria-label={t('statementPdf')}>
          {t('pdf')}
        </a>
      </div>
      <h2>{t('documents')}</h2>
      {s.documents.length === 0 ? (
        <div className="state state-empty">{t('noDocuments')}</div>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('date')}</th>
                <th scope="col">{t('kind')}</th>
                <th scope="col">{t('number')}</th>
                <th scope="col" className="hide-narrow">
                  {t('order')}
                </th>
                <th scope="col" className="num">
                  {t('amount')}
                </th>
              </tr>
            </thead>
            <tbody>
              {s.documents.map((d) => (
                <tr key={`${d.kind}-${d.number}-${d.date}`}>
                  <td>{f.date(d.date.slice(0, 10))}</td>
                  <td>
                    <span className={`status ${d.kind === 'payment' ? 'ok' : d.kind === 'return' ? 'warn' : ''}`}>{t(d.kind)}</span>
                  </td>
                  <td className="mono">{d.number}</td>
                  <td className="hide-narrow">{d.orderNumber ?? '—'}</td>
                  <td className="num">{money(d.amount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Staff with accounting.sync: load this period's settlements from 1C now (the request waits for the run). */
export function SyncPeriodButton({ period }: { period: Period }) {
  const t = useT(messages);
  const can = useCan();
  const client = useQueryClient();
  const sync = useMutation({
    mutationFn: () => ok(api.POST('/v1/accounting/sync', { body: { what: 'settlements', from: period.from, to: period.to } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['settlements'] }),
  });
  if (!can('accounting.sync')) return null;
  const error = sync.error instanceof ApiError && sync.error.status === 409 ? t('notConnected') : sync.error ? t('syncFailed', { error: sync.error.message }) : null;
  return (
    <div className="row">
      <button type="button" onClick={() => sync.mutate()} disabled={sync.isPending || !validPeriod(period)}>
        {sync.isPending ? t('syncing') : t('syncPeriod')}
      </button>
      <span role="status" className="muted small">
        {sync.data &&
          (sync.data.status === 'failed'
            ? t('syncFailed', { error: sync.data.error ?? sync.data.errorCode ?? '' })
            : t('syncResult', { status: sync.data.status, dealers: sync.data.received, documents: sync.data.documents }))}
      </span>
      <ActionError error={error} />
    </div>
  );
}

/** A link to the accountant's view of a dealer's settlements for the same period. */
export function SettlementsLink({ code, period, children }: { code: string; period: Period; children: ReactNode }) {
  return <Link to={`/settlements/${encodeURIComponent(code)}?from=${period.from}&to=${period.to}`}>{children}</Link>;
}
