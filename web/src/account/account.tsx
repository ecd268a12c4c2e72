import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api, ok, setCsrfToken } from '../api/client';
import { useFormat } from '../format';
import { useT } from '../i18n';
import { ME_KEY, useMe } from '../session';
import { Page } from '../ui/page';
import { ActionError } from '../ui/states';
import { accountMessages, roleMessages } from './messages';
import { TokensPanel } from './tokens';
import '../ops/admin/admin.css';

/** /account: who I am, my password, my API tokens, signing out everywhere. Every signed-in user. */
export function AccountScreen() {
  const t = useT(accountMessages);
  const role = useT(roleMessages);
  const f = useFormat();
  const me = useMe();
  return (
    <Page title={t('title')}>
      <section className="card admin-section" aria-labelledby="account-who">
        <h2 id="account-who">{t('who')}</h2>
        <dl className="admin-facts">
          <dt>{t('login')}</dt>
          <dd className="mono">{me.login}</dd>
          <dt>{t('name')}</dt>
          <dd>{me.name ?? t('none')}</dd>
          <dt>{t('roles')}</dt>
          <dd>{me.roles.map((r) => role(r)).join(', ')}</dd>
          {me.dealer && (
            <>
              <dt>{t('dealer')}</dt>
              <dd>
                {me.dealer.name} <span className="mono muted">{me.dealer.code}</span>
                {me.dealer.head ? ` · ${t('head')}` : ''}
              </dd>
            </>
          )}
          {me.sessionExpiresAt && (
            <>
              <dt>{t('sessionUntil')}</dt>
              <dd>{f.dateTime(me.sessionExpiresAt)}</dd>
            </>
          )}
        </dl>
      </section>
      <ChangePassword />
      <TokensPanel
        queryKey={['account', 'tokens']}
        list={() => ok(api.GET('/v1/auth/tokens'))}
        create={(body) => ok(api.POST('/v1/auth/tokens', { body }))}
        revoke={(id) => ok(api.DELETE('/v1/auth/tokens/{id}', { params: { path: { id } } }))}
        allowNever={false}
        own
      />
      <SignOutEverywhere />
    </Page>
  );
}

function ChangePassword() {
  const t = useT(accountMessages);
  const me = useMe();
  const id = useId();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: () => ok(api.POST('/v1/auth/password', { body: { currentPassword: current, newPassword: next } })),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setRepeat('');
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    change.reset();
    const found = next.length < 10 ? t('tooShort') : next.trim().toLowerCase() === me.login.toLowerCase() ? t('sameAsLogin') : next !== repeat ? t('mismatch') : null;
    setProblem(found);
    if (!found) change.mutate();
  };
  return (
    <section className="card admin-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('password')}</h2>
      <form className="form" onSubmit={submit} noValidate>
        <p className="muted admin-hint" id={`${id}-rules`}>
          {t('rules')}
        </p>
        <label>
          {t('current')}
          <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
        </label>
        <label>
          {t('newPassword')}
          <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required minLength={10} aria-describedby={`${id}-rules`} />
        </label>
        <label>
          {t('repeat')}
          <input type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} required />
        </label>
        <div className="row">
          <button type="submit" className="primary" disabled={change.isPending || !current || !next}>
            {t('change')}
          </button>
        </div>
        <ActionError error={problem} />
        <ActionError error={change.error} />
        {change.isSuccess && (
          <p className="status ok" role="status">
            {t('changed')}
          </p>
        )}
      </form>
    </section>
  );
}

function SignOutEverywhere() {
  const t = useT(accountMessages);
  const client = useQueryClient();
  const out = useMutation({
    mutationFn: () => ok(api.POST('/v1/auth/logout', { body: { everywhere: true } })),
    onSuccess: () => {
      setCsrfToken(null);
      client.clear();
      client.setQueryData(ME_KEY, null);
    },
  });
  return (
    <section className="card admin-section" aria-labelledby="account-out">
      <h2 id="account-out">{t('signOutAll')}</h2>
      <p className="muted">{t('signOutAllText')}</p>
      <div className="row">
        <button type="button" className="danger" disabled={out.isPending} onClick={() => window.confirm(t('confirmSignOutAll')) && out.mutate()}>
          {t('signOutAll')}
        </button>
      </div>
      <ActionError error={out.error} />
    </section>
  );
}
