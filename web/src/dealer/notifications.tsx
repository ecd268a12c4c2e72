import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, ok } from '../api/client';
import { useFormat } from '../format';
import { useLocale, useT } from '../i18n';
import { useDealerCode } from '../session';
import { Page } from '../ui/page';
import { ActionError, Empty, Query } from '../ui/states';
import { keys } from './api';
import { messages, type MessageKey } from './messages';

/** /dealer/notifications: the inbox, unread ones marked, one or all marked read, links to the orders. */
export function NotificationsScreen() {
  const t = useT(messages);
  const f = useFormat();
  const code = useDealerCode();
  const client = useQueryClient();
  const [onlyUnread, setOnlyUnread] = useState(false);
  const list = useQuery({
    queryKey: [...keys.notifications(code), 'list', onlyUnread],
    queryFn: () => ok(api.GET('/v1/dealers/{code}/notifications', { params: { path: { code }, query: { limit: 100, unread: onlyUnread || undefined } } })),
  });
  const read = useMutation({
    mutationFn: (ids: string[]) => ok(api.POST('/v1/dealers/{code}/notifications/read', { params: { path: { code } }, body: { ids } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.notifications(code) }),
  });
  const unreadIds = list.data?.items.filter((n) => !n.readAt).map((n) => n.id) ?? [];
  return (
    <Page
      title={t('notificationsTitle')}
      actions={
        <button type="button" onClick={() => read.mutate(unreadIds)} disabled={unreadIds.length === 0 || read.isPending}>
          {t('markAllRead')}
        </button>
      }
    >
      <label className="inline">
        <input type="checkbox" checked={onlyUnread} onChange={(event) => setOnlyUnread(event.target.checked)} />
        {t('onlyUnread')}
      </label>
      <ActionError error={read.error} />
      <Query query={list}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{t('noNotifications')}</Empty>
          ) : (
            <ul className="dealer-inbox">
              {data.items.map((n) => (
                <li key={n.id} className={n.readAt ? 'card' : 'card unread'}>
                  <div className="row">
                    {!n.readAt && <span className="status warn">{t('unread')}</span>}
                    <time className="muted" dateTime={n.createdAt}>
                      {f.dateTime(n.createdAt)}
                    </time>
                  </div>
                  <Notice notice={n} />
                  <div className="row">
                    {n.orderId && (
                      <Link to={`/dealer/orders/${encodeURIComponent(n.orderId)}`} onClick={() => !n.readAt && read.mutate([n.id])}>
                        {t('openOrder')}
                      </Link>
                    )}
                    {!n.readAt && (
                      <button type="button" className="link" onClick={() => read.mutate([n.id])} disabled={read.isPending}>
                        {t('markRead')}
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Query>
    </Page>
  );
}

/**
 * The notice in the screen's language when its kind is known (the hub stores it in English, with the
 * details a person gave, e.g. a cancellation's reason, which stay one click away); else as stored.
 */
function Notice({ notice }: { notice: { kind: string; message: string; orderNumber: string | null } }) {
  const t = useT(messages);
  const { locale } = useLocale();
  const key = `notice.${notice.kind}` as MessageKey;
  if (locale === 'en' || !notice.orderNumber || !(key in messages.en)) return <p>{notice.message}</p>;
  return (
    <div>
      <p>{t(key, { number: notice.orderNumber })}</p>
      <details className="muted">
        <summary>{t('noticeDetails')}</summary>
        {notice.message}
      </details>
    </div>
  );
}
