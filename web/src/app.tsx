import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { createBrowserRouter, Navigate, NavLink, Outlet, RouterProvider, type RouteObject } from 'react-router';
import { accountNav, accountRoutes } from './account/routes';
import { accountingArea } from './accounting/routes';
import { api, ok, setCsrfToken } from './api/client';
import { dealerArea } from './dealer/routes';
import { defineMessages, useLocale, useT } from './i18n';
import { LoginScreen } from './login';
import { opsArea } from './ops/routes';
import { ME_KEY, SessionProvider, useMe, useMeQuery, type Me } from './session';
import { LocaleSwitch } from './ui/locale-switch';
import type { Area } from './ui/nav';
import { ErrorState, Loading } from './ui/states';

const messages = defineMessages({
  en: { signOut: 'Sign out', menu: 'Menu', notFound: 'There is no such page.', home: 'To the start', skip: 'Skip to content' },
  ru: { signOut: 'Выйти', menu: 'Меню', notFound: 'Такой страницы нет.', home: 'На главную', skip: 'К содержимому' },
});

// Everyone's own account last: it is visible to all, so the first area a user may see is their home.
const AREAS: Area[] = [dealerArea, opsArea, accountingArea, { routes: accountRoutes, nav: accountNav }];

/** Where a user lands: the dealer's offers, the ops console's channels, the accountant's turnover. */
export function homeOf(me: Me): string {
  for (const area of AREAS) {
    const first = area.nav.find((item) => item.visible(me));
    if (first) return first.to;
  }
  return '/account';
}

function Shell() {
  const me = useMe();
  const t = useT(messages);
  const { locale } = useLocale();
  const client = useQueryClient();
  const signOut = useMutation({
    mutationFn: () => ok(api.POST('/v1/auth/logout', { body: {} })),
    onSettled: () => {
      setCsrfToken(null);
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
      client.setQueryData(ME_KEY, null);
    },
  });
  const items = AREAS.flatMap((area) => area.nav.filter((item) => item.visible(me)));
  return (
    <div className="shell">
      <a className="skip" href="#main">
        {t('skip')}
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          orderhub
        </NavLink>
        <span className="who">
          {me.name ?? me.login}
          {me.dealer ? ` · ${me.dealer.name}` : ''}
        </span>
        <LocaleSwitch />
        <button type="button" className="link" onClick={() => signOut.mutate()}>
          {t('signOut')}
        </button>
      </header>
      <nav className="sidenav" aria-label={t('menu')}>
        {items.map((item) => (
          <NavLink key={item.to} to={item.to}>
            {item.label[locale]}
            <Badge count={item.badge?.()} />
          </NavLink>
        ))}
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

function Badge({ count }: { count: number | undefined }) {
  if (!count) return null;
  return <span className="badge">{count > 99 ? '99+' : count}</span>;
}

function NotFound() {
  const t = useT(messages);
  return (
    <div className="state state-empty">
      {t('notFound')} <NavLink to="/">{t('home')}</NavLink>
    </div>
  );
}

function Home() {
  return <Navigate to={homeOf(useMe())} replace />;
}

function routesFor(): RouteObject[] {
  return [
    {
      path: '/',
      element: <Shell />,
      errorElement: <ErrorState error={new Error('This screen failed.')} />,
      children: [{ index: true, element: <Home /> }, ...AREAS.flatMap((area) => area.routes), { path: '*', element: <NotFound /> }],
    },
  ];
}

/** Signed in: the shell with the screens the user's roles allow; signed out: the login. */
export function App() {
  const me = useMeQuery();
  const router = useMemo(() => createBrowserRouter(routesFor()), []);
  if (me.isPending) return <Loading />;
  if (me.isError) return <ErrorState error={me.error} retry={() => void me.refetch()} />;
  if (!me.data) return <LoginScreen />;
  return (
    <SessionProvider me={me.data}>
      <RouterProvider router={router} />
    </SessionProvider>
  );
}
