import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { displayText, useFormat } from '../format';
import { useT } from '../i18n';
import { useDealerCode } from '../session';
import { Page } from '../ui/page';
import { Empty, ErrorState, Loading } from '../ui/states';
import { Table, type Column } from '../ui/table';
import { keys, listOrders, orderCounts, PAGE, type DealerOrderRow, type OrdersView } from './api';
import { LiveIndicator, markOffersSeen, useLive } from './live';
import { messages, type MessageKey } from './messages';
import { Countdown, useNow } from './time';

const TABS: { view: OrdersView; label: MessageKey; empty: MessageKey }[] = [
  { view: 'offered', label: 'tabOffered', empty: 'emptyOffered' },
  { view: 'mine', label: 'tabMine', empty: 'emptyMine' },
  { view: 'completed', label: 'tabCompleted', empty: 'emptyCompleted' },
  { view: 'all', label: 'tabAll', empty: 'emptyAll' },
];

export function StatusBadge({ status }: { status: string }) {
  const t = useT(messages);
  const key = `status.${status}` as MessageKey;
  const tone = status === 'completed' ? 'ok' : status === 'cancelled' ? 'bad' : status === 'offering' ? 'warn' : '';
  const label = t(key);
  return <span className={`status ${tone}`.trim()}>{label === key ? status : label}</span>;
}

/** The deadline that matters now: an offer's expiry while offered, else the fulfilment term. */
export function deadlineOf(row: { offer?: { expiresAt: string | null } | null; dueAt: string | null; distributionStatus: string }): string | null {
  if (row.distributionStatus === 'completed' || row.distributionStatus === 'cancelled') return null;
  return row.offer?.expiresAt ?? row.dueAt;
}

/** /dealer/orders: the tabs Available / My / Completed / All with live counts, search, the list. */
export function OrdersScreen() {
  const t = useT(messages);
  const code = useDealerCode();
  const { pollMs } = useLive();
  const [params, setParams] = useSearchParams();
  const view = (TABS.find((tab) => tab.view === params.get('tab'))?.view ?? 'offered') as OrdersView;
  const q = params.get('q') ?? '';
  const offset = Math.max(0, Number(params.get('from')) || 0);
  const [draft, setDraft] = useState(q);
  const navigate = useNavigate();
  const panelId = useId();
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);

  const update = (next: Record<string, string | null>) =>
    setParams(
      (current) => {
        const merged = new URLSearchParams(current);
        for (const [key, value] of Object.entries(next)) {
          if (value) merged.set(key, value);
          else merged.delete(key);
        }
        return merged;
      },
      { replace: true },
    );

  // Search as one types, a moment after the last key.
  useEffect(() => {
    if (draft === q) return;
    const timer = setTimeout(() => update({ q: draft.trim() || null, from: null }), 300);
    return () => clearTimeout(timer);
  }, [draft]);

  const counts = useQuery({ queryKey: keys.counts(code), queryFn: () => orderCounts(code), refetchInterval: pollMs });
  const list = useQuery({
    queryKey: keys.list(code, view, q, offset),
    queryFn: () => listOrders(code, view, q, offset),
    // Another page or search of the same tab keeps the rows on screen while it loads; another tab does not.
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[4] === view ? previous : undefined),
    refetchInterval: pollMs,
  });

  useEffect(() => {
    if (view === 'offered') markOffersSeen();
  }, [view, list.data]);

  const select = (index: number) => {
    const tab = TABS[index];
    if (!tab) return;
    update({ tab: tab.view === 'offered' ? null : tab.view, from: null });
    tabRefs.current[index]?.focus();
  };
  const onTabKey = (event: KeyboardEvent, index: number) => {
    const last = TABS.length - 1;
    const to = event.key === 'ArrowRight' ? (index === last ? 0 : index + 1) : event.key === 'ArrowLeft' ? (index === 0 ? last : index - 1) : event.key === 'Home' ? 0 : event.key === 'End' ? last : -1;
    if (to < 0) return;
    event.preventDefault();
    select(to);
  };

  const current = TABS.find((tab) => tab.view === view) ?? TABS[0]!;
  return (
    <Page title={t('ordersTitle')} actions={<LiveIndicator />}>
      <div className="tabs" role="tablist" aria-label={t('tabsLabel')}>
        {TABS.map((tab, index) => {
          const selected = tab.view === view;
          const count = counts.data?.[tab.view];
          return (
            <button
              key={tab.view}
              ref={(el) => {
                tabRefs.current[index] = el;
              }}
              type="button"
              role="tab"
              id={`${panelId}-tab-${tab.view}`}
              aria-selected={selected}
              aria-controls={panelId}
              aria-describedby={count !== undefined ? `${panelId}-count-${tab.view}` : undefined}
              tabIndex={selected ? 0 : -1}
              onClick={() => select(index)}
              onKeyDown={(event) => onTabKey(event, index)}
            >
              {t(tab.label)}
              {count !== undefined && (
                <span className="count" id={`${panelId}-count-${tab.view}`} aria-hidden="true">
                  {count}
                </span>
              )}
            </button>
          );
        })}
      </div>
      <div id={panelId} role="tabpanel" aria-labelledby={`${panelId}-tab-${view}`} className="dealer-orders">
        <div className="row">
          <input
            type="search"
            aria-label={t('search')}
            placeholder={t('searchPlaceholder')}
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') update({ q: draft.trim() || null, from: null });
            }}
            className="dealer-search"
          />
        </div>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} retry={() => void list.refetch()} />
        ) : list.data.orders.length === 0 ? (
          <Empty>{q ? t('emptySearch', { q }) : t(current.empty)}</Empty>
        ) : (
          <>
            <OrdersTable rows={list.data.orders} onOpen={(row) => void navigate(`/dealer/orders/${encodeURIComponent(row.orderId)}`)} />
            {list.data.total > PAGE && (
              <div className="row">
                <span className="muted">{t('shown', { shown: `${offset + 1}–${offset + list.data.orders.length}`, total: list.data.total })}</span>
                <button type="button" disabled={offset === 0} onClick={() => update({ from: offset - PAGE > 0 ? String(offset - PAGE) : null })}>
                  {t('prevPage')}
                </button>
                <button type="button" disabled={offset + PAGE >= list.data.total} onClick={() => update({ from: String(offset + PAGE) })}>
                  {t('nextPage')}
                </button>
              </div>
            )}
          </>
        )}
      </div>
    </Page>
  );
}

function OrdersTable({ rows, onOpen }: { rows: DealerOrderRow[]; onOpen: (row: DealerOrderRow) => void }) {
  const t = useT(messages);
  const f = useFormat();
  const now = useNow(1000);
  const columns: Column<DealerOrderRow>[] = [
    {
      key: 'id',
      header: t('colId'),
      cell: (row) => (
        <>
          <span className="mono">{row.number ?? row.orderId.slice(0, 8)}</span>
          <div className="muted small hide-narrow">{row.channel}</div>
        </>
      ),
    },
    { key: 'status', header: t('colStatus'), cell: (row) => <StatusBadge status={row.distributionStatus} /> },
    { key: 'created', header: t('colCreated'), cell: (row) => <span className="nowrap">{f.dateTime(row.placedAt)}</span>, wide: true },
    {
      key: 'client',
      header: t('colClient'),
      cell: (row) => (
        <>
          {row.client.name ?? '—'}
          {row.client.city && <div className="muted small">{row.client.city}</div>}
        </>
      ),
    },
    {
      key: 'products',
      header: t('colProducts'),
      wide: true,
      cell: (row) => (row.productLines > 1 ? t('moreLines', { product: displayText(row.product) || '—', n: row.productLines - 1 }) : displayText(row.product) || '—'),
    },
    { key: 'sum', header: t('colSum'), numeric: true, cell: (row) => f.money(row.total, row.currency) },
    { key: 'deadline', header: t('colDeadline'), numeric: true, cell: (row) => <Countdown at={deadlineOf(row)} now={now} /> },
  ];
  return <Table rows={rows} columns={columns} rowKey={(row) => row.orderId} onOpen={onOpen} rowClass={(row) => (row.overdue ? 'overdue-row' : undefined)} />;
}
