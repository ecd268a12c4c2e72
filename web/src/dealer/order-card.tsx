import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, ok } from '../api/client';
import { displayText, useFormat } from '../format';
import { useT } from '../i18n';
import { useCan, useDealerCode } from '../session';
import { Page } from '../ui/page';
import { ActionError, ErrorState, Loading } from '../ui/states';
import { Table } from '../ui/table';
import { keys, orderCard, type DealerOrderCard, type StatusAnswer, type WorkStatus } from './api';
import { useManagers } from './employees';
import { LiveIndicator, markOffersSeen, useLive } from './live';
import { messages, type MessageKey } from './messages';
import { deadlineOf, StatusBadge } from './orders';
import { usePointsText } from './points';
import { Countdown, useNow } from './time';

const STEPS: { status: Exclude<WorkStatus, 'cancelled'>; label: MessageKey }[] = [
  { status: 'contacted', label: 'toContacted' },
  { status: 'in_progress', label: 'toInProgress' },
  { status: 'completed', label: 'toCompleted' },
];
const ORDER = ['offering', 'unassigned', 'assigned', 'contacted', 'in_progress', 'completed'];

const reasonOf = (error: unknown) => (error instanceof ApiError ? (error.details?.reason as string | undefined) : undefined);

/** Why an order is out of this dealer's reach, in words; undefined for any other failure. */
function lostMessage(error: unknown): MessageKey | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const reason = reasonOf(error);
  if (error.status === 404 && reason === 'taken_by_another') return 'takenByAnother';
  if (error.status === 404) return reason === 'offer_ended' ? 'noLongerOffered' : 'notOffered';
  if (error.status === 409) return reason === 'window_closed' ? 'windowClosed' : reason === 'already_taken' ? 'takenByAnother' : 'noLongerOffered';
  return undefined;
}

/** /dealer/orders/:orderId: the order's card and what the user may do with it. */
export function OrderCardScreen() {
  const { orderId = '' } = useParams();
  return <OrderCard key={orderId} orderId={orderId} />;
}

/** What the user's last action did: kept above the card, which may be gone after a decline or a cancellation. */
interface Outcome {
  text: string;
  points?: StatusAnswer['points'];
  /** declined or cancelled: the order leaves this dealer, its card answers 404 from now on. */
  gone?: boolean;
}

function OrderCard({ orderId }: { orderId: string }) {
  const t = useT(messages);
  const f = useFormat();
  const pointsText = usePointsText();
  const code = useDealerCode();
  const { pollMs } = useLive();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const card = useQuery({ queryKey: keys.card(code, orderId), queryFn: () => orderCard(code, orderId), refetchInterval: pollMs });
  useEffect(() => markOffersSeen(orderId), [orderId]);
  const title = card.data ? t('cardTitle', { number: card.data.number ?? orderId.slice(0, 8) }) : t('cardTitle', { number: '' }).trim();
  const back = (
    <Link to="/dealer/orders" className="button">
      {t('back')}
    </Link>
  );
  let body: ReactNode;
  if (card.isPending) body = <Loading />;
  else if (card.isError) {
    const lost = lostMessage(card.error);
    body = outcome?.gone ? null : lost ? (
      <div className="state state-error" role="alert">
        {t(lost)}
      </div>
    ) : (
      <ErrorState error={card.error} retry={() => void card.refetch()} />
    );
  } else body = <Card card={card.data} onOutcome={setOutcome} />;
  return (
    <Page
      title={title}
      actions={
        <>
          <LiveIndicator />
          {back}
        </>
      }
    >
      {outcome && (
        <div role="status" className="card order-outcome">
          {outcome.text && <p className="ok-note">{outcome.text}</p>}
          {outcome.points && outcome.points.delta !== 0 && (
            <p className={outcome.points.delta < 0 ? 'points-result minus' : 'points-result'} data-testid="points-change">
              {pointsText(outcome.points.delta)} <span className="muted small">{t('pointsBalance', { n: f.number(outcome.points.balance) })}</span>
            </p>
          )}
        </div>
      )}
      {body}
    </Page>
  );
}

function Card({ card, onOutcome }: { card: DealerOrderCard; onOutcome: (outcome: Outcome) => void }) {
  const t = useT(messages);
  const history = useHistoryLine();
  const f = useFormat();
  const now = useNow(1000);
  const deadline = deadlineOf(card);
  const offered = card.distributionStatus === 'offering';
  return (
    <>
      <div className="row">
        <StatusBadge status={card.distributionStatus} />
        <span className="muted">
          {t('placed')}: {f.dateTime(card.placedAt)}
        </span>
      </div>
      {deadline && (
        <div className="card">
          <div className="muted">{offered && card.offer?.expiresAt ? t('offerExpires') : t('due')}</div>
          <div className="big-deadline" data-testid="order-deadline">
            <Countdown at={deadline} now={now} /> <span className="muted small">{f.dateTime(deadline)}</span>
          </div>
        </div>
      )}
      <Actions card={card} onOutcome={onOutcome} />
      <div className="order-grid">
        <section className="card" aria-labelledby="client-h">
          <h2 id="client-h">{t('client')}</h2>
          <dl className="facts">
            <dt>{t('clientName')}</dt>
            <dd>{card.client.name ?? '—'}</dd>
            <dt>{t('phone')}</dt>
            <dd>
              {card.client.phone ? (
                <a href={`tel:${card.client.phone.replace(/[^\d+]/g, '')}`}>{card.client.phone}</a>
              ) : offered ? (
                <span className="muted">{t('phoneHidden')}</span>
              ) : (
                '—'
              )}
            </dd>
            {card.client.email && (
              <>
                <dt>{t('email')}</dt>
                <dd>
                  <a href={`mailto:${card.client.email}`}>{card.client.email}</a>
                </dd>
              </>
            )}
          </dl>
        </section>
        <section className="card" aria-labelledby="delivery-h">
          <h2 id="delivery-h">{t('delivery')}</h2>
          <dl className="facts">
            <dt>{t('region')}</dt>
            <dd>{card.delivery.region ?? card.region ?? '—'}</dd>
            <dt>{t('city')}</dt>
            <dd>{card.delivery.city ?? card.client.city ?? '—'}</dd>
            <dt>{t('address')}</dt>
            <dd>{card.delivery.address ?? (offered ? <span className="muted">{t('addressHidden')}</span> : '—')}</dd>
          </dl>
        </section>
        <Responsible card={card} />
      </div>
      <section aria-labelledby="lines-h">
        <h2 id="lines-h">{t('products')}</h2>
        <Table
          rows={card.lines.map((line, index) => ({ ...line, index }))}
          rowKey={(line) => String(line.index)}
          columns={[
            { key: 'name', header: t('colProduct'), cell: (line) => displayText(line.name) },
            { key: 'sku', header: t('colSku'), wide: true, cell: (line) => <span className="mono">{line.sku ?? '—'}</span> },
            { key: 'qty', header: t('colQty'), numeric: true, cell: (line) => f.number(line.quantity) },
            { key: 'price', header: t('colPrice'), numeric: true, wide: true, cell: (line) => f.money(line.unitPrice, card.currency) },
            { key: 'sum', header: t('colLineSum'), numeric: true, cell: (line) => f.money(line.total, card.currency) },
          ]}
        />
        <p className="order-total">
          {t('total')}: <strong>{f.money(card.total, card.currency)}</strong>
        </p>
      </section>
      <Comments card={card} />
      <section aria-labelledby="history-h">
        <h2 id="history-h">{t('history')}</h2>
        {card.history.length === 0 ? (
          <p className="muted">{t('noHistory')}</p>
        ) : (
          <ol className="history-list">
            {card.history.map((h, i) => (
              <li key={i}>
                <time className="muted" dateTime={h.at}>
                  {f.dateTime(h.at)}
                </time>
                <span>
                  {history(h)}
                  {h.actor && <span className="muted"> · {h.actor}</span>}
                </span>
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

/** A history line in the screen's language, from its facts; the hub's English text for a kind this screen does not know. */
function useHistoryLine() {
  const t = useT(messages);
  const pointsText = usePointsText();
  const status = (value: string | undefined) => {
    const key = `status.${value}` as MessageKey;
    return value && key in messages.en ? t(key) : (value ?? '');
  };
  return (h: DealerOrderCard['history'][number]): string => {
    const f = h.facts;
    switch (h.kind) {
      case 'offer_visible':
        return t('hist.offer_visible', { tier: f.tier ?? '' });
      case 'taken':
        return t('hist.taken');
      case 'declined':
        return t('hist.declined', { reason: f.reason ?? '' });
      case 'assigned': {
        const key = `hist.assigned.${f.via}` as MessageKey;
        return f.via && key in messages.en ? t(key) : t('hist.assigned');
      }
      case 'fallback':
        return t('hist.assigned.fallback');
      case 'status': {
        const line = t('hist.status', { from: status(f.from), to: status(f.to) }) + (f.reason ? `: ${f.reason}` : '');
        return f.points ? `${line} (${pointsText(f.points)})` : line;
      }
      case 'responsible':
        return t('hist.responsible', { from: f.from ?? '—', to: f.to ?? '—' });
      case 'overdue':
        return t('hist.overdue');
      case 'order_changed':
        return t('hist.order_changed');
      case 'comment':
        return t(f.visibility === 'client' ? 'hist.comment.client' : 'hist.comment.internal');
      default:
        return h.text;
    }
  };
}

function useRefresh() {
  const code = useDealerCode();
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: keys.orders(code) });
}

/** Take / Decline while offered; Contacted → In progress → Completed and Cancel once it is the dealer's. */
function Actions({ card, onOutcome }: { card: DealerOrderCard; onOutcome: (outcome: Outcome) => void }) {
  const t = useT(messages);
  const code = useDealerCode();
  const refresh = useRefresh();
  const [asking, setAsking] = useState<'decline' | 'cancel' | null>(null);
  const path = { code, orderId: card.orderId };
  const take = useMutation({
    mutationFn: () => ok(api.POST('/v1/dealers/{code}/orders/{orderId}/take', { params: { path } })),
    onSuccess: () => onOutcome({ text: t('taken') }),
    onSettled: () => refresh(),
  });
  const decline = useMutation({
    mutationFn: (reason: string) => ok(api.POST('/v1/dealers/{code}/orders/{orderId}/decline', { params: { path }, body: { reason } })),
    onSuccess: () => {
      setAsking(null);
      onOutcome({ text: t('declined'), gone: true });
    },
    onSettled: () => refresh(),
  });
  const move = useMutation({
    mutationFn: (body: { status: WorkStatus; reason?: string }) => ok(api.POST('/v1/dealers/{code}/orders/{orderId}/status', { params: { path }, body })),
    onSuccess: (answer, body) => {
      setAsking(null);
      onOutcome({ text: body.status === 'cancelled' ? t('cancelledDone') : '', points: answer.points, gone: body.status === 'cancelled' });
    },
    onSettled: () => refresh(),
  });
  const { allowed } = card;
  // Take and decline lost to another dealer or to the clock; a status change only when the order is no longer the dealer's (404).
  const lost = lostMessage(take.error) ?? lostMessage(decline.error) ?? (move.error instanceof ApiError && move.error.status === 404 ? lostMessage(move.error) : undefined);
  const failure = lost ? null : (take.error ?? decline.error ?? move.error);
  const position = ORDER.indexOf(card.distributionStatus);
  const canStep = STEPS.some((step) => allowed.statuses.includes(step.status));
  const busy = take.isPending || decline.isPending || move.isPending;
  const nothing = !allowed.take && !allowed.decline && !canStep && !allowed.statuses.includes('cancelled');
  if (nothing && !lost && !failure) return null;
  return (
    <section className="card order-actions" aria-label={t('actions')}>
      {lost && (
        <p className="state-error inline" role="alert">
          {t(lost)}
        </p>
      )}
      <ActionError error={failure} />
      {(allowed.take || allowed.decline) && !lost && (
        <div className="row">
          {allowed.take && (
            <button type="button" className="primary" onClick={() => take.mutate()} disabled={busy}>
              {t('take')}
            </button>
          )}
          {allowed.decline && asking !== 'decline' && (
            <button type="button" onClick={() => setAsking('decline')} disabled={busy}>
              {t('decline')}
            </button>
          )}
        </div>
      )}
      {asking === 'decline' && <ReasonForm label={t('declineReason')} submit={t('declineConfirm')} busy={busy} onSubmit={(reason) => decline.mutate(reason)} onClose={() => setAsking(null)} />}
      {(canStep || position >= ORDER.indexOf('contacted')) && card.distributionStatus !== 'cancelled' && (
        <ol className="steps" aria-label={t('stepsLabel')}>
          {STEPS.map((step) => {
            const at = ORDER.indexOf(step.status);
            const done = position >= at;
            const may = allowed.statuses.includes(step.status);
            return (
              <li key={step.status} className={done ? 'done' : undefined} aria-current={card.distributionStatus === step.status ? 'step' : undefined}>
                {may && !done ? (
                  <button type="button" className={step.status === 'completed' ? 'primary' : undefined} onClick={() => move.mutate({ status: step.status })} disabled={busy}>
                    {t(step.label)}
                  </button>
                ) : (
                  <span>
                    {done ? '✓ ' : ''}
                    {t(step.label)}
                  </span>
                )}
              </li>
            );
          })}
        </ol>
      )}
      {allowed.statuses.includes('cancelled') && asking !== 'cancel' && (
        <div>
          <button type="button" className="danger" onClick={() => setAsking('cancel')} disabled={busy}>
            {t('cancel')}
          </button>
        </div>
      )}
      {asking === 'cancel' && (
        <ReasonForm
          label={t('cancelReason')}
          hint={t('cancelWarning')}
          submit={t('cancelConfirm')}
          danger
          busy={busy}
          onSubmit={(reason) => move.mutate({ status: 'cancelled', reason })}
          onClose={() => setAsking(null)}
        />
      )}
    </section>
  );
}

function ReasonForm({ label, hint, submit, danger, busy, onSubmit, onClose }: { label: string; hint?: string; submit: string; danger?: boolean; busy: boolean; onSubmit: (reason: string) => void; onClose: () => void }) {
  const t = useT(messages);
  const [reason, setReason] = useState('');
  const id = useId();
  return (
    <form
      className="form"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        if (reason.trim()) onSubmit(reason.trim());
      }}
      onKeyDown={(event) => event.key === 'Escape' && onClose()}
    >
      <label htmlFor={id}>{label}</label>
      {hint && <p className="muted small">{hint}</p>}
      <textarea id={id} value={reason} onChange={(e) => setReason(e.target.value)} required autoFocus rows={3} />
      <div className="row">
        <button type="submit" className={danger ? 'danger' : 'primary'} disabled={busy || !reason.trim()}>
          {submit}
        </button>
        <button type="button" onClick={onClose}>
          {t('close')}
        </button>
      </div>
    </form>
  );
}

/** Who answers for the order; the head picks another of the dealer's managers. */
function Responsible({ card }: { card: DealerOrderCard }) {
  const t = useT(messages);
  const can = useCan();
  const code = useDealerCode();
  const refresh = useRefresh();
  const managers = useManagers();
  const mayRead = can('dealer.employees.read');
  const [login, setLogin] = useState(card.responsible ?? '');
  const [done, setDone] = useState(false);
  useEffect(() => setLogin(card.responsible ?? ''), [card.responsible]);
  const reassign = useMutation({
    mutationFn: () => ok(api.POST('/v1/dealers/{code}/orders/{orderId}/responsible', { params: { path: { code, orderId: card.orderId } }, body: { login } })),
    onSuccess: () => setDone(true),
    onSettled: () => refresh(),
  });
  const nameOf = (who: string | null) => (who ? (managers.data?.items.find((m) => m.login === who)?.name ?? who) : t('nobody'));
  if (card.distributionStatus === 'offering' && !card.responsible) return null;
  const selectId = `responsible-${card.orderId}`;
  return (
    <section className="card" aria-labelledby="responsible-h">
      <h2 id="responsible-h">{t('responsible')}</h2>
      <p>{mayRead ? nameOf(card.responsible) : (card.responsible ?? t('nobody'))}</p>
      {card.allowed.reassign && mayRead && managers.data && (
        <form
          className="row"
          onSubmit={(event) => {
            event.preventDefault();
            setDone(false);
            reassign.mutate();
          }}
        >
          <label htmlFor={selectId} className="sr-only">
            {t('newResponsible')}
          </label>
          <select id={selectId} value={login} onChange={(e) => setLogin(e.target.value)}>
            {!card.responsible && <option value="">—</option>}
            {managers.data.items
              .filter((m) => m.active)
              .map((m) => (
                <option key={m.login} value={m.login}>
                  {m.name}
                </option>
              ))}
          </select>
          <button type="submit" disabled={!login || login === card.responsible || reassign.isPending}>
            {t('reassign')}
          </button>
        </form>
      )}
      {done && (
        <p role="status" className="ok-note">
          {t('reassignDone')}
        </p>
      )}
      <ActionError error={reassign.error} />
    </section>
  );
}

function Comments({ card }: { card: DealerOrderCard }) {
  const t = useT(messages);
  const f = useFormat();
  const code = useDealerCode();
  const client = useQueryClient();
  const [text, setText] = useState('');
  const [visibility, setVisibility] = useState<'client' | 'internal'>('internal');
  const id = useId();
  const add = useMutation({
    mutationFn: () => ok(api.POST('/v1/dealers/{code}/orders/{orderId}/comments', { params: { path: { code, orderId: card.orderId } }, body: { text: text.trim(), visibility } })),
    onSuccess: () => {
      setText('');
      return client.invalidateQueries({ queryKey: keys.card(code, card.orderId) });
    },
  });
  if (!card.allowed.comment && card.comments.length === 0) return null;
  return (
    <section aria-labelledby="comments-h">
      <h2 id="comments-h">{t('comments')}</h2>
      {card.comments.length === 0 ? (
        <p className="muted">{t('noComments')}</p>
      ) : (
        <ul className="comment-list">
          {card.comments.map((c) => (
            <li key={c.id} className={c.visibility}>
              <div className="small muted">
                {c.authorName ?? c.author} · <time dateTime={c.at}>{f.dateTime(c.at)}</time> · {t(c.visibility === 'client' ? 'visClient' : 'visInternal')}
              </div>
              <p>{c.text}</p>
            </li>
          ))}
        </ul>
      )}
      {card.allowed.comment && (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            if (text.trim()) add.mutate();
          }}
        >
          <label htmlFor={id}>{t('commentText')}</label>
          <textarea id={id} value={text} onChange={(e) => setText(e.target.value)} rows={3} maxLength={4000} />
          <fieldset>
            <legend>{t('visibility')}</legend>
            <label className="inline">
              <input type="radio" name={`${id}-vis`} value="internal" checked={visibility === 'internal'} onChange={() => setVisibility('internal')} />
              {t('visInternal')}
            </label>
            <label className="inline">
              <input type="radio" name={`${id}-vis`} value="client" checked={visibility === 'client'} onChange={() => setVisibility('client')} />
              {t('visClient')}
            </label>
          </fieldset>
          <ActionError error={add.error} />
          <div>
            <button type="submit" className="primary" disabled={!text.trim() || add.isPending}>
              {t('addComment')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
