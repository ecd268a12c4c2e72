import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { api, ok } from '../../api/client';
import { useFormat } from '../../format';
import { useT } from '../../i18n';
import { useCan } from '../../session';
import { Page } from '../../ui/page';
import { ActionError, Empty, Query } from '../../ui/states';
import { common, regionMessages } from './messages';
import { depthOf, linesOf, ReadOnlyNote, RegionPicker, useRegions } from './shared';
import type { Region, RegionInput } from './types';

/** /ops/regions: the region tree as an indented list; regions.write adds, changes and moves regions, one or a list at a time. */
export function RegionsScreen() {
  const t = useT(regionMessages);
  const f = useFormat();
  const can = useCan();
  const query = useRegions(true);
  const writable = can('regions.write');
  const [filter, setFilter] = useState('');
  const [editing, setEditing] = useState<RegionInput | null>(null);
  const [bulk, setBulk] = useState(false);
  const level = (value: string) => (value === 'country' || value === 'region' || value === 'city' ? t(value) : value);
  return (
    <Page
      title={t('title')}
      actions={
        writable && (
          <>
            <button type="button" className="primary" onClick={() => setEditing({ code: '', name: '', level: 'region', parentCode: null })}>
              {t('add')}
            </button>
            <button type="button" aria-expanded={bulk} onClick={() => setBulk((b) => !b)}>
              {t('bulk')}
            </button>
          </>
        )
      }
    >
      <ReadOnlyNote show={!writable} />
      {editing && <RegionForm key={editing.code + (editing.parentCode ?? '')} initial={editing} onClose={() => setEditing(null)} />}
      {bulk && <BulkLoad onClose={() => setBulk(false)} />}
      <Query query={query}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{t('none')}</Empty>
          ) : (
            <Tree
              regions={data.items}
              filter={filter}
              setFilter={setFilter}
              level={level}
              count={t('count', { n: f.number(data.items.length) })}
              onEdit={writable ? (r) => setEditing({ code: r.code, name: r.name, level: r.level, parentCode: r.parentCode }) : undefined}
              onAddInside={writable ? (r) => setEditing({ code: '', name: '', level: r.level === 'country' ? 'region' : 'city', parentCode: r.code }) : undefined}
            />
          )
        }
      </Query>
    </Page>
  );
}

function Tree({ regions, filter, setFilter, level, count, onEdit, onAddInside }: {
  regions: Region[];
  filter: string;
  setFilter: (v: string) => void;
  level: (v: string) => string;
  count: string;
  onEdit?: (r: Region) => void;
  onAddInside?: (r: Region) => void;
}) {
  const t = useT(regionMessages);
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    if (!needle) return regions;
    // A match keeps its ancestors, so the tree still reads.
    const hits = regions.filter((r) => r.code.toLowerCase().includes(needle) || r.name.toLowerCase().includes(needle));
    const keep = new Set(hits.flatMap((r) => r.path.split('/').filter(Boolean)));
    return regions.filter((r) => keep.has(r.code));
  }, [regions, filter]);
  return (
    <>
      <div className="admin-filters">
        <label>
          {t('filter')}
          <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
        <span className="muted">{count}</span>
      </div>
      {shown.length === 0 ? (
        <Empty>{t('noMatch')}</Empty>
      ) : (
        <ul className="admin-tree" aria-label={t('title')}>
          {shown.map((r) => (
            <li key={r.code} style={{ paddingLeft: `${0.6 + depthOf(r) * 1.4}rem` }}>
              <span className="grow">
                {depthOf(r) > 0 && <span aria-hidden="true" className="muted">└ </span>}
                <strong>{r.name}</strong> <span className="mono muted">{r.code}</span>
              </span>
              <span className="status level">{level(r.level)}</span>
              {onAddInside && (
                <button type="button" className="link" aria-label={t('addUnder', { name: r.name })} onClick={() => onAddInside(r)}>
                  {t('addInside')}
                </button>
              )}
              {onEdit && (
                <button type="button" className="link" aria-label={t('editNamed', { name: r.name })} onClick={() => onEdit(r)}>
                  ✎
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function useLoadRegions(onDone?: () => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (regions: RegionInput[]) => ok(api.PUT('/v1/regions', { body: { regions } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['regions'] });
      onDone?.();
    },
  });
}

function RegionForm({ initial, onClose }: { initial: RegionInput; onClose: () => void }) {
  const t = useT(regionMessages);
  const c = useT(common);
  const id = useId();
  const known = initial.code !== '';
  const [s, setS] = useState({ code: initial.code, name: initial.name, level: initial.level, parentCode: initial.parentCode ?? '' });
  const load = useLoadRegions(onClose);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    load.mutate([{ code: s.code.trim(), name: s.name.trim(), level: s.level.trim(), parentCode: s.parentCode || null }]);
  };
  return (
    <section className="card admin-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{known ? t('editTitle', { code: initial.code }) : t('newTitle')}</h2>
      <form className="form admin-form" onSubmit={submit}>
        <div className="admin-grid">
          <label>
            {t('code')}
            <input value={s.code} onChange={(e) => setS({ ...s, code: e.target.value })} readOnly={known} required pattern="[^/\s]+" />
          </label>
          <label>
            {t('name')}
            <input value={s.name} onChange={(e) => setS({ ...s, name: e.target.value })} required />
          </label>
          <label>
            {t('level')}
            <input value={s.level} onChange={(e) => setS({ ...s, level: e.target.value })} list={`${id}-levels`} required />
            <datalist id={`${id}-levels`}>
              <option value="country">{t('country')}</option>
              <option value="region">{t('region')}</option>
              <option value="city">{t('city')}</option>
            </datalist>
          </label>
          <RegionPicker label={t('parent')} value={s.parentCode} onChange={(parentCode) => setS({ ...s, parentCode })} allowEmpty emptyLabel={t('root')} />
        </div>
        {known && <p className="muted admin-hint">{t('moveHint')}</p>}
        <div className="row">
          <button type="submit" className="primary" disabled={load.isPending}>
            {load.isPending ? c('saving') : c('save')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
        <ActionError error={load.error} />
      </form>
    </section>
  );
}

function BulkLoad({ onClose }: { onClose: () => void }) {
  const t = useT(regionMessages);
  const c = useT(common);
  const id = useId();
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const load = useLoadRegions();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const regions: RegionInput[] = [];
    const lines = linesOf(text);
    for (const [i, line] of lines.entries()) {
      const [code, name, level, parent] = line.split(/[;\t]/).map((p) => p.trim());
      if (!code || !name || !level) return setProblem(t('badLine', { n: i + 1 }));
      regions.push({ code, name, level, parentCode: parent || null });
    }
    setProblem(null);
    if (regions.length) load.mutate(regions);
  };
  return (
    <section className="card admin-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('bulk')}</h2>
      <form className="form admin-form" onSubmit={submit}>
        <label>
          {t('bulkText')}
          <textarea rows={8} className="mono" value={text} onChange={(e) => setText(e.target.value)} placeholder={'RU; Россия; country;\nRU-MOW; Москва; region; RU'} aria-describedby={`${id}-hint`} />
        </label>
        <p className="muted admin-hint" id={`${id}-hint`}>
          {t('bulkHint')}
        </p>
        <div className="row">
          <button type="submit" className="primary" disabled={load.isPending || !text.trim()}>
            {t('load')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
        <ActionError error={problem} />
        <ActionError error={load.error} />
        {load.data && (
          <p className="status ok" role="status">
            {t('loaded', { received: load.data.received, created: load.data.created, updated: load.data.updated, unchanged: load.data.unchanged, moved: load.data.descendantsMoved })}
          </p>
        )}
      </form>
    </section>
  );
}
