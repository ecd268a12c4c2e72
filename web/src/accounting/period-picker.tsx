import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { defineMessages, useT } from '../i18n';
import { PRESETS, presetOf, presetPeriod, validPeriod, type Period, type Preset } from './period';

const messages = defineMessages({
  en: {
    period: 'Period',
    from: 'From',
    to: 'To',
    presets: 'Quick periods',
    thisMonth: 'This month',
    lastMonth: 'Last month',
    thisQuarter: 'This quarter',
    thisYear: 'This year',
    last30: 'Last 30 days',
    invalid: 'The period ends before it starts.',
  },
  ru: {
    period: 'Период',
    from: 'С',
    to: 'По',
    presets: 'Быстрый выбор периода',
    thisMonth: 'Этот месяц',
    lastMonth: 'Прошлый месяц',
    thisQuarter: 'Этот квартал',
    thisYear: 'Этот год',
    last30: 'Последние 30 дней',
    invalid: 'Конец периода раньше его начала.',
  },
});

/** The period kept in the address (?from=…&to=…), so a report can be bookmarked and shared; a preset by default. */
export function usePeriodParam(fallback: Preset = 'thisMonth'): [Period, (next: Period) => void] {
  const [params, setParams] = useSearchParams();
  const from = params.get('from');
  const to = params.get('to');
  const period = useMemo<Period>(() => (from !== null && to !== null ? { from, to } : presetPeriod(fallback)), [from, to, fallback]);
  const setPeriod = useCallback(
    (next: Period) =>
      setParams(
        (current) => {
          const copy = new URLSearchParams(current);
          copy.set('from', next.from);
          copy.set('to', next.to);
          return copy;
        },
        { replace: true },
      ),
    [setParams],
  );
  return [period, setPeriod];
}

/** From/to date inputs and the quick periods (this month, last month…). */
export function PeriodPicker({ period, onChange }: { period: Period; onChange: (next: Period) => void }) {
  const t = useT(messages);
  const active = presetOf(period);
  return (
    <fieldset className="period">
      <legend>{t('period')}</legend>
      <div className="row">
        <label className="inline">
          {t('from')}
          <input type="date" value={period.from} max={period.to || undefined} onChange={(e) => onChange({ ...period, from: e.target.value })} required />
        </label>
        <label className="inline">
          {t('to')}
          <input type="date" value={period.to} min={period.from || undefined} onChange={(e) => onChange({ ...period, to: e.target.value })} required />
        </label>
      </div>
      <div className="row presets" role="group" aria-label={t('presets')}>
        {PRESETS.map((preset) => (
          <button key={preset} type="button" className="chip" aria-pressed={active === preset} onClick={() => onChange(presetPeriod(preset))}>
            {t(preset)}
          </button>
        ))}
      </div>
      {!validPeriod(period) && period.from && period.to && (
        <p className="state-error inline" role="alert">
          {t('invalid')}
        </p>
      )}
    </fieldset>
  );
}
