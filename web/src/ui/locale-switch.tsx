import { LOCALES, useLocale } from '../i18n';

export function LocaleSwitch() {
  const { locale, setLocale } = useLocale();
  return (
    <div className="locale-switch" role="group" aria-label="Language / Язык">
      {LOCALES.map((l) => (
        <button key={l} type="button" className={l === locale ? 'active' : ''} aria-pressed={l === locale} onClick={() => setLocale(l)}>
          {l.toUpperCase()}
        </button>
      ))}
    </div>
  );
}
