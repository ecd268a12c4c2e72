import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { roleMessages } from '../../account/messages';
import { TokensPanel } from '../../account/tokens';
import { api, ApiError, ok } from '../../api/client';
import { useFormat } from '../../format';
import { useT } from '../../i18n';
import { Page } from '../../ui/page';
import { ActionError, Empty, ErrorState, Loading, Query } from '../../ui/states';
import { Table } from '../../ui/table';
import { common, userMessages } from './messages';
import { Saved } from './shared';
import { ALL_ROLES, DEALER_ROLES, OTHER_ROLES, STAFF_ROLES, type Role, type User, type UserInput } from './types';

const isDealerRole = (role: Role) => (DEALER_ROLES as readonly Role[]).includes(role);

/** Why a set of roles cannot be saved, or null. */
function rolesProblem(roles: Role[], dealer: string | null, t: (k: 'pickRole' | 'mixRoles' | 'needDealer') => string): string | null {
  if (roles.length === 0) return t('pickRole');
  const dealerRoles = roles.filter(isDealerRole);
  if (dealerRoles.length > 0 && (dealerRoles.length > 1 || roles.length > 1)) return t('mixRoles');
  if (dealerRoles.length === 1 && dealer !== null && !dealer.trim()) return t('needDealer');
  return null;
}

function RolePicker({ value, onChange, dealerOnly }: { value: Role[]; onChange: (roles: Role[]) => void; dealerOnly?: boolean }) {
  const t = useT(userMessages);
  const role = useT(roleMessages);
  const box = (r: Role) => (
    <label className="inline" key={r}>
      <input type="checkbox" checked={value.includes(r)} onChange={(e) => onChange(e.target.checked ? [...value, r] : value.filter((x) => x !== r))} /> {role(r)}
    </label>
  );
  return (
    <>
      {!dealerOnly && (
        <fieldset className="admin-checks">
          <legend>{t('staffRoles')}</legend>
          {STAFF_ROLES.map(box)}
        </fieldset>
      )}
      {!dealerOnly && (
        <fieldset className="admin-checks">
          <legend>{t('machineRoles')}</legend>
          {OTHER_ROLES.map(box)}
        </fieldset>
      )}
      <fieldset className="admin-checks">
        <legend>{t('dealerRoles')}</legend>
        {DEALER_ROLES.map(box)}
      </fieldset>
    </>
  );
}

export function RoleList({ roles }: { roles: Role[] }) {
  const role = useT(roleMessages);
  return (
    <span className="admin-flags">
      {roles.map((r) => (
        <span key={r} className={r === 'admin' ? 'status warn' : 'status'}>
          {role(r)}
        </span>
      ))}
    </span>
  );
}

/** /ops/users (users.manage): users with their roles and state; making one. */
export function UsersScreen() {
  const t = useT(userMessages);
  const c = useT(common);
  const role = useT(roleMessages);
  const f = useFormat();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const roleFilter = (params.get('role') ?? '') as Role | '';
  const state = params.get('disabled') ?? '';
  const dealer = params.get('dealer') ?? '';
  const [dealerText, setDealerText] = useState(dealer);
  const [creating, setCreating] = useState(false);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const query = useQuery({
    queryKey: ['users', { roleFilter, state, dealer }],
    queryFn: () =>
      ok(api.GET('/v1/users', { params: { query: { ...(roleFilter ? { role: roleFilter } : {}), ...(state ? { disabled: state === 'true' } : {}), ...(dealer ? { dealer } : {}) } } })),
    placeholderData: (p) => p,
  });
  return (
    <Page
      title={t('title')}
      actions={
        <button type="button" className="primary" aria-expanded={creating} onClick={() => setCreating((v) => !v)}>
          {t('create')}
        </button>
      }
    >
      {creating && <CreateUser onClose={() => setCreating(false)} />}
      <form
        className="admin-filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          set('dealer', dealerText.trim());
        }}
      >
        <label>
          {t('role')}
          <select value={roleFilter} onChange={(e) => set('role', e.target.value)}>
            <option value="">{t('anyRole')}</option>
            {ALL_ROLES.map((r) => (
              <option key={r} value={r}>
                {role(r)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('state')}
          <select value={state} onChange={(e) => set('disabled', e.target.value)}>
            <option value="">{c('any')}</option>
            <option value="false">{t('enabledOnly')}</option>
            <option value="true">{t('disabledOnly')}</option>
          </select>
        </label>
        <label>
          {t('dealerFilter')}
          <input value={dealerText} onChange={(e) => setDealerText(e.target.value)} />
        </label>
        <button type="submit">{c('search')}</button>
      </form>
      <Query query={query}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{t('none')}</Empty>
          ) : (
            <Table
              rows={data.items}
              rowKey={(u) => u.login}
              onOpen={(u) => void navigate(`/ops/users/${encodeURIComponent(u.login)}`)}
              rowClass={(u) => (u.disabled ? 'admin-dim' : undefined)}
              columns={[
                {
                  key: 'login',
                  header: t('colLogin'),
                  cell: (u) => (
                    <Link className="mono" to={`/ops/users/${encodeURIComponent(u.login)}`} aria-label={t('open', { login: u.login })} onClick={(e) => e.stopPropagation()}>
                      {u.login}
                    </Link>
                  ),
                },
                { key: 'name', header: t('colName'), cell: (u) => u.name ?? '—', wide: true },
                { key: 'roles', header: t('colRoles'), cell: (u) => <RoleList roles={u.roles} /> },
                { key: 'dealer', header: t('colDealer'), cell: (u) => (u.dealer ? `${u.dealer.name} (${u.dealer.code})` : '—'), wide: true },
                {
                  key: 'state',
                  header: t('colState'),
                  cell: (u) => (
                    <span className="admin-flags">
                      <span className={u.disabled ? 'status bad' : 'status ok'}>{u.disabled ? t('disabled') : t('enabled')}</span>
                      {!u.hasPassword && <span className="status">{t('noPassword')}</span>}
                    </span>
                  ),
                },
                { key: 'created', header: t('colCreated'), cell: (u) => f.date(u.createdAt), wide: true },
              ]}
            />
          )
        }
      </Query>
    </Page>
  );
}

function passwordProblem(password: string, login: string, t: (k: 'tooShort' | 'sameAsLogin') => string): string | null {
  if (password.length < 10) return t('tooShort');
  if (password.trim().toLowerCase() === login.trim().toLowerCase()) return t('sameAsLogin');
  return null;
}

function CreateUser({ onClose }: { onClose: () => void }) {
  const t = useT(userMessages);
  const c = useT(common);
  const id = useId();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [s, setS] = useState({ login: '', name: '', dealer: '', password: '' });
  const [roles, setRoles] = useState<Role[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const dealerUser = roles.some(isDealerRole);
  const create = useMutation({
    mutationFn: (body: UserInput) => ok(api.POST('/v1/users', { body })),
    onSuccess: (user) => {
      void client.invalidateQueries({ queryKey: ['users'] });
      onClose();
      void navigate(`/ops/users/${encodeURIComponent(user.login)}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = rolesProblem(roles, dealerUser ? s.dealer : null, t) ?? (s.password ? passwordProblem(s.password, s.login, t) : null);
    setProblem(found);
    if (found) return;
    create.mutate({
      login: s.login.trim(),
      roles,
      ...(s.name.trim() ? { name: s.name.trim() } : {}),
      ...(dealerUser ? { dealer: s.dealer.trim() } : {}),
      ...(s.password ? { password: s.password } : {}),
    });
  };
  return (
    <section className="card admin-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('createTitle')}</h2>
      <form className="form admin-form" onSubmit={submit} noValidate>
        <div className="admin-grid">
          <div className="admin-field">
            <label>
              {t('login')}
              <input value={s.login} onChange={(e) => setS({ ...s, login: e.target.value })} required pattern="[^\s:]+" autoComplete="off" aria-describedby={`${id}-lh`} />
            </label>
            <span className="muted admin-hint" id={`${id}-lh`}>
              {t('loginHint')}
            </span>
          </div>
          <label>
            {t('name')}
            <input value={s.name} onChange={(e) => setS({ ...s, name: e.target.value })} />
          </label>
        </div>
        <RolePicker value={roles} onChange={setRoles} />
        <div className="admin-grid">
          {dealerUser && (
            <label>
              {t('dealer')}
              <input value={s.dealer} onChange={(e) => setS({ ...s, dealer: e.target.value })} required />
            </label>
          )}
          <div className="admin-field">
            <label>
              {t('password')}
              <input type="password" autoComplete="new-password" value={s.password} onChange={(e) => setS({ ...s, password: e.target.value })} aria-describedby={`${id}-ph`} />
            </label>
            <span className="muted admin-hint" id={`${id}-ph`}>
              {t('passwordHint')}
            </span>
          </div>
        </div>
        <div className="row">
          <button type="submit" className="primary" disabled={create.isPending || !s.login.trim()}>
            {t('createButton')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
        <ActionError error={problem} />
        <ActionError error={create.error} />
      </form>
    </section>
  );
}

/** /ops/users/:login: name, roles, enable/disable, a password, the user's API tokens. */
export function UserScreen() {
  const { login = '' } = useParams();
  const t = useT(userMessages);
  const c = useT(common);
  const query = useQuery({ queryKey: ['user', login], queryFn: () => ok(api.GET('/v1/users/{login}', { params: { path: { login } } })) });
  if (query.isPending) return <Loading />;
  if (query.isError) {
    if (query.error instanceof ApiError && query.error.status === 404) return <Empty>{t('notFound', { login })}</Empty>;
    return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  }
  const user = query.data;
  return (
    <Page
      title={t('userTitle', { login: user.login })}
      actions={
        <Link className="button" to="/ops/users">
          {c('back')}
        </Link>
      }
    >
      <UserProfile key={user.login} user={user} />
      <SetPassword user={user} />
      <TokensPanel
        queryKey={['user', user.login, 'tokens']}
        list={() => ok(api.GET('/v1/users/{login}/tokens', { params: { path: { login: user.login } } }))}
        create={(body) => ok(api.POST('/v1/users/{login}/tokens', { params: { path: { login: user.login } }, body }))}
        revoke={(id) => ok(api.DELETE('/v1/users/{login}/tokens/{id}', { params: { path: { login: user.login, id } } }))}
        allowNever
        own={false}
      />
    </Page>
  );
}

function UserProfile({ user }: { user: User }) {
  const t = useT(userMessages);
  const c = useT(common);
  const f = useFormat();
  const id = useId();
  const client = useQueryClient();
  const [name, setName] = useState(user.name ?? '');
  const [roles, setRoles] = useState<Role[]>(user.roles);
  const [problem, setProblem] = useState<string | null>(null);
  const patch = useMutation({
    mutationFn: (body: { name?: string | null; roles?: Role[]; disabled?: boolean }) => ok(api.PATCH('/v1/users/{login}', { params: { path: { login: user.login } }, body })),
    onSuccess: (next) => {
      client.setQueryData(['user', user.login], next);
      void client.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const dealerUser = user.dealer !== null;
  return (
    <section className="card admin-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('profile')}</h2>
      {user.disabled && <p className="admin-warning">{t('disabledNote')}</p>}
      <dl className="admin-facts">
        <dt>{t('login')}</dt>
        <dd className="mono">{user.login}</dd>
        <dt>{t('colDealer')}</dt>
        <dd>{user.dealer ? `${user.dealer.name} (${user.dealer.code})` : '—'}</dd>
        <dt>{t('hasPassword')}</dt>
        <dd>{user.hasPassword ? t('passwordChanged', { when: f.dateTime(user.passwordChangedAt) }) : t('noPassword')}</dd>
        <dt>{t('createdBy')}</dt>
        <dd>
          {f.dateTime(user.createdAt)} · {user.createdBy}
        </dd>
      </dl>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          patch.mutate({ name: name.trim() || null });
        }}
      >
        <label className="admin-grow">
          {t('name')}
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={300} />
        </label>
        <button type="submit" className="admin-align-end" disabled={patch.isPending || name === (user.name ?? '')}>
          {t('saveName')}
        </button>
      </form>
      <form
        className="form admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          const found = rolesProblem(roles, null, t);
          setProblem(found);
          if (!found) patch.mutate({ roles });
        }}
      >
        <h3>{t('changeRoles')}</h3>
        {dealerUser && <p className="muted admin-hint">{t('rolesHint')}</p>}
        <RolePicker value={roles} onChange={setRoles} dealerOnly={dealerUser} />
        <div className="row">
          <button type="submit" className="primary" disabled={patch.isPending || roles.slice().sort().join() === user.roles.slice().sort().join()}>
            {t('saveRoles')}
          </button>
        </div>
        <ActionError error={problem} />
      </form>
      <div className="row">
        {user.disabled ? (
          <button type="button" className="primary" disabled={patch.isPending} onClick={() => patch.mutate({ disabled: false })}>
            {t('enable')}
          </button>
        ) : (
          <button type="button" className="danger" disabled={patch.isPending} onClick={() => window.confirm(t('confirmDisable', { login: user.login })) && patch.mutate({ disabled: true })}>
            {t('disable')}
          </button>
        )}
      </div>
      <ActionError error={patch.error} />
      <Saved show={patch.isSuccess}>{c('saved')}</Saved>
    </section>
  );
}

function SetPassword({ user }: { user: User }) {
  const t = useT(userMessages);
  const id = useId();
  const client = useQueryClient();
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const set = useMutation({
    mutationFn: () => ok(api.PUT('/v1/users/{login}/password', { params: { path: { login: user.login } }, body: { password } })),
    onSuccess: (next) => {
      setPassword('');
      client.setQueryData(['user', user.login], next);
    },
  });
  return (
    <section className="card admin-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('setPassword')}</h2>
      <form
        className="form admin-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const found = passwordProblem(password, user.login, t);
          setProblem(found);
          if (!found) set.mutate();
        }}
      >
        <label>
          {t('newPassword')}
          <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby={`${id}-hint`} />
        </label>
        <p className="muted admin-hint" id={`${id}-hint`}>
          {t('setPasswordHint')}
        </p>
        <div className="row">
          <button type="submit" className="primary" disabled={set.isPending || !password}>
            {t('setPasswordButton')}
          </button>
        </div>
        <ActionError error={problem} />
        <ActionError error={set.error} />
        <Saved show={set.isSuccess}>{t('passwordSet')}</Saved>
      </form>
    </section>
  );
}
