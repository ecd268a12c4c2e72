import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api, ok } from '../../api/client';
import { useT } from '../../i18n';
import { useCan } from '../../session';
import { common } from './messages';
import type { Region } from './types';

/** The region tree (tree order) for pickers; not asked for when the user may not read regions (unless `always`: the regions screen shows the refusal). */
export function useRegions(always = false) {
  const can = useCan();
  return useQuery({
    queryKey: ['regions'],
    queryFn: () => ok(api.GET('/v1/regions', { params: { query: {} } })),
    enabled: always || can('regions.read'),
    staleTime: 60_000,
  });
}

export const depthOf = (region: Pick<Region, 'path'>) => Math.max(0, region.path.split('/').filter(Boolean).length - 1);

/** A region by code: a select over the tree when it is readable, a text field otherwise. */
export function RegionPicker({ label, value, onChange, required, allowEmpty, emptyLabel, id }: {
  label: string;
  value: string;
  onChange: (code: string) => void;
  required?: boolean;
  allowEmpty?: boolean;
  emptyLabel?: string;
  id?: string;
}) {
  const regions = useRegions();
  const items = regions.data?.items;
  return (
    <label>
      {label}
      {items && items.length > 0 ? (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required={required}>
          {(allowEmpty || !value) && <option value="">{emptyLabel ?? '—'}</option>}
          {value && !items.some((r) => r.code === value) && <option value={value}>{value}</option>}
          {items.map((r) => (
            <option key={r.code} value={r.code}>
              {'\u00a0\u00a0'.repeat(depthOf(r))}
              {r.name} ({r.code})
            </option>
          ))}
        </select>
      ) : (
        <input id={id} value={value} onChange={(e) => onChange(e.target.value.trim())} required={required} placeholder="RU-MOW" />
      )}
    </label>
  );
}

/** Offset paging: "1–50 of 120" with previous and next. */
export function Pager({ offset, limit, total, onOffset }: { offset: number; limit: number; total: number; onOffset: (offset: number) => void }) {
  const t = useT(common);
  if (total <= limit && offset === 0) return null;
  return (
    <nav className="admin-pager" aria-label={t('shown', { from: offset + 1, to: Math.min(offset + limit, total), total })}>
      <span className="muted">{t('shown', { from: total === 0 ? 0 : offset + 1, to: Math.min(offset + limit, total), total })}</span>
      <span className="row">
        <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
          {t('prev')}
        </button>
        <button type="button" disabled={offset + limit >= total} onClick={() => onOffset(offset + limit)}>
          {t('next')}
        </button>
      </span>
    </nav>
  );
}

export function ReadOnlyNote({ show }: { show: boolean }) {
  const t = useT(common);
  if (!show) return null;
  return <p className="muted admin-hint">{t('readOnly')}</p>;
}

export function Saved({ show, children }: { show: boolean; children?: ReactNode }) {
  const t = useT(common);
  if (!show) return null;
  return (
    <p className="status ok" role="status">
      {children ?? t('saved')}
    </p>
  );
}

/** Lines of a textarea: trimmed, empty ones dropped. */
export const linesOf = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** Codes separated by commas, semicolons or whitespace. */
export const codesOf = (text: string) => [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
