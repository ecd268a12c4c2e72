import { useQuery } from '@tanstack/react-query';
import { Fragment, useId, useState, type FormEvent } from 'react';
import { api, ok } from '../../api/client';
import { useFormat } from '../../format';
import { useT } from '../../i18n';
import { Page } from '../../ui/page';
import { Empty, Query } from '../../ui/states';
import { auditMessages, common } from './messages';
import { AUDIT_KINDS, type AuditEvent, type AuditQuery } from './types';

const PAGE = 50;
const VIAS: readonly string[] = ['session', 'token', 'basic', 'cli', 'anonymous'];
const kindKey = (kind: AuditEvent['kind']) => `kind_${kind}` as const;
const KIND_CLASS: Record<AuditEvent['kind'], string> = { request: 'status', change: 'status warn', security: 'status bad' };

interface Filter {
  kind: string;
  actor: string;
  action: string;
  targetId: string;
  from: string;
  to: string;
}
const NO_FILTER: Filter = { kind: '', actor: '', action: '', targetId: '', from: '', to: '' };

/** /ops/audit (audit.read): the log newest first, filtered, paged by the oldest id of the page; a change's before and after side by side. */
export function AuditScreen() {
  const t = useT(auditMessages);
  const c = useT(common);
  const f = useFormat();
  const [draft, setDraft] = useState<Filter>(NO_FILTER);
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  /** beforeId of each page shown so far: the last is the current page's. */
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const [open, setOpen] = useState<string | null>(null);
  const beforeId = pages[pages.length - 1];
  const viaOf = (via: string) => (VIAS.includes(via) ? t(`via_${via as 'session'}`) : via);
  const q: AuditQuery = {
    limit: PAGE,
    ...(filter.kind ? { kind: filter.kind as AuditEvent['kind'] } : {}),
    ...(filter.actor ? { actor: filter.actor } : {}),
    ...(filter.action ? { action: filter.action } : {}),
    ...(filter.targetId ? { targetId: filter.targetId } : {}),
    ...(filter.from ? { from: new Date(filter.from).toISOString() } : {}),
    ...(filter.to ? { to: new Date(filter.to).toISOString() } : {}),
    ...(beforeId ? { beforeId } : {}),
  };
  const query = useQuery({ queryKey: ['audit', q], queryFn: () => ok(api.GET('/v1/audit', { params: { query: q } })), placeholderData: (p) => p });
  const apply = (next: Filter) => {
    setFilter(next);
    setPages([undefined]);
    setOpen(null);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply({ ...draft, actor: draft.actor.trim(), action: draft.action.trim(), targetId: draft.targetId.trim() });
  };
  const field = (key: keyof Filter, label: string, type = 'text', hint?: string) => (
    <label>
      {label}
      <input type={type} value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} title={hint} placeholder={hint} />
    </label>
  );
  return (
    <Page title={t('title')}>
      <form className="admin-filters" role="search" onSubmit={submit}>
        <label>
          {t('kind')}
          <select
            value={draft.kind}
            onChange={(e) => {
              const next = { ...draft, kind: e.target.value };
              setDraft(next);
              apply({ ...filter, kind: next.kind });
            }}
          >
            <option value="">{t('anyKind')}</option>
            {AUDIT_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(kindKey(k))}
              </option>
            ))}
          </select>
        </label>
        {field('actor', t('actor'))}
        {field('action', t('action'), 'text', t('actionHint'))}
        {field('targetId', t('target'))}
        {field('from', t('from'), 'datetime-local')}
        {field('to', t('to'), 'datetime-local')}
        <button type="submit">{c('search')}</button>
        {JSON.stringify(filter) !== JSON.stringify(NO_FILTER) && (
          <button
            type="button"
            className="link"
            onClick={() => {
              setDraft(NO_FILTER);
              apply(NO_FILTER);
            }}
          >
            {c('reset')}
          </button>
        )}
      </form>
      <Query query={query}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{t('none')}</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('colWhen')}</th>
                    <th scope="col">{t('colKind')}</th>
                    <th scope="col">{t('colAction')}</th>
                    <th scope="col">{t('colActor')}</th>
                    <th scope="col" className="hide-narrow">
                      {t('colTarget')}
                    </th>
                    <th scope="col" className="num hide-narrow">
                      {t('colStatus')}
                    </th>
                    <th scope="col">
                      <span className="admin-sr">{t('details')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((ev) => (
                    <Fragment key={ev.id}>
                      <tr>
                        <td>{f.dateTime(ev.at)}</td>
                        <td>
                          <span className={KIND_CLASS[ev.kind]}>{t(kindKey(ev.kind))}</span>
                        </td>
                        <td className="mono">{ev.action}</td>
                        <td>
                          {ev.actor}
                          <div className="muted admin-hint">
                            {t('via', { via: viaOf(ev.via) })}
                            {ev.ip ? ` · ${ev.ip}` : ''}
                          </div>
                        </td>
                        <td className="hide-narrow mono">{ev.target ? `${ev.target.type}:${ev.target.id}` : '—'}</td>
                        <td className="num hide-narrow">{ev.status ?? '—'}</td>
                        <td>
                          <button
                            type="button"
                            className="link"
                            aria-expanded={open === ev.id}
                            aria-controls={`audit-${ev.id}`}
                            aria-label={t('showNamed', { action: ev.action, when: f.dateTime(ev.at) })}
                            onClick={() => setOpen(open === ev.id ? null : ev.id)}
                          >
                            {open === ev.id ? t('hide') : t('show')}
                          </button>
                        </td>
                      </tr>
                      {open === ev.id && (
                        <tr className="admin-detail-row" id={`audit-${ev.id}`}>
                          <td colSpan={7}>
                            <EventDetails event={ev} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Query>
      <nav className="admin-pager" aria-label={t('page', { n: pages.length })}>
        <span className="muted">{t('page', { n: pages.length })}</span>
        <span className="row">
          {pages.length > 2 && (
            <button type="button" onClick={() => setPages([undefined])}>
              {t('first')}
            </button>
          )}
          <button type="button" disabled={pages.length === 1} onClick={() => setPages((p) => p.slice(0, -1))}>
            {c('newer')}
          </button>
          <button
            type="button"
            disabled={!query.data || query.data.items.length < PAGE}
            onClick={() => {
              const last = query.data?.items[query.data.items.length - 1];
              if (last) setPages((p) => [...p, last.id]);
            }}
          >
            {c('older')}
          </button>
        </span>
      </nav>
    </Page>
  );
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

function EventDetails({ event }: { event: AuditEvent }) {
  const t = useT(auditMessages);
  const id = useId();
  const hasBefore = event.before !== null && event.before !== undefined;
  const hasAfter = event.after !== null && event.after !== undefined;
  const hasDetails = event.details !== null && event.details !== undefined;
  if (!hasBefore && !hasAfter && !hasDetails) return <p className="muted">{t('nothing')}</p>;
  return (
    <div className="page">
      {(hasBefore || hasAfter) && (
        <div className={hasBefore && hasAfter ? 'admin-diff' : 'admin-diff single'}>
          {hasBefore && (
            <div>
              <h4 id={`${id}-b`}>{t('before')}</h4>
              <pre className="raw" aria-labelledby={`${id}-b`} tabIndex={0}>
                {pretty(event.before)}
              </pre>
            </div>
          )}
          {hasAfter && (
            <div>
              <h4 id={`${id}-a`}>{t('after')}</h4>
              <pre className="raw" aria-labelledby={`${id}-a`} tabIndex={0}>
                {pretty(event.after)}
              </pre>
            </div>
          )}
        </div>
      )}
      {hasDetails && (
        <div>
          <h4 id={`${id}-d`}>{t('details')}</h4>
          <pre className="raw" aria-labelledby={`${id}-d`} tabIndex={0}>
            {pretty(event.details)}
          </pre>
        </div>
      )}
    </div>
  );
}
