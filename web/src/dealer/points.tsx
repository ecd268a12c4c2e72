import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, ok } from '../api/client';
import { useFormat } from '../format';
import { useLocale, useT } from '../i18n';
import { useDealerCode } from '../session';
import { Page } from '../ui/page';
import { Empty, ErrorState, Loading, Query } from '../ui/states';
import { Table } from '../ui/table';
import { keys, type PointsChange } from './api';
import { messages, pointsWord, type MessageKey } from './messages';

const LIMIT = 50;

/** "+100 баллов" / "−50 points". */
export function usePointsText() {
  const { locale } = useLocale();
  const t = useT(messages);
  const f = useFormat();
  return (delta: number) => t(delta < 0 ? 'pointsLost' : 'pointsGained', { n: f.number(Math.abs(delta)), points: pointsWord(locale, delta) });
}

export function useDealer() {
  const code = useDealerCode();
  return useQuery({ queryKey: keys.profile(code), queryFn: () => ok(api.GET('/v1/dealers/{code}', { params: { path: { code } } })) });
}

/** /dealer/points: the balance and its changes, newest first. */
export function PointsScreen() {
  const t = useT(messages);
  const f = useFormat();
  const code = useDealerCode();
  const points = usePointsText();
  const dealer = useDealer();
  const history = useInfiniteQuery({
    queryKey: keys.points(code),
    queryFn: ({ pageParam }) => ok(api.GET('/v1/dealers/{code}/points', { params: { path: { code }, query: { limit: LIMIT, beforeId: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.items.length < LIMIT ? undefined : last.items.at(-1)?.id),
  });
  const rows = history.data?.pages.flatMap((page) => page.items) ?? [];
  const cause = (row: PointsChange) => {
    const key = `cause.${row.cause}` as MessageKey;
    const text = t(key);
    return text === key ? row.cause : text;
  };
  return (
    <Page title={t('pointsTitle')}>
      <div className="card">
        <div className="muted">{t('balance')}</div>
        <Query query={dealer}>{(d) => <div className="stat" data-testid="points-balance">{f.number(d.points)}</div>}</Query>
      </div>
      <h2>{t('pointsHistory')}</h2>
      {history.isPending ? (
        <Loading />
      ) : history.isError ? (
        <ErrorState error={history.error} retry={() => void history.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>{t('noPoints')}</Empty>
      ) : (
        <>
          <Table
            rows={rows}
            rowKey={(row) => row.id}
            columns={[
              { key: 'date', header: t('colDate'), cell: (row) => <span className="nowrap">{f.dateTime(row.createdAt)}</span> },
              { key: 'delta', header: t('colChange'), numeric: true, cell: (row) => <span className={row.delta < 0 ? 'points-minus' : 'points-plus'}>{points(row.delta)}</span> },
              { key: 'balance', header: t('colBalance'), numeric: true, cell: (row) => f.number(row.balance) },
              { key: 'cause', header: t('colCause'), cell: cause },
              {
                key: 'order',
                header: t('colOrder'),
                cell: (row) => (row.orderId ? <Link to={`/dealer/orders/${encodeURIComponent(row.orderId)}`}>{t('openOrder')}</Link> : '—'),
              },
              { key: 'note', header: t('colNote'), wide: true, cell: (row) => row.note ?? '' },
            ]}
          />
          {history.hasNextPage && (
            <div>
              <button type="button" onClick={() => void history.fetchNextPage()} disabled={history.isFetchingNextPage}>
                {t('loadMore')}
              </button>
            </div>
          )}
        </>
      )}
    </Page>
  );
}
