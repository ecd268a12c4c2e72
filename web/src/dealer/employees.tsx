import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ok } from '../api/client';
import { useT } from '../i18n';
import { useCan, useDealerCode, useMe } from '../session';
import { Page } from '../ui/page';
import { ActionError, Empty, Query } from '../ui/states';
import { keys, type Manager } from './api';
import { messages } from './messages';

export function useManagers() {
  const code = useDealerCode();
  return useQuery({ queryKey: keys.managers(code), queryFn: () => ok(api.GET('/v1/dealers/{code}/managers', { params: { path: { code } } })) });
}

/** /dealer/employees: the dealer's managers; the head adds, edits, blocks them and sets their passwords. */
export function EmployeesScreen() {
  const t = useT(messages);
  const can = useCan();
  const managers = useManagers();
  const manage = can('dealer.employees.manage');
  const [adding, setAdding] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  return (
    <Page
      title={t('employeesTitle')}
      actions={
        manage && !adding ? (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            {t('addEmployee')}
          </button>
        ) : undefined
      }
    >
      {note && (
        <p role="status" className="ok-note">
          {note}
        </p>
      )}
      {adding && (
        <AddEmployee
          onDone={(added) => {
            setAdding(false);
            setNote(added ? t('added') : null);
          }}
        />
      )}
      {!manage && <p className="muted">{t('onlyHead')}</p>}
      <Query query={managers}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{t('noEmployees')}</Empty>
          ) : (
            <ul className="dealer-employees">
              {data.items.map((m) => (
                <EmployeeRow key={m.login} manager={m} manage={manage} onNote={setNote} />
              ))}
            </ul>
          )
        }
      </Query>
    </Page>
  );
}

function useInvalidate() {
  const code = useDealerCode();
  const client = useQueryClient();
  return () => Promise.all([client.invalidateQueries({ queryKey: keys.managers(code) }), client.invalidateQueries({ queryKey: keys.profile(code) })]);
}

function AddEmployee({ onDone }: { onDone: (added: boolean) => void }) {
  const t = useT(messages);
  const code = useDealerCode();
  const invalidate = useInvalidate();
  const [login, setLogin] = useState('');
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const add = useMutation({
    mutationFn: async () => {
      await ok(api.POST('/v1/dealers/{code}/managers', { params: { path: { code } }, body: { login: login.trim(), name: name.trim(), phone: phone.trim() || null, email: email.trim() || null } }));
      if (password) await ok(api.PUT('/v1/dealers/{code}/managers/{login}/password', { params: { path: { code, login: login.trim() } }, body: { password } }));
    },
    onSettled: () => invalidate(),
    onSuccess: () => onDone(true),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <form className="form card" onSubmit={submit} aria-label={t('addEmployee')}>
      <label>
        {t('login')}
        <input value={login} onChange={(e) => setLogin(e.target.value)} required autoComplete="off" autoCapitalize="none" />
      </label>
      <label>
        {t('name')}
        <input value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" />
      </label>
      <label>
        {t('phone')}
        <input value={phone} onChange={(e) => setPhone(e.target.value)} type="tel" autoComplete="off" />
      </label>
      <label>
        {t('email')}
        <input value={email} onChange={(e) => setEmail(e.target.value)} type="email" autoComplete="off" />
      </label>
      <label>
        {t('password')} <span className="muted small">({t('passwordHint')})</span>
        <input value={password} onChange={(e) => setPassword(e.target.value)} type="password" minLength={10} autoComplete="new-password" />
      </label>
      <ActionError error={add.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={add.isPending}>
          {t('addEmployee')}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          {t('cancelEdit')}
        </button>
      </div>
    </form>
  );
}

function EmployeeRow({ manager: m, manage, onNote }: { manager: Manager; manage: boolean; onNote: (note: string | null) => void }) {
  const t = useT(messages);
  const me = useMe();
  const code = useDealerCode();
  const invalidate = useInvalidate();
  const [mode, setMode] = useState<'view' | 'edit' | 'password'>('view');
  const [name, setName] = useState(m.name);
  const [phone, setPhone] = useState(m.phone ?? '');
  const [email, setEmail] = useState(m.email ?? '');
  const [password, setPassword] = useState('');
  const patch = useMutation({
    mutationFn: (body: { name?: string; phone?: string | null; email?: string | null; active?: boolean }) =>
      ok(api.PATCH('/v1/dealers/{code}/managers/{login}', { params: { path: { code, login: m.login } }, body })),
    onSuccess: () => {
      setMode('view');
      onNote(t('saved'));
      return invalidate();
    },
  });
  const setPw = useMutation({
    mutationFn: () => ok(api.PUT('/v1/dealers/{code}/managers/{login}/password', { params: { path: { code, login: m.login } }, body: { password } })),
    onSuccess: () => {
      setMode('view');
      setPassword('');
      onNote(t('passwordSet'));
      return invalidate();
    },
  });
  const self = me.login === m.login;
  return (
    <li className="card" aria-label={m.name}>
      <div className="row">
        <strong>{m.name}</strong>
        <span className="muted mono">{m.login}</span>
        {m.isHead && <span className="status ok">{t('head')}</span>}
        {!m.active && <span className="status bad">{t('blocked')}</span>}
      </div>
      <div className="muted small">
        {m.phone && <a href={`tel:${m.phone.replace(/[^\d+]/g, '')}`}>{m.phone}</a>} {m.email && <a href={`mailto:${m.email}`}>{m.email}</a>}
        {m.canSignIn ? '' : ` · ${t('canSignIn')}: ${t('no')}`}
      </div>
      {manage && mode === 'view' && (
        <div className="row">
          <button type="button" aria-label={t('editEmployee', { name: m.name })} onClick={() => setMode('edit')}>
            {t('edit')}
          </button>
          <button type="button" aria-label={t('passwordFor', { name: m.name })} onClick={() => setMode('password')}>
            {t('setPassword')}
          </button>
          {!self && (
            <button
              type="button"
              className={m.active ? 'danger' : undefined}
              disabled={patch.isPending}
              onClick={() => {
                if (m.active && !window.confirm(t('blockConfirm', { name: m.name }))) return;
                patch.mutate({ active: !m.active });
              }}
            >
              {t(m.active ? 'block' : 'unblock')}
            </button>
          )}
        </div>
      )}
      {mode === 'edit' && (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            patch.mutate({ name: name.trim(), phone: phone.trim() || null, email: email.trim() || null });
          }}
        >
          <label>
            {t('name')}
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label>
            {t('phone')}
            <input value={phone} onChange={(e) => setPhone(e.target.value)} type="tel" />
          </label>
          <label>
            {t('email')}
            <input value={email} onChange={(e) => setEmail(e.target.value)} type="email" />
          </label>
          <div className="row">
            <button type="submit" className="primary" disabled={patch.isPending}>
              {t('save')}
            </button>
            <button type="button" onClick={() => setMode('view')}>
              {t('cancelEdit')}
            </button>
          </div>
        </form>
      )}
      {mode === 'password' && (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            setPw.mutate();
          }}
        >
          <label>
            {t('password')} <span className="muted small">({t('passwordHint')})</span>
            <input value={password} onChange={(e) => setPassword(e.target.value)} type="password" minLength={10} required autoComplete="new-password" />
          </label>
          <ActionError error={setPw.error} />
          <div className="row">
            <button type="submit" className="primary" disabled={setPw.isPending}>
              {t('setPassword')}
            </button>
            <button type="button" onClick={() => setMode('view')}>
              {t('cancelEdit')}
            </button>
          </div>
        </form>
      )}
      <ActionError error={patch.error} />
    </li>
  );
}
