import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, type paths } from '../api/client';
import { useFormat } from '../format';
import { useT } from '../i18n';
import { useCan, useMe } from '../session';
import { Page } from '../ui/page';
import { ActionError, Empty, Query } from '../ui/states';
import { reviewsMsg } from './messages';

type Review = paths['/v1/stock/reviews']['get']['responses'][200]['content']['application/json']['items'][number];
type Line = Review['lines'][number];
type Action = 'confirm_partially' | 'wait_for_supply' | 'reject';

const KEY = ['ops', 'stock-reviews'] as const;
const RESULT_CLASS: Record<string, string> = { confirmed: 'ok', partial: 'warn', unavailable: 'bad' };

/** /ops/reviews: orders the stock cannot fully cover, what each lacks, and the decision. */
export function ReviewsScreen() {
  const t = useT(reviewsMsg);
  const [status, setStatus] = useState<'open' | 'resolved'>('open');
  const reviews = useQuery({ queryKey: [...KEY, status], queryFn: () => ok(api.GET('/v1/stock/reviews', { params: { query: { status } } })) });
  return (
    <Page title={t('title')}>
      <div className="row filters">
        <div className="schema-field">
          <label htmlFor="review-status">{t('show')}</label>
          <select id="review-status" value={status} onChange={(e) => setStatus(e.target.value as 'open' | 'resolved')}>
            <option value="open">{t('open')}</option>
            <option value="resolved">{t('resolvedList')}</option>
          </select>
        </div>
      </div>
      <Query query={reviews}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{status === 'open' ? t('noOpen') : t('noResolved')}</Empty>
          ) : (
            <ul className="review-list" aria-label={t('title')}>
              {data.items.map((r) => (
                <ReviewCard key={r.id} review={r} />
              ))}
            </ul>
          )
        }
      </Query>
    </Page>
  );
}

function ReviewCard({ review }: { review: Review }) {
  const t = useT(reviewsMsg);
  const f = useFormat();
  const can = useCan();
  const me = useMe();
  const client = useQueryClient();
  const [note, setNote] = useState('');
  const resolve = useMutation({
    mutationFn: (action: Action) =>
      ok(api.POST('/v1/stock/reviews/{id}/resolve', { params: { path: { id: review.id } }, body: { action, by: me.login, ...(note.trim() && { note: note.trim() }) } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: KEY }),
  });
  const number = review.orderNumber ?? review.orderExternalId;
  const titleId = `review-${review.id}`;
  const lacking = review.lines.filter((l) => l.status !== 'confirmed');
  const open = review.reviewStatus === 'open';
  return (
    <li className="card stack" aria-labelledby={titleId} data-testid={`review-${number}`}>
      <div className="row spread">
        <h2 id={titleId} className="h3">
          {t('order', { number })}
        </h2>
        <span className={`status ${RESULT_CLASS[review.result] ?? ''}`}>{t(`result_${review.result}`)}</span>
      </div>
      <p className="muted small">
        {t('checked', { when: f.dateTime(review.createdAt), version: review.orderVersion })}
        {review.reason ? ` · ${review.reason}` : ''}
      </p>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">{t('linesCaption', { number })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('sku')}</th>
              <th scope="col" className="num">
                {t('ordered')}
              </th>
              <th scope="col" className="num">
                {t('allocated')}
              </th>
              <th scope="col" className="num">
                {t('shortfall')}
              </th>
              <th scope="col">{t('arrives')}</th>
            </tr>
          </thead>
          <tbody>
            {(lacking.length ? lacking : review.lines).map((l) => (
              <LineRow key={l.position} line={l} />
            ))}
          </tbody>
        </table>
      </div>
      {lacking.length > 0 && lacking.length < review.lines.length && <p className="muted small">{t('othersCovered', { n: review.lines.length - lacking.length })}</p>}
      {open && can('stock.review') ? (
        <div className="stack">
          <label htmlFor={`${titleId}-note`}>{t('note')}</label>
          <input id={`${titleId}-note`} value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} />
          <div className="row" role="group" aria-label={t('decide', { number })}>
            <button type="button" className="primary" onClick={() => resolve.mutate('confirm_partially')} disabled={resolve.isPending}>
              {t('confirm_partially')}
            </button>
            <button type="button" onClick={() => resolve.mutate('wait_for_supply')} disabled={resolve.isPending}>
              {t('wait_for_supply')}
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => {
                if (window.confirm(t('rejectConfirm', { number }))) resolve.mutate('reject');
              }}
              disabled={resolve.isPending}
            >
              {t('reject')}
            </button>
          </div>
          <ActionError error={resolve.error} />
        </div>
      ) : (
        review.resolution && (
          <p>
            <span className="status">{t(review.resolution)}</span> {review.resolvedBy} · {f.dateTime(review.resolvedAt)}
            {review.note ? ` · ${review.note}` : ''}
          </p>
        )
      )}
    </li>
  );
}

function LineRow({ line }: { line: Line }) {
  const t = useT(reviewsMsg);
  const f = useFormat();
  const short = Number(line.shortfall) > 0;
  return (
    <tr>
      <td>
        <span className="mono">{line.sku ?? '—'}</span>
        {line.reason && <div className="muted small">{line.reason}</div>}
      </td>
      <td className="num">{f.number(line.quantity)}</td>
      <td className="num">{f.number(line.allocated)}</td>
      <td className="num">
        <strong className={short ? 'error-text' : undefined}>{f.number(line.shortfall)}</strong>
      </td>
      <td>{line.restArrivesOn ? f.date(line.restArrivesOn) : short ? t('noSupply') : '—'}</td>
    </tr>
  );
}
