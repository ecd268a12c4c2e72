import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ok, setCsrfToken } from './api/client';
import { defineMessages, useT } from './i18n';
import { ME_KEY } from './session';
import { LocaleSwitch } from './ui/locale-switch';
import { ActionError } from './ui/states';

const messages = defineMessages({
  en: { title: 'Sign in to orderhub', login: 'Login', password: 'Password', submit: 'Sign in', busy: 'Signing in…' },
  ru: { title: 'Вход в orderhub', login: 'Логин', password: 'Пароль', submit: 'Войти', busy: 'Входим…' },
});

export function LoginScreen() {
  const t = useT(messages);
  const client = useQueryClient();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: () => ok(api.POST('/v1/auth/login', { body: { login, password } })),
    onSuccess: (me) => {
      setCsrfToken(me.csrfToken);
      // Another user's cached answers must not show; the session query itself stays observed.
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
      client.setQueryData(ME_KEY, me);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate();
  };
  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="login-head">
          <h1 id="login-title">{t('title')}</h1>
          <LocaleSwitch />
        </div>
        <label>
          {t('login')}
          <input name="login" autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)} required autoFocus />
        </label>
        <label>
          {t('password')}
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <ActionError error={signIn.error} />
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {signIn.isPending ? t('busy') : t('submit')}
        </button>
      </form>
    </main>
  );
}
