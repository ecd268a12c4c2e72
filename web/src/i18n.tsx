import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

export type Locale = 'ru' | 'en';
export const LOCALES: readonly Locale[] = ['ru', 'en'];

/**
 * Each screen area keeps its own messages (dealer/messages.ts, ops/messages.ts…): English is the
 * reference and Russian must have every key (the compiler says which is missing).
 * `{name}` in a message is replaced by params.name.
 */
export function defineMessages<const E extends Record<string, string>>(messages: { en: E; ru: { [K in keyof E]: string } }) {
  return messages;
}

interface LocaleState {
  locale: Locale;
  setLocale: (locale: Locale) => void;
}

const LocaleContext = createContext<LocaleState>({ locale: 'ru', setLocale: () => undefined });
const STORAGE_KEY = 'orderhub.locale';

function initialLocale(): Locale {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (stored === 'ru' || stored === 'en') return stored;
  return (globalThis.navigator?.language ?? 'ru').toLowerCase().startsWith('en') ? 'en' : 'ru';
}

export function LocaleProvider({ children }: { children: ReactNode }) {
  const [locale, setState] = useState<Locale>(() => {
    const first = initialLocale();
    document.documentElement.lang = first;
    return first;
  });
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(STORAGE_KEY, next);
    document.documentElement.lang = next;
    setState(next);
  }, []);
  const value = useMemo(() => ({ locale, setLocale }), [locale, setLocale]);
  return <LocaleContext.Provider value={value}>{children}</LocaleContext.Provider>;
}

export function useLocale(): LocaleState {
  return useContext(LocaleContext);
}

export type Translate<K extends string> = (key: K, params?: Record<string, string | number>) => string;

/** t('key', {n: 3}) in the current locale. */
export function useT<E extends Record<string, string>>(messages: { en: E; ru: { [K in keyof E]: string } }): Translate<Extract<keyof E, string>> {
  const { locale } = useLocale();
  return useCallback(
    (key, params) => {
      const text = (messages[locale] as Record<string, string>)[key] ?? (messages.en as Record<string, string>)[key] ?? key;
      return params ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) : text;
    },
    [locale, messages],
  );
}
