import { useEffect, useState } from 'react';
import { localeTag, useFormat } from '../format';
import { useLocale, useT } from '../i18n';
import { messages } from './messages';

/** The current time, ticking every `everyMs`. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

const two = (n: number) => String(n).padStart(2, '0');

/** "2 д 03:04:05" / "2d 03:04:05" / "04:05". */
export function duration(ms: number, locale: 'ru' | 'en'): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const clock = hours || days ? `${two(hours)}:${two(minutes)}:${two(seconds)}` : `${two(minutes)}:${two(seconds)}`;
  if (!days) return clock;
  const unit = new Intl.NumberFormat(localeTag(locale), { style: 'unit', unit: 'day', unitDisplay: 'narrow' }).format(days);
  return `${unit} ${clock}`;
}

/** Time left until `at` (red once it is past), with the moment itself as the tooltip. */
export function Countdown({ at, now }: { at: string | null | undefined; now: number }) {
  const { locale } = useLocale();
  const f = useFormat();
  const t = useT(messages);
  if (!at) return <span className="muted">—</span>;
  const left = new Date(at).getTime() - now;
  const over = left < 0;
  return (
    <time dateTime={at} title={f.dateTime(at)} className={over ? 'countdown overdue' : 'countdown'}>
      {over ? t('overdue', { time: duration(left, locale) }) : duration(left, locale)}
    </time>
  );
}
