import { useMemo } from 'react';
import { useLocale, type Locale } from './i18n';

const TAGS: Record<Locale, string> = { ru: 'ru-RU', en: 'en-GB' };

/** The BCP 47 tag Intl formats the app's language with. */
export function localeTag(locale: Locale): string {
  return TAGS[locale];
}

/**
 * Dates, numbers and money in the user's locale. Money and quantities arrive as decimal strings
 * (never floats) and are formatted as strings: Intl keeps every digit of a string it is given.
 */
export function formatters(locale: Locale) {
  const tag = TAGS[locale];
  const dateTime = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short' });
  const date = new Intl.DateTimeFormat(tag, { dateStyle: 'medium' });
  const number = new Intl.NumberFormat(tag, { maximumFractionDigits: 3 });
  const relative = new Intl.RelativeTimeFormat(tag, { numeric: 'auto' });
  const moneyBy = new Map<string, Intl.NumberFormat>();
  const asNumber = (value: string | number) => value as unknown as number; // Intl.NumberFormat.format takes decimal strings exactly
  return {
    tag,
    dateTime: (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : '—'),
    /** A calendar date (YYYY-MM-DD) as the date it names, not shifted by the time zone. */
    date: (value: string | null | undefined) => {
      if (!value) return '—';
      const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00`) : new Date(value);
      return date.format(day);
    },
    number: (value: string | number | null | undefined) => (value === null || value === undefined || value === '' ? '—' : number.format(asNumber(value))),
    money: (amount: string | number | null | undefined, currency: string | null | undefined) => {
      if (amount === null || amount === undefined || amount === '') return '—';
      const code = currency && /^[A-Z]{3}$/.test(currency) ? currency : undefined;
      if (!code) return `${number.format(asNumber(amount))}${currency ? ` ${currency}` : ''}`;
      let format = moneyBy.get(code);
      if (!format) moneyBy.set(code, (format = new Intl.NumberFormat(tag, { style: 'currency', currency: code })));
      return format.format(asNumber(amount));
    },
    /** "in 5 minutes", "2 hours ago". */
    relative: (iso: string, now = Date.now()) => {
      const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
      const abs = Math.abs(seconds);
      if (abs < 60) return relative.format(seconds, 'second');
      if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
      if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
      return relative.format(Math.round(seconds / 86400), 'day');
    },
  };
}

export type Formatters = ReturnType<typeof formatters>;

export function useFormat(): Formatters {
  const { locale } = useLocale();
  return useMemo(() => formatters(locale), [locale]);
}

/**
 * A shop's text as people read it: WooCommerce sends names with HTML entities (`40&times;40`,
 * `&ndash;`), kept raw in the hub for matching (FORMATS.md). Decoded by the browser's own parser,
 * which runs no script and returns text only.
 */
export function displayText(value: string | null | undefined): string {
  if (!value) return value ?? '';
  if (!value.includes('&')) return value;
  return new DOMParser().parseFromString(value, 'text/html').documentElement.textContent ?? value;
}
