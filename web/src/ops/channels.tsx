import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError, ok, type paths } from '../api/client';
import { useFormat } from '../format';
import { useT } from '../i18n';
import { useCan } from '../session';
import { Page } from '../ui/page';
import { ActionError, Empty, ErrorState, Loading, Query } from '../ui/states';
import { Table, type Column } from '../ui/table';
import { nextCronRun } from './cron';
import { channelsMsg } from './messages';
import { pruneEmpty, SchemaForm, type JsonSchema } from './schema-form';

type ChannelRow = paths['/v1/channels']['get']['responses'][200]['content']['application/json']['items'][number];
type Channel = paths['/v1/channels/{id}']['get']['responses'][200]['content']['application/json'];
type Connector = paths['/v1/connectors']['get']['responses'][200]['content']['application/json']['items'][number];
type SyncStatus = paths['/v1/channels/{id}/sync-status']['get']['responses'][200]['content']['application/json'];
type SyncRun = SyncStatus['recentRuns'][number];

export const CHANNELS_KEY = ['ops', 'channels'] as const;
const REDACTED = '********';

export function useChannels() {
  return useQuery({ queryKey: CHANNELS_KEY, queryFn: () => ok(api.GET('/v1/channels')) });
}

function useConnectors() {
  return useQuery({ queryKey: ['ops', 'connectors'], queryFn: () => ok(api.GET('/v1/connectors')), staleTime: 5 * 60_000 });
}

const RUN_CLASS: Record<string, string> = { succeeded: 'ok', partial: 'warn', failed: 'bad', running: '' };

function RunStatus({ status }: { status: string | null | undefined }) {
  const t = useT(channelsMsg);
  if (!status) return <span className="status">{t('neverSynced')}</span>;
  const key = (`run_${status}` in channelsMsg.en ? `run_${status}` : 'run_unknown') as 'run_unknown';
  return <span className={`status ${RUN_CLASS[status] ?? ''}`}>{t(key, { status })}</span>;
}

/** /ops/channels: every channel with its health, last and next sync, last error; run now, enable/disable. */
export function ChannelsScreen() {
  const t = useT(channelsMsg);
  const f = useFormat();
  const can = useCan();
  const client = useQueryClient();
  const channels = useChannels();
  const [notice, setNotice] = useState<string | null>(null);
  const sync = useMutation({
    mutationFn: (row: ChannelRow) => ok(api.POST('/v1/channels/{id}/sync', { params: { path: { id: row.id } } })),
    onSuccess: (receipt, row) => {
      setNotice(receipt.queued ? t('syncQueued', { name: row.name }) : t('syncAlready', { name: row.name }));
      void client.invalidateQueries({ queryKey: CHANNELS_KEY });
    },
  });
  const toggle = useMutation({
    mutationFn: (row: ChannelRow) => ok(api.PATCH('/v1/channels/{id}', { params: { path: { id: row.id } }, body: { enabled: !row.enabled } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: CHANNELS_KEY }),
  });
  const columns: Column<ChannelRow>[] = [
    {
      key: 'name',
      header: t('name'),
      cell: (c) => (
        <>
          <Link to={`/ops/channels/${c.id}`}>{c.name}</Link>
          <div className="muted small">
            {c.connectorType} · {c.kind}
          </div>
        </>
      ),
    },
    {
      key: 'status',
      header: t('status'),
      cell: (c) => (
        <div className="stack">
          <span className={`status ${c.enabled ? 'ok' : ''}`}>{c.enabled ? t('enabled') : t('disabled')}</span>
          <RunStatus status={c.lastSync?.status} />
        </div>
      ),
    },
    {
      key: 'last',
      header: t('lastSync'),
      cell: (c) =>
        c.lastSync ? (
          <>
            <time dateTime={c.lastSync.finishedAt ?? c.lastSync.startedAt} title={f.dateTime(c.lastSync.finishedAt ?? c.lastSync.startedAt)}>
              {f.relative(c.lastSync.finishedAt ?? c.lastSync.startedAt)}
            </time>
            <div className="muted small">
              {t('counts', { created: c.lastSync.created, updated: c.lastSync.updated, failed: c.lastSync.failed })}
            </div>
          </>
        ) : (
          '—'
        ),
    },
    {
      key: 'next',
      header: t('nextSync'),
      wide: true,
      cell: (c) => {
        if (!c.enabled) return <span className="muted">{t('off')}</span>;
        const next = nextCronRun(c.syncSchedule);
        return (
          <>
            {next ? f.relative(next.toISOString()) : '—'}
            <div className="muted small mono">{c.syncSchedule}</div>
          </>
        );
      },
    },
    {
      key: 'error',
      header: t('lastError'),
      cell: (c) => {
        const message = c.lastSync?.error ?? c.lastSync?.firstError?.message;
        return message ? <span className="error-text clamp">{message}</span> : <span className="muted">—</span>;
      },
    },
    {
      key: 'actions',
      header: t('actions'),
      cell: (c) => (
        <div className="row nowrap">
          {can('channels.sync') && (
            <button type="button" aria-label={t('runNowOf', { name: c.name })} disabled={sync.isPending && sync.variables?.id === c.id} onClick={() => sync.mutate(c)}>
              {t('runNow')}
            </button>
          )}
          {can('channels.write') && (
            <button type="button" aria-label={t(c.enabled ? 'disableOf' : 'enableOf', { name: c.name })} disabled={toggle.isPending && toggle.variables?.id === c.id} onClick={() => toggle.mutate(c)}>
              {c.enabled ? t('disable') : t('enable')}
            </button>
          )}
          <Link className="button" to={`/ops/channels/${c.id}`} aria-label={t('openOf', { name: c.name })}>
            {can('channels.write') ? t('edit') : t('open')}
          </Link>
        </div>
      ),
    },
  ];
  return (
    <Page
      title={t('channels')}
      actions={
        can('channels.write') && (
          <Link className="button primary" to="/ops/channels/new">
            {t('addChannel')}
          </Link>
        )
      }
    >
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <ActionError error={sync.error ?? toggle.error} />
      <Query query={channels} empty={(d) => d.items.length === 0}>
        {(data) => <Table rows={data.items} columns={columns} rowKey={(c) => c.id} />}
      </Query>
    </Page>
  );
}

interface Draft {
  name: string;
  connectorType: string;
  kind: string;
  syncSchedule: string;
  enabled: boolean;
  labels: string;
  config: Record<string, unknown>;
}

function draftOf(channel: Channel | undefined): Draft {
  if (!channel) return { name: '', connectorType: '', kind: '', syncSchedule: '', enabled: true, labels: '', config: {} };
  const config = Object.fromEntries(Object.entries(channel.config).filter(([, v]) => v !== REDACTED));
  return {
    name: channel.name,
    connectorType: channel.connectorType,
    kind: channel.kind,
    syncSchedule: channel.syncSchedule,
    enabled: channel.enabled,
    labels: channel.labels.join(', '),
    config,
  };
}

/** /ops/channels/new */
export function NewChannelScreen() {
  const t = useT(channelsMsg);
  const connectors = useConnectors();
  return (
    <Page title={t('newChannel')}>
      <Query query={connectors} empty={(d) => d.items.length === 0}>
        {(data) => <ChannelForm connectors={data.items} />}
      </Query>
    </Page>
  );
}

/** /ops/channels/:id: the channel's form, its connection check and its sync status and history. */
export function ChannelScreen() {
  const t = useT(channelsMsg);
  const { id = '' } = useParams();
  const channel = useQuery({ queryKey: [...CHANNELS_KEY, id], queryFn: () => ok(api.GET('/v1/channels/{id}', { params: { path: { id } } })) });
  const connectors = useConnectors();
  const [justSaved, setJustSaved] = useState(false);
  const title = channel.data?.name ?? t('channel');
  return (
    <Page title={title} actions={<Link to="/ops/channels">{t('backToChannels')}</Link>}>
      {channel.isPending || connectors.isPending ? (
        <Loading />
      ) : channel.isError ? (
        <ErrorState error={channel.error} retry={() => void channel.refetch()} />
      ) : connectors.isError ? (
        <ErrorState error={connectors.error} retry={() => void connectors.refetch()} />
      ) : (
        <>
          <SyncPanel channel={channel.data} />
          <CheckConnection channel={channel.data} />
          <h2>{t('settings')}</h2>
          <ChannelForm key={channel.data.updatedAt} channel={channel.data} connectors={connectors.data.items} initiallySaved={justSaved} onSaved={() => setJustSaved(true)} />
        </>
      )}
    </Page>
  );
}

function ChannelForm({ channel, connectors, initiallySaved = false, onSaved }: { channel?: Channel; connectors: Connector[]; initiallySaved?: boolean; onSaved?: () => void }) {
  const t = useT(channelsMsg);
  const can = useCan();
  const navigate = useNavigate();
  const client = useQueryClient();
  const readOnly = !can('channels.write');
  const [draft, setDraft] = useState<Draft>(() => draftOf(channel));
  // The form is made anew from the saved channel (secrets emptied again): "Saved" survives that.
  const [saved, setSaved] = useState(initiallySaved);
  const connector = connectors.find((c) => c.type === draft.connectorType);
  const secretsSet = useMemo(() => new Set(Object.entries(channel?.config ?? {}).filter(([, v]) => v === REDACTED).map(([k]) => k)), [channel]);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setSaved(false);
    setDraft((d) => ({ ...d, [key]: value }));
  };
  const save = useMutation({
    mutationFn: async () => {
      const labels = draft.labels.split(',').map((l) => l.trim()).filter(Boolean);
      const config = pruneEmpty(draft.config) as Record<string, unknown>;
      const common = {
        name: draft.name.trim(),
        ...(draft.kind.trim() && { kind: draft.kind.trim() }),
        ...(draft.syncSchedule.trim() && { syncSchedule: draft.syncSchedule.trim() }),
        enabled: draft.enabled,
        labels,
        config,
      };
      if (channel) return ok(api.PATCH('/v1/channels/{id}', { params: { path: { id: channel.id } }, body: common }));
      return ok(api.POST('/v1/channels', { body: { ...common, connectorType: draft.connectorType } }));
    },
    onSuccess: (result) => {
      setSaved(true);
      onSaved?.();
      void client.invalidateQueries({ queryKey: CHANNELS_KEY });
      if (!channel) void navigate(`/ops/channels/${result.id}`);
    },
  });
  const apiError = save.error instanceof ApiError && save.error.field ? { field: save.error.field, message: save.error.message } : null;
  const errorOf = (field: string) =>
    apiError?.field === field ? (
      <small className="field-error" role="alert" id={`err-${field}`}>
        {apiError.message}
      </small>
    ) : null;
  const invalid = (field: string, hint?: string) => {
    const describedBy = [hint, apiError?.field === field ? `err-${field}` : undefined].filter(Boolean).join(' ');
    return { ...(apiError?.field === field && { 'aria-invalid': true }), ...(describedBy && { 'aria-describedby': describedBy }) };
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form className="form card" onSubmit={submit} noValidate aria-label={channel ? t('settings') : t('newChannel')}>
      <fieldset disabled={readOnly} className="plain">
        <div className="form">
          <TopField id="ch-name" label={t('name')} error={errorOf('name')}>
            <input id="ch-name" value={draft.name} onChange={(e) => set('name', e.target.value)} required maxLength={200} {...invalid('name')} />
          </TopField>
          <TopField id="ch-connector" label={t('connector')} error={errorOf('connectorType')}>
            <select id="ch-connector" value={draft.connectorType} disabled={Boolean(channel)} onChange={(e) => set('connectorType', e.target.value)} required {...invalid('connectorType')}>
              <option value="">{t('chooseConnector')}</option>
              {connectors.map((c) => (
                <option key={c.type} value={c.type}>
                  {c.title} ({c.type})
                </option>
              ))}
            </select>
          </TopField>
          <TopField id="ch-kind" label={t('kind')} hint={t('kindHint')} error={errorOf('kind')}>
            <input id="ch-kind" value={draft.kind} placeholder={connector?.channelKind} onChange={(e) => set('kind', e.target.value)} {...invalid('kind', 'ch-kind-hint')} />
          </TopField>
          <TopField id="ch-schedule" label={t('schedule')} hint={t('scheduleHint')} error={errorOf('syncSchedule')}>
            <input id="ch-schedule" className="mono" value={draft.syncSchedule} placeholder="*/5 * * * *" onChange={(e) => set('syncSchedule', e.target.value)} {...invalid('syncSchedule', 'ch-schedule-hint')} />
          </TopField>
          <TopField id="ch-labels" label={t('labels')} hint={t('labelsHint')} error={errorOf('labels')}>
            <input id="ch-labels" value={draft.labels} placeholder="franchise, b2b" onChange={(e) => set('labels', e.target.value)} {...invalid('labels', 'ch-labels-hint')} />
          </TopField>
          <label className="inline">
            <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
            {t('enabledField')}
          </label>
          {connector ? (
            <fieldset>
              <legend>{t('connectorSettings', { title: connector.title })}</legend>
              <div className="form">
                <SchemaForm
                  schema={connector.config as JsonSchema}
                  value={draft.config}
                  onChange={(config) => set('config', config)}
                  secretFields={connector.secretFields}
                  secretsSet={secretsSet}
                  error={apiError}
                  path="config"
                  disabled={readOnly}
                />
              </div>
            </fieldset>
          ) : channel ? (
            <p className="state-error inline">{t('unknownConnector', { type: draft.connectorType })}</p>
          ) : null}
        </div>
      </fieldset>
      {!readOnly && (
        <div className="row">
          <button type="submit" className="primary" disabled={save.isPending || !draft.connectorType}>
            {save.isPending ? t('saving') : channel ? t('save') : t('create')}
          </button>
          {saved && (
            <span className="status ok" role="status">
              {t('saved')}
            </span>
          )}
        </div>
      )}
      <ActionError error={save.error} />
    </form>
  );
}

function CheckConnection({ channel }: { channel: Channel }) {
  const t = useT(channelsMsg);
  const can = useCan();
  const check = useMutation({ mutationFn: () => ok(api.POST('/v1/channels/{id}/check', { params: { path: { id: channel.id } } })) });
  if (!can('channels.write')) return null;
  return (
    <div className="card row">
      <button type="button" className="align-start" onClick={() => check.mutate()} disabled={check.isPending}>
        {check.isPending ? t('checking') : t('checkConnection')}
      </button>
      {check.data && (
        <p role="status" className={`outcome grow ${check.data.ok ? 'ok' : 'bad'}`}>
          <strong>{check.data.ok ? t('checkOk') : t('checkFailed')}:</strong> <span className="pre">{check.data.message}</span>
        </p>
      )}
      <ActionError error={check.error} />
    </div>
  );
}

function SyncPanel({ channel }: { channel: Channel }) {
  const t = useT(channelsMsg);
  const f = useFormat();
  const can = useCan();
  const client = useQueryClient();
  const key = [...CHANNELS_KEY, channel.id, 'sync-status'];
  const status = useQuery({
    queryKey: key,
    queryFn: () => ok(api.GET('/v1/channels/{id}/sync-status', { params: { path: { id: channel.id } } })),
    refetchInterval: (q) => (q.state.data?.running ? 3000 : false),
  });
  const sync = useMutation({
    mutationFn: () => ok(api.POST('/v1/channels/{id}/sync', { params: { path: { id: channel.id } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: key });
      void client.invalidateQueries({ queryKey: CHANNELS_KEY, exact: true });
    },
  });
  const next = channel.enabled ? nextCronRun(channel.syncSchedule) : null;
  const runColumns: Column<SyncRun>[] = [
    { key: 'started', header: t('started'), cell: (r) => f.dateTime(r.startedAt) },
    { key: 'trigger', header: t('trigger'), cell: (r) => r.trigger, wide: true },
    { key: 'status', header: t('status'), cell: (r) => <RunStatus status={r.status} /> },
    { key: 'counts', header: t('result'), cell: (r) => t('countsLong', { received: r.counts.received, created: r.counts.created, updated: r.counts.updated, failed: r.counts.failed }) },
    { key: 'error', header: t('lastError'), cell: (r) => (r.error ?? r.firstError?.message ? <span className="error-text clamp" title={r.error ?? r.firstError?.message ?? ''}>{r.error ?? r.firstError?.message}</span> : '—') },
  ];
  return (
    <section aria-labelledby="sync-title" className="stack">
      <div className="row spread">
        <h2 id="sync-title">{t('syncTitle')}</h2>
        {can('channels.sync') && (
          <button type="button" onClick={() => sync.mutate()} disabled={sync.isPending}>
            {t('runNow')}
          </button>
        )}
      </div>
      <ActionError error={sync.error} />
      {sync.data && (
        <p className="notice" role="status">
          {sync.data.queued ? t('syncQueued', { name: channel.name }) : t('syncAlready', { name: channel.name })}
        </p>
      )}
      <Query query={status}>
        {(s) => (
          <>
            <dl className="facts">
              <div>
                <dt>{t('status')}</dt>
                <dd>
                  <span className={`status ${s.enabled ? 'ok' : ''}`}>{s.enabled ? t('enabled') : t('disabled')}</span>{' '}
                  {s.running ? <span className="status warn">{t('running')}</span> : <RunStatus status={s.lastRun?.status} />}
                </dd>
              </div>
              <div>
                <dt>{t('lastSuccess')}</dt>
                <dd>{f.dateTime(s.lastSuccessAt)}</dd>
              </div>
              <div>
                <dt>{t('nextSync')}</dt>
                <dd>
                  {next ? f.dateTime(next.toISOString()) : channel.enabled ? '—' : t('off')} <span className="muted mono">{s.syncSchedule}</span>
                </dd>
              </div>
              <div>
                <dt>{t('lastError')}</dt>
                <dd>{s.lastError ? <span className="error-text clamp" title={s.lastError.message ?? ''}>{`${f.dateTime(s.lastError.at)}: ${s.lastError.message ?? s.lastError.code ?? ''}`}</span> : '—'}</dd>
              </div>
            </dl>
            <h3>{t('history')}</h3>
            {s.recentRuns.length === 0 ? <Empty>{t('noRuns')}</Empty> : <Table rows={s.recentRuns} columns={runColumns} rowKey={(r) => r.id} />}
          </>
        )}
      </Query>
    </section>
  );
}

/** A label, its control, its hint (described-by `${id}-hint`) and the API's error for it. */
function TopField({ id, label, hint, error, children }: { id: string; label: string; hint?: string; error: ReactNode; children: ReactNode }) {
  return (
    <div className="schema-field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <small id={`${id}-hint`} className="muted hint">
          {hint}
        </small>
      )}
      {error}
    </div>
  );
}
