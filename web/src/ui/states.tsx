import type { ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { defineMessages, useT } from '../i18n';

const messages = defineMessages({
  en: { loading: 'Loading…', empty: 'Nothing here yet.', failed: 'Could not load: {message}', retry: 'Try again', forbidden: 'You may not see this.' },
  ru: { loading: 'Загрузка…', empty: 'Пока ничего нет.', failed: 'Не удалось загрузить: {message}', retry: 'Повторить', forbidden: 'Нет доступа.' },
});

export function Loading({ label }: { label?: string }) {
  const t = useT(messages);
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label ?? t('loading')}
    </div>
  );
}

export function Empty({ children }: { children?: ReactNode }) {
  const t = useT(messages);
  return <div className="state state-empty">{children ?? t('empty')}</div>;
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const t = useT(messages);
  const message = error instanceof ApiError && error.status === 403 ? t('forbidden') : t('failed', { message: error instanceof Error ? error.message : String(error) });
  return (
    <div className="state state-error" role="alert">
      {message}
      {retry && (
        <button type="button" className="link" onClick={retry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

/** Loading, error or the data: every screen that reads shows all three. */
export function Query<T>({ query, children, empty }: { query: UseQueryResult<T>; children: (data: T) => ReactNode; empty?: (data: T) => boolean }) {
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  if (empty?.(query.data)) return <Empty />;
  return <>{children(query.data)}</>;
}

/** A failed action's message, next to the button that did it. */
export function ActionError({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="state-error inline" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </p>
  );
}
