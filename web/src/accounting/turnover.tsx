import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, ok, type paths } from '../api/client';
import { useFormat, type Formatters } from '../format';
import { useLocale, useT, type Translate } from '../i18n';
import { Page } from '../ui/page';
import { Empty, ErrorState, Loading } from '../ui/states';
import { BarChart } from './bar-chart';
import { csvText, decimal, downloadCsv, type CsvCell } from './csv';
import { accountingMessages as messages } from './messages';
import { endOfDay, startOfDay, validPeriod, type Period } from './period';
import { PeriodPicker, usePeriodParam } from './period-picker';

type TurnoverRow = paths['/v1/reports/turnover']['get']['responses'][200]['content']['application/json']['items'][number];
type Grouping = 'channel' | 'kind' | 'label';
const GROUPINGS: Grouping[] = ['channel', 'kind', 'label'];
type T = Translate<keyof (typeof messages)['en'] & string>;

function turnoverQuery(groupBy: Grouping, period: Period) {
  return {
    queryKey: ['turnover', groupBy, period.from, period.to] as const,
    queryFn: () => ok(api.GET('/v1/reports/turnover', { params: { query: { groupBy, placedFrom: startOfDay(period.from), placedTo: endOfDay(period.to) } } })),
    enabled: validPeriod(period),
    staleTime: 30_000,
  };
}

/** A channel kind's name in words (custom kinds as they are). */
function groupName(t: T, groupBy: Grouping, key: string): string {
  if (groupBy !== 'kind') return key;
  const known = `kind_${key}`;
  const text = t(known as Parameters<T>[0]);
  return text === known ? key : text;
}

interface CurrencyBlock {
  currency: string;
  rows: TurnoverRow[];
  /** All sales in the currency (from the per-channel grouping: each order belongs to one channel). */
  total: string;
  orders: number;
}

/** Sums decimal strings exactly enough for totals: fixed to the most fractional digits seen (no float drift). */
function sumDecimals(values: string[]): string {
  const scale = Math.max(0, ...values.map((v) => (v.split('.')[1] ?? '').length));
  const factor = 10n ** BigInt(scale);
  const toUnits = (v: string) => {
    const negative = v.startsWith('-');
    const [whole = '0', fraction = ''] = v.replace('-', '').split('.');
    const units = BigInt(whole) * factor + BigInt((fraction + '0'.repeat(scale)).slice(0, scale) || '0');
    return negative ? -units : units;
  };
  const total = values.reduce((s, v) => s + toUnits(v), 0n);
  const negative = total < 0n;
  const abs = negative ? -total : total;
  const whole = abs / factor;
  const fraction = scale ? '.' + (abs % factor).toString().padStart(scale, '0') : '';
  return (negative ? '-' : '') + whole.toString() + fraction;
}

function blocksOf(rows: TurnoverRow[], byChannel: TurnoverRow[]): CurrencyBlock[] {
  const currencies = [...new Set([...rows.map((r) => r.currency), ...byChannel.map((r) => r.currency)])].sort();
  return currencies.map((currency) => {
    const all = byChannel.filter((r) => r.currency === currency);
    return {
      currency,
      rows: rows.filter((r) => r.currency === currency).sort((a, b) => Number(b.total) - Number(a.total)),
      total: sumDecimals(all.map((r) => r.total)),
      orders: all.reduce((s, r) => s + r.orders, 0),
    };
  });
}

/** /reports/turnover: sales per channel, channel kind or label for a period, as a chart and a table, with a CSV export. */
export function TurnoverScreen() {
  const t = useT(messages);
  const f = useFormat();
  const { locale } = useLocale();
  const [period, setPeriod] = usePeriodParam('thisMonth');
  const [params, setParams] = useSearchParams();
  const groupParam = params.get('groupBy');
  const groupBy: Grouping = GROUPINGS.includes(groupParam as Grouping) ? (groupParam as Grouping) : 'channel';
  const setGroupBy = (next: Grouping) =>
    setParams(
      (current) => {
        const copy = new URLSearchParams(current);
        copy.set('groupBy', next);
        return copy;
      },
      { replace: true },
    );
  const grouped = useQuery(turnoverQuery(groupBy, period));
  const byChannel = useQuery(turnoverQuery('channel', period));
  const ready = grouped.isSuccess && byChannel.isSuccess;
  const blocks = ready ? blocksOf(grouped.data.items, byChannel.data.items) : [];

  const exportCsv = () => {
    const rows: CsvCell[][] = [[t(`col_${groupBy}`), t('csvCurrency'), t('orders'), t('total'), t('csvFrom'), t('csvTo')]];
    for (const block of blocks) {
      for (const r of block.rows) rows.push([groupName(t, groupBy, r.key), r.currency, r.orders, decimal(r.total), period.from, period.to]);
      rows.push([t('allSales'), block.currency, block.orders, decimal(block.total), period.from, period.to]);
    }
    downloadCsv(`turnover-by-${groupBy}_${period.from}_${period.to}.csv`, csvText(rows, locale));
  };

  return (
    <Page
      title={t('turnover')}
      actions={
        <button type="button" onClick={exportCsv} disabled={!ready || blocks.length === 0} aria-label={t('exportTurnoverCsv')}>
          {t('exportCsv')}
        </button>
      }
    >
      <div className="report-controls">
        <PeriodPicker period={period} onChange={setPeriod} />
        <fieldset className="segmented">
          <legend>{t('groupBy')}</legend>
          {GROUPINGS.map((g) => (
            <label key={g} className="inline">
              <input type="radio" name="groupBy" value={g} checked={groupBy === g} onChange={() => setGroupBy(g)} />
              {t(g)}
            </label>
          ))}
        </fieldset>
      </div>
      {!validPeriod(period) ? null : grouped.isPending || byChannel.isPending ? (
        <Loading />
      ) : grouped.isError || byChannel.isError ? (
        <ErrorState error={grouped.error ?? byChannel.error} retry={() => void Promise.all([grouped.refetch(), byChannel.refetch()])} />
      ) : blocks.length === 0 ? (
        <Empty>{t('noSales')}</Empty>
      ) : (
        <>
          {blocks.map((block) => (
            <TurnoverBlock key={block.currency} block={block} groupBy={groupBy} period={period} t={t} f={f} many={blocks.length > 1} />
          ))}
          <p className="muted small">
            {t('countedNote')} {groupBy === 'label' && t('labelNote')}
          </p>
        </>
      )}
    </Page>
  );
}

function TurnoverBlock({ block, groupBy, period, t, f, many }: { block: CurrencyBlock; groupBy: Grouping; period: Period; t: T; f: Formatters; many: boolean }) {
  const money = (v: string) => f.money(v, block.currency);
  const grand = Number(block.total);
  const share = (v: string) => (grand > 0 ? new Intl.NumberFormat(f.tag, { style: 'percent', maximumFractionDigits: 1 }).format(Number(v) / grand) : '—');
  const top = block.rows.slice(0, 5).map((r) => `${groupName(t, groupBy, r.key)} ${money(r.total)} (${t('orders').toLowerCase()}: ${r.orders})`);
  const more = block.rows.length > 5 ? `, ${t('chartMore', { n: block.rows.length - 5 })}` : '';
  const summary = t('chartSummary', { grouping: t(`by_${groupBy}`), currency: block.currency, from: f.date(period.from), to: f.date(period.to), items: top.join('; ') + more });
  const headingId = `turnover-${block.currency}`;
  return (
    <section className="card report-block" aria-labelledby={headingId}>
      <h2 id={headingId}>{many ? t('inCurrency', { currency: block.currency }) : `${t('allSales')}: ${money(block.total)}`}</h2>
      {block.rows.length === 0 ? (
        <Empty />
      ) : (
        <BarChart summary={summary} bars={block.rows.map((r) => ({ key: r.key, label: groupName(t, groupBy, r.key), value: Number(r.total), text: money(r.total) }))} />
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t(`col_${groupBy}`)}</th>
              <th scope="col" className="num">
                {t('orders')}
              </th>
              <th scope="col" className="num">
                {t('total')}
              </th>
              <th scope="col" className="num hide-narrow">
                {t('share')}
              </th>
            </tr>
          </thead>
          <tbody>
            {block.rows.map((r) => (
              <tr key={r.key}>
                <th scope="row">{groupName(t, groupBy, r.key)}</th>
                <td className="num">{f.number(r.orders)}</td>
                <td className="num">{money(r.total)}</td>
                <td className="num hide-narrow">{share(r.total)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">{t('allSales')}</th>
              <td className="num">{f.number(block.orders)}</td>
              <td className="num">{money(block.total)}</td>
              <td className="num hide-narrow">{share(block.total)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </section>
  );
}
