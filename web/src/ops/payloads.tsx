import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, ok, type paths } from '../api/client';
import { useFormat } from '../format';
import { useT } from '../i18n';
import { useCan } from '../session';
import { Page } from '../ui/page';
import { ActionError, Empty, ErrorState, Loading, Query } from '../ui/states';
import { Table, type Column } from '../ui/table';
import { useChannels } from './channels';
import { payloadsMsg } from './messages';

type PayloadRow = paths['/v1/raw-payloads']['get']['responses'][200]['content']['application/json']['items'][number];
type FailedJob = paths['/v1/jobs/failed']['get']['responses'][200]['content']['application/json']['items'][number];
type StatusUpdate = paths['/v1/status-updates']['get']['responses'][200]['content']['application/json']['items'][number];

const KEY = ['ops', 'payloads'] as const;
const TABS = ['payloads', 'jobs', 'status'] as const;
type Tab = (typeof TABS)[number];

function useChannelNames(): (id: string | null) => string {
  const channels = useChannels();
  return (id) => (id ? (channels.data?.items.find((c) => c.id === id)?.name ?? id.slice(0, 8)) : '—');
}

const STATUS_CLASS: Record<string, string> = { failed: 'bad', partial: 'warn', pending: 'warn', parsed: 'ok', sent: 'ok', skipped: '' };

/** /ops/payloads: what failed to come in (payloads, jobs) and what failed to go out (status updates to shops). */
export function FailuresScreen() {
  const t = useT(payloadsMsg);
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'payloads';
  const select = (next: Tab) => setParams(next === 'payloads' ? {} : { tab: next }, { replace: true });
  const onKey = (e: KeyboardEvent) => {
    const i = TABS.indexOf(tab);
    const next = { ArrowRight: TABS[(i + 1) % TABS.length], ArrowLeft: TABS[(i + TABS.length - 1) % TABS.length], Home: TABS[0], End: TABS[TABS.length - 1] }[e.key];
    if (!next) return;
    e.preventDefault();
    select(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return (
    <Page title={t('title')}>
      <div className="tabs" role="tablist" aria-label={t('title')} onKeyDown={onKey}>
        {TABS.map((name) => (
          <button key={name} type="button" role="tab" id={`tab-${name}`} aria-controls={`panel-${name}`} aria-selected={tab === name} tabIndex={tab === name ? 0 : -1} onClick={() => select(name)}>
            {t(`tab_${name}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'payloads' && <FailedPayloads />}
        {tab === 'jobs' && <FailedJobs />}
        {tab === 'status' && <FailedStatusUpdates />}
      </div>
    </Page>
  );
}

function FailedPayloads() {
  const t = useT(payloadsMsg);
  const f = useFormat();
  const channels = useChannels();
  const channelName = useChannelNames();
  const [channelId, setChannelId] = useState('');
  const [includeAcknowledged, setIncludeAcknowledged] = useState(false);
  const list = useInfiniteQuery({
    queryKey: [...KEY, 'errors', channelId, includeAcknowledged],
    queryFn: ({ pageParam }) =>
      ok(
        api.GET('/v1/raw-payloads', {
          params: { query: { status: 'errors', includeAcknowledged, ...(channelId && { channelId }), ...(pageParam && { cursor: pageParam }), limit: 50 } },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const columns: Column<PayloadRow>[] = [
    {
      key: 'received',
      header: t('received'),
      cell: (p) => (
        <Link to={`/ops/payloads/${p.id}`} aria-label={t('openPayload', { when: f.dateTime(p.lastReceivedAt), channel: channelName(p.channelId) })}>
          {f.dateTime(p.lastReceivedAt)}
        </Link>
      ),
    },
    { key: 'channel', header: t('channel'), cell: (p) => channelName(p.channelId) },
    { key: 'kind', header: t('kind'), cell: (p) => `${p.kind}${p.source ? ` · ${p.source}` : ''}`, wide: true },
    {
      key: 'status',
      header: t('status'),
      cell: (p) => (
        <>
          <span className={`status ${STATUS_CLASS[p.status] ?? ''}`}>{p.status}</span>
          {p.acknowledgedAt && <div className="muted small">{t('acknowledgedShort')}</div>}
        </>
      ),
    },
    { key: 'error', header: t('error'), cell: (p) => <span className="error-text clamp">{p.error ?? p.errorCode ?? '—'}</span> },
  ];
  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="stack">
      <div className="row filters">
        <div className="schema-field">
          <label htmlFor="filter-channel">{t('channel')}</label>
          <select id="filter-channel" value={channelId} onChange={(e) => setChannelId(e.target.value)}>
            <option value="">{t('allChannels')}</option>
            {channels.data?.items.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <label className="inline">
          <input type="checkbox" checked={includeAcknowledged} onChange={(e) => setIncludeAcknowledged(e.target.checked)} />
          {t('includeAcknowledged')}
        </label>
      </div>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>{t('noFailedPayloads')}</Empty>
      ) : (
        <>
          <Table caption={t('payloadsCaption')} rows={rows} columns={columns} rowKey={(p) => p.id} />
          {list.hasNextPage && (
            <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
              {t('more')}
            </button>
          )}
        </>
      )}
    </div>
  );
}

/** /ops/payloads/:id: the error, the raw body, reprocess with its outcome, acknowledge. */
export function PayloadScreen() {
  const t = useT(payloadsMsg);
  const f = useFormat();
  const can = useCan();
  const { id = '' } = useParams();
  const client = useQueryClient();
  const channelName = useChannelNames();
  const payload = useQuery({ queryKey: [...KEY, id], queryFn: () => ok(api.GET('/v1/raw-payloads/{id}', { params: { path: { id } } })) });
  const refresh = () => void client.invalidateQueries({ queryKey: KEY });
  const reprocess = useMutation({ mutationFn: () => ok(api.POST('/v1/raw-payloads/{id}/reprocess', { params: { path: { id } } })), onSuccess: refresh });
  const [reason, setReason] = useState('');
  const acknowledge = useMutation({
    mutationFn: () => ok(api.POST('/v1/raw-payloads/{id}/acknowledge', { params: { path: { id } }, body: { reason: reason.trim() } })),
    onSuccess: refresh,
  });
  const submitAck = (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim()) acknowledge.mutate();
  };
  const outcome = reprocess.data;
  return (
    <Page title={t('payloadTitle')} actions={<Link to="/ops/payloads">{t('back')}</Link>}>
      <Query query={payload}>
        {(p) => (
          <>
            <dl className="facts card">
              <div>
                <dt>{t('channel')}</dt>
                <dd>
                  <Link to={`/ops/channels/${p.channelId}`}>{channelName(p.channelId)}</Link>
                </dd>
              </div>
              <div>
                <dt>{t('received')}</dt>
                <dd>
                  {f.dateTime(p.receivedAt)}
                  {p.receivedCount > 1 && ` · ${t('times', { n: p.receivedCount })}`}
                </dd>
              </div>
              <div>
                <dt>{t('status')}</dt>
                <dd>
                  <span className={`status ${STATUS_CLASS[p.status] ?? ''}`}>{p.status}</span> · {t('attempts', { n: p.attempts })} · {t('orders', { n: p.orderCount })}
                </dd>
              </div>
              <div>
                <dt>{t('kind')}</dt>
                <dd>
                  {p.kind}
                  {p.source ? ` · ${p.source}` : ''} · {p.contentType ?? '—'} · {p.encoding}
                </dd>
              </div>
              {p.acknowledgedAt && (
                <div>
                  <dt>{t('acknowledged')}</dt>
                  <dd>{t('acknowledgedBy', { who: p.acknowledgedBy ?? '—', when: f.dateTime(p.acknowledgedAt), reason: p.acknowledgeReason ?? '' })}</dd>
                </div>
              )}
              {p.resolvedAt && (
                <div>
                  <dt>{t('resolved')}</dt>
                  <dd>
                    {f.dateTime(p.resolvedAt)} · {p.resolvedBy}
                  </dd>
                </div>
              )}
            </dl>
            {(p.error ?? p.errorCode) && (
              <section aria-labelledby="err-title" className="card error-card">
                <h2 id="err-title">{t('error')}</h2>
                {p.errorCode && <p className="mono">{p.errorCode}</p>}
                <p className="error-text pre">{p.error}</p>
              </section>
            )}
            {p.warnings.length > 0 && (
              <section aria-labelledby="warn-title" className="card">
                <h2 id="warn-title">{t('warnings')}</h2>
                <ul>
                  {p.warnings.map((w, i) => (
                    <li key={i}>{w}</li>
                  ))}
                </ul>
              </section>
            )}
            {can('payloads.reprocess') && (
              <section aria-labelledby="actions-title" className="card stack">
                <h2 id="actions-title">{t('whatToDo')}</h2>
                <div className="row">
                  <button type="button" className="primary" onClick={() => reprocess.mutate()} disabled={reprocess.isPending}>
                    {reprocess.isPending ? t('reprocessing') : t('reprocess')}
                  </button>
                  <span className="muted small">{t('reprocessHint')}</span>
                </div>
                <ActionError error={reprocess.error} />
                {outcome && (
                  <div className={`outcome ${outcome.status === 'parsed' ? 'ok' : outcome.status === 'failed' ? 'bad' : 'warn'}`} role="status" aria-live="polite" data-testid="reprocess-outcome">
                    <strong>{t(`outcome_${outcome.status}`)}</strong>{' '}
                    {t('outcomeCounts', { created: outcome.counts.created, updated: outcome.counts.updated, unchanged: outcome.counts.unchanged, rejected: outcome.counts.rejected })}
                    {outcome.error && <p className="error-text pre">{outcome.error}</p>}
                    {outcome.errors.length > 0 && (
                      <ul>
                        {outcome.errors.map((e, i) => (
                          <li key={i}>
                            {e.ref && <span className="mono">{e.ref}: </span>}
                            {e.message}
                          </li>
                        ))}
                      </ul>
                    )}
                  </div>
                )}
                {!p.acknowledgedAt && (p.status === 'failed' || p.status === 'partial') && (
                  <form className="row" onSubmit={submitAck}>
                    <div className="schema-field grow">
                      <label htmlFor="ack-reason">{t('ackReason')}</label>
                      <input id="ack-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} required />
                    </div>
                    <button type="submit" className="align-end" disabled={!reason.trim() || acknowledge.isPending}>
                      {t('acknowledge')}
                    </button>
                  </form>
                )}
                {acknowledge.data && (
                  <p className="status ok" role="status">
                    {t('acknowledgedDone')}
                  </p>
                )}
                <ActionError error={acknowledge.error} />
              </section>
            )}
            <section aria-labelledby="body-title" className="stack">
              <h2 id="body-title">
                {t('body')} <span className="muted small">{t('bytes', { n: f.number(p.bytes) })}</span>
              </h2>
              {p.bodyPurgedAt ? (
                <Empty>{t('purged', { when: f.dateTime(p.bodyPurgedAt), archive: p.bodyArchive ?? '—' })}</Empty>
              ) : (
                <>
                  {!p.text && <p className="muted">{t('binary')}</p>}
                  <pre className="raw" tabIndex={0} aria-label={t('body')}>
                    {p.text ? escapeControls(p.body) : p.body}
                  </pre>
                </>
              )}
            </section>
          </>
        )}
      </Query>
    </Page>
  );
}

/** Control characters (but newlines and tabs) shown as \xNN, so nothing invisible hides in the text. */
function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function FailedJobs() {
  const t = useT(payloadsMsg);
  const f = useFormat();
  const can = useCan();
  const client = useQueryClient();
  const channelName = useChannelNames();
  const jobs = useQuery({ queryKey: [...KEY, 'jobs'], queryFn: () => ok(api.GET('/v1/jobs/failed', { params: { query: { limit: 200 } } })) });
  const [done, setDone] = useState<string | null>(null);
  const retry = useMutation({
    mutationFn: (id: string) => ok(id === 'all' ? api.POST('/v1/jobs/failed/retry') : api.POST('/v1/jobs/failed/{id}/retry', { params: { path: { id } } })),
    onSuccess: (r) => {
      setDone(t('retried', { n: r.retried }));
      void client.invalidateQueries({ queryKey: [...KEY, 'jobs'] });
    },
  });
  const columns: Column<FailedJob>[] = [
    { key: 'failed', header: t('failedAt'), cell: (j) => f.dateTime(j.failedAt) },
    { key: 'queue', header: t('job'), cell: (j) => `${j.queue} · ${j.name}` },
    { key: 'channel', header: t('channel'), cell: (j) => channelName(j.channelId) },
    { key: 'attempts', header: t('attemptsHead'), numeric: true, cell: (j) => `${j.attemptsMade}/${j.attempts}`, wide: true },
    {
      key: 'error',
      header: t('error'),
      cell: (j) => (
        <>
          <span className="error-text clamp">{j.error}</span>
          {j.payloadId && (
            <div>
              <Link to={`/ops/payloads/${j.payloadId}`}>{t('toPayload')}</Link>
            </div>
          )}
        </>
      ),
    },
    {
      key: 'retry',
      header: t('actions'),
      cell: (j) =>
        can('channels.sync') ? (
          <button type="button" aria-label={t('retryJob', { id: j.id })} onClick={() => retry.mutate(j.id)} disabled={retry.isPending}>
            {t('retry')}
          </button>
        ) : null,
    },
  ];
  return (
    <Query query={jobs}>
      {(data) => (
        <div className="stack">
          {data.note && <p className="muted">{data.note}</p>}
          {done && (
            <p className="notice" role="status">
              {done}
            </p>
          )}
          <ActionError error={retry.error} />
          {data.items.length === 0 ? (
            <Empty>{t('noFailedJobs')}</Empty>
          ) : (
            <>
              {can('channels.sync') && (
                <div className="row">
                  <button type="button" onClick={() => retry.mutate('all')} disabled={retry.isPending}>
                    {t('retryAll', { n: data.items.length })}
                  </button>
                </div>
              )}
              <Table rows={data.items} columns={columns} rowKey={(j) => j.id} />
            </>
          )}
        </div>
      )}
    </Query>
  );
}

function FailedStatusUpdates() {
  const t = useT(payloadsMsg);
  const f = useFormat();
  const can = useCan();
  const client = useQueryClient();
  const updates = useQuery({ queryKey: [...KEY, 'status-updates'], queryFn: () => ok(api.GET('/v1/status-updates', { params: { query: { state: 'failed', limit: 200 } } })) });
  const retry = useMutation({
    mutationFn: (id: string) => ok(api.POST('/v1/status-updates/{id}/retry', { params: { path: { id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: [...KEY, 'status-updates'] }),
  });
  const columns: Column<StatusUpdate>[] = [
    { key: 'when', header: t('updatedAt'), cell: (u) => f.dateTime(u.updatedAt) },
    { key: 'channel', header: t('channel'), cell: (u) => u.channelName },
    { key: 'order', header: t('order'), cell: (u) => u.orderNumber ?? u.externalId },
    { key: 'status', header: t('statusSent'), cell: (u) => `${u.coreStatus}${u.channelStatus ? ` → ${u.channelStatus}` : ''}`, wide: true },
    { key: 'attempts', header: t('attemptsHead'), numeric: true, cell: (u) => u.attempts, wide: true },
    { key: 'error', header: t('error'), cell: (u) => <span className="error-text clamp">{u.lastError ?? '—'}</span> },
    {
      key: 'retry',
      header: t('actions'),
      cell: (u) =>
        can('channels.sync') ? (
          <button type="button" aria-label={t('retryUpdate', { order: u.orderNumber ?? u.externalId })} onClick={() => retry.mutate(u.id)} disabled={retry.isPending && retry.variables === u.id}>
            {t('retry')}
          </button>
        ) : null,
    },
  ];
  return (
    <Query query={updates}>
      {(data) => (
        <div className="stack">
          <ActionError error={retry.error} />
          {data.items.length === 0 ? <Empty>{t('noFailedUpdates')}</Empty> : <Table rows={data.items} columns={columns} rowKey={(u) => u.id} />}
        </div>
      )}
    </Query>
  );
}
