import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import type { paths } from '../api/client';
import { useFormat } from '../format';
import { useT } from '../i18n';
import { ActionError, Empty, Query } from '../ui/states';
import { Table } from '../ui/table';
import { tokenMessages } from './messages';

export type Token = paths['/v1/auth/tokens']['get']['responses'][200]['content']['application/json']['items'][number];
export type NewToken = paths['/v1/auth/tokens']['post']['responses'][201]['content']['application/json'];
export type TokenInput = NonNullable<paths['/v1/auth/tokens']['post']['requestBody']>['content']['application/json'];

/**
 * A user's API tokens: the list, a form to make one (its secret shown once, with a copy button and
 * a warning) and revoking. Used by /account (one's own) and the admin's user page (anyone's).
 */
export function TokensPanel({ queryKey, list, create, revoke, allowNever, own }: {
  queryKey: readonly unknown[];
  list: () => Promise<{ items: Token[] }>;
  create: (body: TokenInput) => Promise<NewToken>;
  revoke: (id: string) => Promise<unknown>;
  /** Admins may make tokens that never expire; one's own expire within a year. */
  allowNever: boolean;
  own: boolean;
}) {
  const t = useT(tokenMessages);
  const f = useFormat();
  const client = useQueryClient();
  const query = useQuery({ queryKey, queryFn: list });
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [never, setNever] = useState(false);
  const [fresh, setFresh] = useState<NewToken | null>(null);
  const ids = useId();
  const make = useMutation({
    mutationFn: () => create({ name: name.trim(), ...(never ? { expiresAt: null } : expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}) }),
    onSuccess: (made) => {
      setFresh(made);
      setName('');
      setExpires('');
      setNever(false);
      void client.invalidateQueries({ queryKey });
    },
  });
  const drop = useMutation({
    mutationFn: (id: string) => revoke(id),
    onSuccess: () => void client.invalidateQueries({ queryKey }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) make.mutate();
  };
  const now = Date.now();
  const stateOf = (token: Token) =>
    token.revokedAt ? <span className="status bad">{t('revoked')}</span> : token.expiresAt && new Date(token.expiresAt).getTime() < now ? <span className="status warn">{t('expired')}</span> : <span className="status ok">{t('active')}</span>;

  return (
    <section className="card admin-section" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>{t('title')}</h2>
      {fresh && <FreshToken token={fresh} onDone={() => setFresh(null)} />}
      <Query query={query}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{t('none')}</Empty>
          ) : (
            <Table
              rows={data.items}
              rowKey={(row) => row.id}
              rowClass={(row) => (row.revokedAt ? 'admin-dim' : undefined)}
              columns={[
                { key: 'name', header: t('colName'), cell: (row) => row.name },
                { key: 'prefix', header: t('colPrefix'), cell: (row) => <span className="mono">{row.prefix}…</span>, wide: true },
                { key: 'state', header: t('colState'), cell: stateOf },
                { key: 'expires', header: t('colExpires'), cell: (row) => (row.expiresAt ? f.dateTime(row.expiresAt) : t('neverExpires')) },
                { key: 'used', header: t('colUsed'), cell: (row) => (row.lastUsedAt ? `${f.dateTime(row.lastUsedAt)}${row.lastUsedIp ? ` · ${row.lastUsedIp}` : ''}` : t('neverUsed')), wide: true },
                { key: 'created', header: t('colCreated'), cell: (row) => `${f.dateTime(row.createdAt)} · ${row.createdBy}`, wide: true },
                {
                  key: 'revoke',
                  header: '',
                  cell: (row) =>
                    row.revokedAt ? null : (
                      <button
                        type="button"
                        className="danger"
                        aria-label={t('revokeNamed', { name: row.name })}
                        disabled={drop.isPending}
                        onClick={() => window.confirm(t('confirmRevoke', { name: row.name })) && drop.mutate(row.id)}
                      >
                        {t('revoke')}
                      </button>
                    ),
                },
              ]}
            />
          )
        }
      </Query>
      <ActionError error={drop.error} />
      <form className="form admin-inline-form" onSubmit={submit}>
        <div className="row">
          <label className="admin-grow">
            {t('name')}
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder={t('namePlaceholder')} required maxLength={200} />
          </label>
          <label>
            {t('expires')}
            <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} disabled={never} aria-describedby={`${ids}-hint`} />
          </label>
          {allowNever && (
            <label className="inline">
              <input type="checkbox" checked={never} onChange={(e) => setNever(e.target.checked)} /> {t('never')}
            </label>
          )}
        </div>
        <p className="muted admin-hint" id={`${ids}-hint`}>
          {own ? t('expiresHintOwn') : t('expiresHint')}
        </p>
        <div className="row">
          <button type="submit" className="primary" disabled={make.isPending || !name.trim()}>
            {make.isPending ? t('creating') : t('create')}
          </button>
        </div>
        <ActionError error={make.error} />
      </form>
    </section>
  );
}

function FreshToken({ token, onDone }: { token: NewToken; onDone: () => void }) {
  const t = useT(tokenMessages);
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copy, setCopy] = useState<'idle' | 'done' | 'failed'>('idle');
  const doCopy = async () => {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopy('done');
    } catch {
      input.current?.select();
      setCopy('failed');
    }
  };
  return (
    <div className="admin-fresh-token" role="alert" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>{t('newToken', { name: token.details.name })}</h3>
      <p className="admin-warning">{t('onceWarning')}</p>
      <div className="row">
        <label className="admin-grow">
          {t('secret')}
          <input ref={input} className="mono" readOnly value={token.token} onFocus={(e) => e.target.select()} data-testid="new-token" />
        </label>
        <button type="button" className="primary admin-align-end" onClick={() => void doCopy()}>
          {t('copy')}
        </button>
      </div>
      <p aria-live="polite" className="muted">
        {copy === 'done' ? t('copied') : copy === 'failed' ? t('copyFailed') : ''}
      </p>
      <button type="button" onClick={onDone}>
        {t('done')}
      </button>
    </div>
  );
}
