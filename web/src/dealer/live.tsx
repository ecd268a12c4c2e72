import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import { Link, Outlet } from 'react-router';
import { useT } from '../i18n';
import { useMe } from '../session';
import { keys, unreadNotifications } from './api';
import { messages } from './messages';

/**
 * The cabinet's one live subscription (GET /v1/dealers/{code}/events, Server-Sent Events): it is
 * the layout of every /dealer/… route, so it opens once while the cabinet is on screen. An event
 * invalidates the queries it changes; a new offer shows a toast, chimes and counts as unseen (the
 * Orders badge and the document title) until the Available tab or the order is opened.
 * Reconnecting is EventSource's own; without a connection the lists poll (useLive().pollMs).
 */

interface LiveState {
  connected: boolean;
  /** refetchInterval for lists while there is no live connection. */
  pollMs: number | false;
}

const LiveContext = createContext<LiveState>({ connected: false, pollMs: 30_000 });

export function useLive(): LiveState {
  return useContext(LiveContext);
}

/* Unseen live offers: a tiny store outside React so the nav badge (rendered by the shell) reads it. */
let unseen = new Set<string>();
const listeners = new Set<() => void>();
function setUnseen(next: Set<string>) {
  unseen = next;
  for (const listener of listeners) listener();
}
function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
export function markOffersSeen(orderId?: string): void {
  if (orderId === undefined) {
    if (unseen.size) setUnseen(new Set());
  } else if (unseen.has(orderId)) {
    const next = new Set(unseen);
    next.delete(orderId);
    setUnseen(next);
  }
}
function useUnseenOffers(): number {
  return useSyncExternalStore(subscribe, () => unseen.size);
}

/** NavItem.badge of Orders: new offers that arrived live and were not looked at yet. */
export function useOffersBadge(): number | undefined {
  return useUnseenOffers() || undefined;
}

/** NavItem.badge of Notifications: the unread ones. */
export function useNotificationsBadge(): number | undefined {
  return useUnreadCount() || undefined;
}

function useUnreadCount(): number {
  const me = useMe();
  const code = me.dealer?.code ?? '';
  const allowed = me.permissions.includes('dealer.notifications');
  const query = useQuery({
    queryKey: [...keys.notifications(code), 'unread'],
    queryFn: () => unreadNotifications(code),
    enabled: Boolean(code) && allowed,
    refetchInterval: 60_000,
  });
  return query.data?.items.length ?? 0;
}

/* A short chime made by an oscillator. Browsers let a page play sound only after the user did something on it. */
let audio: AudioContext | null = null;
function unlockAudio() {
  if (audio || typeof AudioContext === 'undefined') return;
  try {
    audio = new AudioContext();
  } catch {
    audio = null;
  }
}
function chime() {
  if (!audio) return;
  try {
    if (audio.state === 'suspended') void audio.resume();
    const now = audio.currentTime;
    const gain = audio.createGain();
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.45);
    gain.connect(audio.destination);
    for (const [frequency, at] of [
      [880, 0],
      [1320, 0.12],
    ] as const) {
      const oscillator = audio.createOscillator();
      oscillator.type = 'sine';
      oscillator.frequency.setValueAtTime(frequency, now + at);
      oscillator.connect(gain);
      oscillator.start(now + at);
      oscillator.stop(now + 0.45);
    }
  } catch {
    /* no sound is no failure */
  }
}

interface OrdersEvent {
  orderId: string;
  reason: 'offered' | 'taken' | 'lost' | 'changed';
  number?: string | null;
}

function parse<T>(data: unknown): T | null {
  try {
    return typeof data === 'string' ? (JSON.parse(data) as T) : null;
  } catch {
    return null;
  }
}

const TITLE_COUNT = /^\(\d+\+?\) /;

export function DealerLive() {
  const me = useMe();
  const code = me.dealer?.code ?? '';
  const t = useT(messages);
  const client = useQueryClient();
  const [connected, setConnected] = useState(false);
  const [toast, setToast] = useState<OrdersEvent | null>(null);
  const offers = useUnseenOffers();
  const unread = useUnreadCount();

  useEffect(() => {
    const unlock = () => unlockAudio();
    window.addEventListener('pointerdown', unlock, { once: true });
    window.addEventListener('keydown', unlock, { once: true });
    return () => {
      window.removeEventListener('pointerdown', unlock);
      window.removeEventListener('keydown', unlock);
    };
  }, []);

  useEffect(() => {
    if (!code || typeof EventSource === 'undefined') return;
    const source = new EventSource(`/v1/dealers/${encodeURIComponent(code)}/events`, { withCredentials: true });
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(source.readyState === EventSource.OPEN);
    source.addEventListener('orders', (event) => {
      const data = parse<OrdersEvent>((event as MessageEvent).data);
      void client.invalidateQueries({ queryKey: keys.orders(code) });
      if (!data) return;
      if (data.reason === 'offered') {
        setUnseen(new Set(unseen).add(data.orderId));
        setToast(data);
        chime();
      } else if (data.reason === 'taken' || data.reason === 'lost') {
        markOffersSeen(data.orderId);
      }
    });
    source.addEventListener('notification', () => {
      void client.invalidateQueries({ queryKey: keys.notifications(code) });
    });
    return () => {
      source.close();
      setConnected(false);
    };
  }, [code, client]);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 10_000);
    return () => clearTimeout(timer);
  }, [toast]);

  // "(3) Orders · orderhub": the count stays in front of whatever title the screen sets. An offer is
  // also a notification, so the larger of the two counts, not their sum.
  const count = Math.max(offers, unread);
  useEffect(() => {
    const apply = () => {
      const base = document.title.replace(TITLE_COUNT, '');
      const next = count ? `(${count > 99 ? '99+' : count}) ${base}` : base;
      if (document.title !== next) document.title = next;
    };
    apply();
    const title = document.querySelector('title');
    if (!title || typeof MutationObserver === 'undefined') return;
    const observer = new MutationObserver(apply);
    observer.observe(title, { childList: true, characterData: true, subtree: true });
    return () => {
      observer.disconnect();
      document.title = document.title.replace(TITLE_COUNT, '');
    };
  }, [count]);

  const state: LiveState = { connected, pollMs: connected ? false : 30_000 };
  return (
    <LiveContext.Provider value={state}>
      <Outlet />
      {toast && (
        <div className="toast dealer-toast" role="status" aria-live="polite">
          <strong>{t('newOffer')}</strong>
          <Link to={`/dealer/orders/${encodeURIComponent(toast.orderId)}`} onClick={() => setToast(null)}>
            {t('newOfferOpen', { number: toast.number ?? '' }).trim()}
          </Link>
          <button type="button" className="link" aria-label={t('dismiss')} onClick={() => setToast(null)}>
            ×
          </button>
        </div>
      )}
    </LiveContext.Provider>
  );
}

/** "● live" / "○ offline" beside a list's title. */
export function LiveIndicator() {
  const { connected } = useLive();
  const t = useT(messages);
  return (
    <span className={`live-indicator ${connected ? 'on' : 'off'}`} title={t(connected ? 'liveTitle' : 'offlineTitle')} data-testid="live-indicator">
      <span aria-hidden="true">{connected ? '●' : '○'}</span> {t(connected ? 'live' : 'offline')}
    </span>
  );
}
