import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { api, ok } from '../../api/client';
import { useFormat } from '../../format';
import { useT, type Translate } from '../../i18n';
import { useDealerCode } from '../../session';
import { Page } from '../../ui/page';
import { Empty, Query } from '../../ui/states';
import { Table } from '../../ui/table';
import { purchaseMessages as messages } from './messages';
import type { Placed } from './new-purchase';

const PAGE = 25;
type T = Translate<keyof (typeof messages)['en'] & string>;

export function statusText(t: T, status: string): string {
  const key = `status_${status}`;
  const text = t(key as Parameters<T>[0]);
  return text === key ? status : text;
}

export function statusTone(status: string): string {
  if (['completed', 'shipped', 'confirmed'].includes(status)) return 'ok';
  if (['cancelled', 'failed', 'refunded'].includes(status)) return 'bad';
  if (['on_hold', 'pending_payment'].includes(status)) return 'warn';
  return '';
}

/** /dealer/purchases: the dealer's purchase orders, newest first; a just-placed one is announced. */
export function PurchaseHistoryScreen() {
  const t = useT(messages);
  const f = useFormat();
  const code = useDealerCode();
  const navigate = useNavigate();
  const location = useLocation();
  const placed = (location.state as { placed?: Placed } | null)?.placed;
  const [offset, setOffset] = useState(0);
  const list = useQuery({
    queryKey: ['purchases', code, offset],
    queryFn: () => ok(api.GET('/v1/dealers/{code}/purchases', { params: { path: { code }, query: { limit: PAGE, offset } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <Page
      title={t('historyTitle')}
      actions={
        <Link className="button primary" to="/dealer/purchase">
          {t('newPurchase')}
        </Link>
      }
    >
      {placed && (
        <div className="card success-card" role="status" data-testid="purchase-placed">
          {placed.number ? t('placed', { number: placed.number, total: f.money(placed.total, placed.currency) }) : t('placedNoNumber', { total: f.money(placed.total, placed.currency) })}{' '}
          <Link to={`/dealer/purchases/${encodeURIComponent(placed.orderId)}`}>{t('openOrder', { number: placed.number ?? '' })}</Link>
        </div>
      )}
      <Query query={list}>
        {(data) =>
          data.purchases.length === 0 ? (
            <Empty>
              {t('noPurchases')} <Link to="/dealer/purchase">{t('newPurchase')}</Link>
            </Empty>
          ) : (
            <>
              <Table
                rows={data.purchases}
                rowKey={(p) => p.orderId}
                onOpen={(p) => void navigate(`/dealer/purchases/${encodeURIComponent(p.orderId)}`)}
                rowClass={(p) => (p.orderId === placed?.orderId ? 'fresh' : undefined)}
                columns={[
                  {
                    key: 'number',
                    header: t('number'),
                    cell: (p) => <Link to={`/dealer/purchases/${encodeURIComponent(p.orderId)}`}>{p.number ?? p.orderId.slice(0, 8)}</Link>,
                  },
                  { key: 'placed', header: t('placedAt'), cell: (p) => f.dateTime(p.placedAt) },
                  { key: 'status', header: t('status'), cell: (p) => <span className={`status ${statusTone(p.status)}`}>{statusText(t, p.status)}</span> },
                  { key: 'total', header: t('total'), numeric: true, cell: (p) => f.money(p.total, p.currency) },
                  { key: 'lines', header: t('lines'), numeric: true, wide: true, cell: (p) => f.number(p.lineCount) },
                  { key: 'desired', header: t('desired'), wide: true, cell: (p) => f.date(p.desiredDate) },
                  { key: 'ref', header: t('yourRef'), wide: true, cell: (p) => p.reference ?? '—' },
                ]}
              />
              {data.total > PAGE && (
                <div className="row">
                  <button type="button" onClick={() => setOffset(Math.max(0, offset - PAGE))} disabled={offset === 0}>
                    ← {t('previous')}
                  </button>
                  <span className="muted small">{t('pageOf', { from: offset + 1, to: Math.min(offset + PAGE, data.total), total: data.total })}</span>
                  <button type="button" onClick={() => setOffset(offset + PAGE)} disabled={offset + PAGE >= data.total}>
                    {t('next')} →
                  </button>
                </div>
              )}
            </>
          )
        }
      </Query>
    </Page>
  );
}

/** /dealer/purchases/:orderId: one purchase order with its lines and the statuses it went through. */
export function PurchaseDetailScreen() {
  const t = useT(messages);
  const f = useFormat();
  const code = useDealerCode();
  const { orderId = '' } = useParams();
  const detail = useQuery({
    queryKey: ['purchases', code, 'detail', orderId],
    queryFn: () => ok(api.GET('/v1/dealers/{code}/purchases/{orderId}', { params: { path: { code, orderId } } })),
  });
  const number = detail.data?.number ?? '';
  return (
    <Page
      title={t('detailTitle', { number })}
      actions={
        <Link className="button" to="/dealer/purchases">
          ← {t('back')}
        </Link>
      }
    >
      <Query query={detail}>
        {(p) => (
          <>
            <dl className="card figures purchase-facts">
              <dt>{t('status')}</dt>
              <dd>
                <span className={`status ${statusTone(p.status)}`}>{statusText(t, p.status)}</span>
              </dd>
              <dt>{t('placedAt')}</dt>
              <dd>{f.dateTime(p.placedAt)}</dd>
              {p.placedBy && (
                <>
                  <dt>{t('placedBy')}</dt>
                  <dd>{p.placedBy}</dd>
                </>
              )}
              <dt>{t('desired')}</dt>
              <dd>{f.date(p.desiredDate)}</dd>
              {p.region && (
                <>
                  <dt>{t('region')}</dt>
                  <dd>{p.region}</dd>
                </>
              )}
              {p.reference && (
                <>
                  <dt>{t('yourRef')}</dt>
                  <dd>{p.reference}</dd>
                </>
              )}
              <dt>{t('total')}</dt>
              <dd>
                <strong>{f.money(p.total, p.currency)}</strong>
              </dd>
            </dl>
            {p.comment && <p className="card">{p.comment}</p>}
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('product')}</th>
                    <th scope="col" className="num">
                      {t('quantity')}
                    </th>
                    <th scope="col" className="num hide-narrow">
                      {t('unitPrice')}
                    </th>
                    <th scope="col" className="num">
                      {t('amount')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {p.lines.map((l, i) => (
                    <tr key={`${l.sku ?? ''}-${i}`}>
                      <th scope="row">
                        {l.name}
                        {l.sku && <div className="muted small mono">{l.sku}</div>}
                      </th>
                      <td className="num">{f.number(l.quantity)}</td>
                      <td className="num hide-narrow">{f.money(l.unitPrice, p.currency)}</td>
                      <td className="num">{f.money(l.amount, p.currency)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">{t('total')}</th>
                    <td className="num" />
                    <td className="num hide-narrow" />
                    <td className="num">{f.money(p.total, p.currency)}</td>
                  </tr>
                </tfoot>
              </table>
            </div>
            {p.history.length > 0 && (
              <>
                <h2>{t('statusHistory')}</h2>
                <ol className="status-history">
                  {p.history.map((h) => (
                    <li key={`${h.at}-${h.status}`}>
                      <span className={`status ${statusTone(h.status)}`}>{statusText(t, h.status)}</span> <span className="muted small">{f.dateTime(h.at)}</span>
                    </li>
                  ))}
                </ol>
              </>
            )}
          </>
        )}
      </Query>
    </Page>
  );
}
