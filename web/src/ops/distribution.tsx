import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, ApiError, ok, type paths } from '../api/client';
import { useFormat } from '../format';
import { useT, type Translate } from '../i18n';
import { useCan } from '../session';
import { Page } from '../ui/page';
import { ActionError, Empty, ErrorState, Loading, Query } from '../ui/states';
import { Table, type Column } from '../ui/table';
import { distributionMsg } from './messages';

type ConfigVersion = paths['/v1/distribution/config']['get']['responses'][200]['content']['application/json'];
type Config = ConfigVersion['config'];
type Settings = Config['settings'];
type Tier = Config['tiers'][number];
type TierKind = Tier['kind'];
type TierOf<K extends TierKind> = Extract<Tier, { kind: K }>;
type Match = TierOf<'fixed'>['rules'][number]['match'];
type WhatIfReport = paths['/v1/distribution/what-if']['post']['responses'][200]['content']['application/json'];
type Msg = Extract<keyof (typeof distributionMsg)['en'], string>;

const KEY = ['ops', 'distribution'] as const;
const TIER_KINDS: TierKind[] = ['fixed', 'base_plus', 'rating', 'fastest', 'base', 'taxi'];
const MATCH_KEYS = ['regions', 'productLines', 'skus', 'brands', 'channels', 'channelKinds', 'channelLabels', 'orderKinds'] as const;

const EMPTY_CONFIG: Config = {
  settings: {
    pointsOnCompletion: 100,
    pointsOnDealerCancel: 50,
    fulfilmentDays: 14,
    defaultDealers: [],
    orderKinds: [],
    assortment: { rule: 'all' },
    distribute: { channelKinds: ['webshop', 'manual'], channels: [], statuses: ['received', 'in_progress', 'on_hold'] },
    preferFastAcceptance: false,
    timeZone: 'UTC',
  },
  tiers: [],
};

function newTier(kind: TierKind, from?: Tier): Tier {
  const common = { windowMinutes: from?.windowMinutes ?? 60, ...(from?.name && { name: from.name }), keepOffered: from?.keepOffered ?? true };
  switch (kind) {
    case 'fixed':
      return { kind, ...common, rules: [{ dealer: '', match: {} }] };
    case 'base_plus':
      return { kind, ...common, period: 'month', quotas: [{ dealer: '', unit: 'percent', limit: 10 }] };
    case 'rating':
      return { kind, ...common, minPoints: 0 };
    case 'fastest':
      return { kind, ...common, top: 5, minTakes: 5 };
    case 'base':
      return { kind, ...common, delayMinutes: 0, priorityDealers: [] };
    case 'taxi':
      return { kind, ...common, scope: 'region' };
  }
}

// ---- field errors from the API (error.field = config.<path>) -------------------------------------------------------

const ErrorContext = createContext<{ field: string; message: string } | null>(null);

function useFieldError(path: string): string | null {
  const error = useContext(ErrorContext);
  return error && error.field === path ? error.message : null;
}

/** A labelled control with its hint and the API's error for its path. */
function Field({ label, path, hint, children, inline }: { label: string; path: string; hint?: string; inline?: boolean; children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: true }) => ReactNode }) {
  const id = useId();
  const error = useFieldError(path);
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  const control = children({ id, 'aria-describedby': describedBy, ...(error && { 'aria-invalid': true as const }) });
  return (
    <div className="schema-field">
      {inline ? (
        <label className="inline" htmlFor={id}>
          {control}
          {label}
        </label>
      ) : (
        <>
          <label htmlFor={id}>{label}</label>
          {control}
        </>
      )}
      {hint && (
        <small id={`${id}-hint`} className="muted hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-err`} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

type ControlProps = { id: string; 'aria-describedby'?: string; 'aria-invalid'?: true };

function NumberInput({ value, onChange, props, min, max, step }: { value: number | undefined; onChange: (v: number | undefined) => void; props: ControlProps; min?: number; max?: number; step?: number }) {
  return (
    <input
      type="number"
      inputMode="numeric"
      min={min}
      max={max}
      step={step ?? 1}
      {...props}
      value={value === undefined || Number.isNaN(value) ? '' : value}
      onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
    />
  );
}

const parseCodes = (text: string) => text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);

/** A list of codes typed comma-separated; keeps what is being typed, follows changes from outside. */
function CodesInput({ value, onChange, props, list }: { value: readonly string[] | undefined; onChange: (v: string[]) => void; props: ControlProps; list?: string }) {
  const joined = (value ?? []).join(', ');
  const [text, setText] = useState(joined);
  useEffect(() => {
    if (parseCodes(text).join(', ') !== joined) setText(joined);
  }, [joined]);
  return (
    <input
      {...props}
      list={list}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        onChange(parseCodes(e.target.value));
      }}
    />
  );
}

// ---- the screen ----------------------------------------------------------------------------------------------------

interface Draft {
  settings: Settings;
  tiers: Tier[];
  keys: number[];
}

let nextKey = 1;
const draftOf = (config: Config): Draft => ({ settings: structuredClone(config.settings), tiers: structuredClone(config.tiers), keys: config.tiers.map(() => nextKey++) });
const configOf = (draft: Draft): Config => ({ settings: draft.settings, tiers: draft.tiers });

function defaultPeriod(): { from: string; to: string } {
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const day = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return { from: day(from), to: day(to) };
}

/** /ops/distribution: the strategy editor (tiers, settings), validate, what-if before saving, versions. */
export function DistributionScreen() {
  const t = useT(distributionMsg);
  const active = useQuery({
    queryKey: [...KEY, 'config'],
    queryFn: async () => {
      try {
        return await ok(api.GET('/v1/distribution/config'));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
  return (
    <Page title={t('title')}>
      {active.isPending ? (
        <Loading />
      ) : active.isError ? (
        <ErrorState error={active.error} retry={() => void active.refetch()} />
      ) : (
        <Editor key={active.data?.version ?? 0} active={active.data} />
      )}
    </Page>
  );
}

function Editor({ active }: { active: ConfigVersion | null }) {
  const t = useT(distributionMsg);
  const can = useCan();
  const client = useQueryClient();
  const editable = can('distribution.config');
  const canWhatIf = can('distribution.what-if');
  const [draft, setDraft] = useState<Draft>(() => draftOf(active?.config ?? EMPTY_CONFIG));
  const [newKind, setNewKind] = useState<TierKind>('taxi');
  const [period, setPeriod] = useState(defaultPeriod);
  const [note, setNote] = useState('');
  const [confirmNoWhatIf, setConfirmNoWhatIf] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const config = configOf(draft);
  const editsKey = JSON.stringify(config);
  const changed = editsKey !== JSON.stringify(active?.config ?? EMPTY_CONFIG);
  const liveRef = useRef<HTMLParagraphElement>(null);

  const dealers = useQuery({ queryKey: ['ops', 'dealer-codes'], queryFn: () => ok(api.GET('/v1/dealers', { params: { query: { limit: 1000 } } })), staleTime: 60_000 });

  const validate = useMutation({ mutationFn: () => ok(api.POST('/v1/distribution/config/validate', { body: { config } })), onSuccess: () => setMessage(t('valid')) });
  const whatIf = useMutation({
    mutationFn: async () => {
      const range = { from: new Date(`${period.from}T00:00`).toISOString(), to: new Date(new Date(`${period.to}T00:00`).getTime() + 86_400_000).toISOString() };
      const [proposed, current] = await Promise.all([
        ok(api.POST('/v1/distribution/what-if', { body: { config, ...range } })),
        active ? ok(api.POST('/v1/distribution/what-if', { body: { version: active.version, ...range } })) : Promise.resolve(null),
      ]);
      return { proposed, current, key: editsKey };
    },
  });
  const save = useMutation({
    mutationFn: () => ok(api.PUT('/v1/distribution/config', { body: { config, note: note.trim() || null } })),
    onSuccess: (saved) => {
      client.setQueryData([...KEY, 'config'], saved);
      void client.invalidateQueries({ queryKey: [...KEY, 'versions'] });
    },
  });
  const error = [save.error, validate.error, whatIf.error].find((e) => e instanceof ApiError && e.field) as ApiError | undefined;
  const fieldError = error?.field ? { field: error.field, message: error.message } : null;

  const whatIfCurrent = whatIf.data?.key === editsKey;
  const canSave = editable && note.trim() !== '' && (whatIfCurrent || confirmNoWhatIf) && !save.isPending;

  const update = (change: (d: Draft) => Draft) => {
    setMessage(null);
    validate.reset();
    setDraft(change);
  };
  const setSettings = (settings: Settings) => update((d) => ({ ...d, settings }));
  const setTier = (i: number, tier: Tier) => update((d) => ({ ...d, tiers: d.tiers.map((x, j) => (j === i ? tier : x)) }));
  const move = (i: number, by: -1 | 1) =>
    update((d) => {
      const j = i + by;
      if (j < 0 || j >= d.tiers.length) return d;
      const tiers = [...d.tiers];
      const keys = [...d.keys];
      [tiers[i], tiers[j]] = [tiers[j]!, tiers[i]!];
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
      return { ...d, tiers, keys };
    });
  const remove = (i: number) => update((d) => ({ ...d, tiers: d.tiers.filter((_, j) => j !== i), keys: d.keys.filter((_, j) => j !== i) }));
  const add = () => update((d) => ({ ...d, tiers: [...d.tiers, newTier(newKind)], keys: [...d.keys, nextKey++] }));

  useEffect(() => {
    if (message) liveRef.current?.focus();
  }, [message]);

  return (
    <ErrorContext.Provider value={fieldError}>
      <datalist id="dealer-codes">
        {dealers.data?.dealers.map((d) => (
          <option key={d.code} value={d.code}>
            {d.name}
          </option>
        ))}
      </datalist>
      <div className="card row spread">
        <span>
          {active ? t('inForce', { version: active.version }) : t('off')}
          {changed && <span className="status warn"> {t('unsaved')}</span>}
        </span>
        {!editable && <span className="muted">{t('readOnly')}</span>}
        {editable && changed && (
          <button type="button" className="link" onClick={() => update(() => draftOf(active?.config ?? EMPTY_CONFIG))}>
            {t('discard')}
          </button>
        )}
      </div>

      <fieldset className="plain" disabled={!editable}>
        <section aria-labelledby="tiers-title" className="stack">
          <h2 id="tiers-title">{t('tiers')}</h2>
          <p className="muted small">{t('tiersHint')}</p>
          {draft.tiers.length === 0 && <Empty>{t('noTiers')}</Empty>}
          <ol className="tier-list">
            {draft.tiers.map((tier, i) => (
              <li key={draft.keys[i]}>
                <TierEditor index={i} count={draft.tiers.length} tier={tier} onChange={(next) => setTier(i, next)} onMove={(by) => move(i, by)} onRemove={() => remove(i)} editable={editable} />
              </li>
            ))}
          </ol>
          {editable && (
            <div className="row">
              <div className="schema-field">
                <label htmlFor="new-tier-kind">{t('newTierKind')}</label>
                <select id="new-tier-kind" value={newKind} onChange={(e) => setNewKind(e.target.value as TierKind)}>
                  {TIER_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {t(`kind_${k}`)}
                    </option>
                  ))}
                </select>
              </div>
              <button type="button" onClick={add} className="align-end">
                {t('addTier')}
              </button>
            </div>
          )}
        </section>

        <SettingsEditor settings={draft.settings} onChange={setSettings} />
      </fieldset>

      {(editable || canWhatIf) && (
        <section aria-labelledby="check-title" className="card stack">
          <h2 id="check-title">{t('checkAndSave')}</h2>
          {error && (
            <p className="state-error inline" role="alert">
              {error.field}: {error.message}
            </p>
          )}
          <ActionError error={[save.error, validate.error, whatIf.error].find((e) => e && !(e instanceof ApiError && e.field))} />
          {message && (
            <p className="status ok" role="status" tabIndex={-1} ref={liveRef}>
              {message}
            </p>
          )}
          {editable && (
            <div className="row">
              <button type="button" onClick={() => validate.mutate()} disabled={validate.isPending}>
                {validate.isPending ? t('validating') : t('validate')}
              </button>
            </div>
          )}
          {canWhatIf && (
            <fieldset>
              <legend>{t('whatIfTitle')}</legend>
              <p className="muted small">{t('whatIfHint')}</p>
              <div className="row">
                <div className="schema-field">
                  <label htmlFor="whatif-from">{t('from')}</label>
                  <input id="whatif-from" type="date" value={period.from} max={period.to} onChange={(e) => setPeriod((p) => ({ ...p, from: e.target.value }))} />
                </div>
                <div className="schema-field">
                  <label htmlFor="whatif-to">{t('to')}</label>
                  <input id="whatif-to" type="date" value={period.to} min={period.from} onChange={(e) => setPeriod((p) => ({ ...p, to: e.target.value }))} />
                </div>
                <button type="button" className="align-end" onClick={() => whatIf.mutate()} disabled={whatIf.isPending || !period.from || !period.to}>
                  {whatIf.isPending ? t('whatIfRunning') : t('whatIf')}
                </button>
              </div>
            </fieldset>
          )}
          {whatIf.isPending && <Loading label={t('whatIfRunning')} />}
          {whatIf.data && <WhatIfView proposed={whatIf.data.proposed} current={whatIf.data.current} stale={!whatIfCurrent} />}
          {editable && (
            <div className="stack">
              <div className="schema-field">
                <label htmlFor="save-comment">{t('comment')}</label>
                <input id="save-comment" value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} required aria-describedby="save-hint" />
              </div>
              <small id="save-hint" className="muted hint">
                {whatIfCurrent ? t('saveReady') : t('saveNeedsWhatIf')}
              </small>
              {!whatIfCurrent && (
                <label className="inline">
                  <input type="checkbox" checked={confirmNoWhatIf} onChange={(e) => setConfirmNoWhatIf(e.target.checked)} />
                  {t('saveWithout')}
                </label>
              )}
              <div className="row">
                <button type="button" className="primary" disabled={!canSave} onClick={() => save.mutate()}>
                  {save.isPending ? t('saving') : t('save')}
                </button>
              </div>
            </div>
          )}
        </section>
      )}
      <Versions active={active} onLoad={editable ? (c) => update(() => draftOf(c)) : undefined} />
    </ErrorContext.Provider>
  );
}

// ---- a tier --------------------------------------------------------------------------------------------------------

function TierEditor({ index, count, tier, onChange, onMove, onRemove, editable }: { index: number; count: number; tier: Tier; onChange: (t: Tier) => void; onMove: (by: -1 | 1) => void; onRemove: () => void; editable: boolean }) {
  const t = useT(distributionMsg);
  const n = index + 1;
  const path = `config.tiers.${index}`;
  const error = useContext(ErrorContext);
  const faulty = error?.field === path || error?.field.startsWith(`${path}.`);
  const set = <K extends keyof Tier>(key: K, value: Tier[K]) => onChange({ ...tier, [key]: value } as Tier);
  const title = t('tierTitle', { n, name: tier.name ?? t(`kind_${tier.kind}`) });
  return (
    <fieldset className={`tier card${faulty ? ' faulty' : ''}`} data-testid={`tier-${n}`}>
      <legend>{title}</legend>
      {error?.field === path && (
        <p className="field-error" role="alert">
          {error.message}
        </p>
      )}
      {editable && (
        <div className="row tier-tools">
          <button type="button" onClick={() => onMove(-1)} disabled={index === 0} aria-label={t('moveUp', { n })}>
            ↑ {t('up')}
          </button>
          <button type="button" onClick={() => onMove(1)} disabled={index === count - 1} aria-label={t('moveDown', { n })}>
            ↓ {t('down')}
          </button>
          <button type="button" className="danger" onClick={onRemove} aria-label={t('removeTier', { n })}>
            {t('remove')}
          </button>
        </div>
      )}
      <div className="grid-fields">
        <Field label={t('kind')} path={`${path}.kind`}>
          {(p) => (
            <select {...p} value={tier.kind} onChange={(e) => onChange(newTier(e.target.value as TierKind, tier))}>
              {TIER_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`kind_${k}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('tierName')} path={`${path}.name`}>
          {(p) => <input {...p} value={tier.name ?? ''} placeholder={tier.kind} maxLength={100} onChange={(e) => set('name', e.target.value || undefined)} />}
        </Field>
        <Field label={t('window')} path={`${path}.windowMinutes`} hint={t('windowHint')}>
          {(p) => <NumberInput props={p} min={1} value={tier.windowMinutes} onChange={(v) => set('windowMinutes', v as number)} />}
        </Field>
        <Field label={t('keepOffered')} path={`${path}.keepOffered`} inline hint={t('keepOfferedHint')}>
          {(p) => <input type="checkbox" {...p} checked={tier.keepOffered ?? true} onChange={(e) => set('keepOffered', e.target.checked)} />}
        </Field>
        <KindFields tier={tier} path={path} onChange={onChange} t={t} />
      </div>
    </fieldset>
  );
}

function KindFields({ tier, path, onChange, t }: { tier: Tier; path: string; onChange: (t: Tier) => void; t: Translate<Msg> }) {
  switch (tier.kind) {
    case 'rating':
      return (
        <>
          <Field label={t('minPoints')} path={`${path}.minPoints`}>
            {(p) => <NumberInput props={p} value={tier.minPoints} onChange={(v) => onChange({ ...tier, minPoints: v as number })} />}
          </Field>
          <Field label={t('top')} path={`${path}.top`} hint={t('topHint')}>
            {(p) => <NumberInput props={p} min={1} value={tier.top} onChange={(v) => onChange({ ...tier, top: v })} />}
          </Field>
        </>
      );
    case 'fastest':
      return (
        <>
          <Field label={t('topFastest')} path={`${path}.top`}>
            {(p) => <NumberInput props={p} min={1} value={tier.top} onChange={(v) => onChange({ ...tier, top: v as number })} />}
          </Field>
          <Field label={t('minTakes')} path={`${path}.minTakes`} hint={t('minTakesHint')}>
            {(p) => <NumberInput props={p} min={1} value={tier.minTakes} onChange={(v) => onChange({ ...tier, minTakes: v as number })} />}
          </Field>
        </>
      );
    case 'base':
      return (
        <>
          <Field label={t('delay')} path={`${path}.delayMinutes`} hint={t('delayHint')}>
            {(p) => <NumberInput props={p} min={0} value={tier.delayMinutes} onChange={(v) => onChange({ ...tier, delayMinutes: v as number })} />}
          </Field>
          <Field label={t('priorityDealers')} path={`${path}.priorityDealers`} hint={t('codesHint')}>
            {(p) => <CodesInput props={p} list="dealer-codes" value={tier.priorityDealers} onChange={(v) => onChange({ ...tier, priorityDealers: v })} />}
          </Field>
        </>
      );
    case 'taxi':
      return (
        <Field label={t('scope')} path={`${path}.scope`}>
          {(p) => (
            <select {...p} value={tier.scope} onChange={(e) => onChange({ ...tier, scope: e.target.value as 'region' | 'everywhere' })}>
              <option value="region">{t('scope_region')}</option>
              <option value="everywhere">{t('scope_everywhere')}</option>
            </select>
          )}
        </Field>
      );
    case 'base_plus':
      return (
        <>
          <Field label={t('period')} path={`${path}.period`}>
            {(p) => (
              <select {...p} value={tier.period} onChange={(e) => onChange({ ...tier, period: e.target.value as 'day' | 'week' | 'month' })}>
                <option value="day">{t('period_day')}</option>
                <option value="week">{t('period_week')}</option>
                <option value="month">{t('period_month')}</option>
              </select>
            )}
          </Field>
          <fieldset className="wide">
            <legend>{t('quotas')}</legend>
            {tier.quotas.map((q, i) => {
              const set = (next: Partial<typeof q>) => onChange({ ...tier, quotas: tier.quotas.map((x, j) => (j === i ? { ...x, ...next } : x)) });
              return (
                <div key={i} className="row sub-row" role="group" aria-label={t('quotaN', { n: i + 1 })}>
                  <Field label={t('dealer')} path={`${path}.quotas.${i}.dealer`}>
                    {(p) => <input {...p} list="dealer-codes" value={q.dealer} onChange={(e) => set({ dealer: e.target.value })} />}
                  </Field>
                  <Field label={t('unit')} path={`${path}.quotas.${i}.unit`}>
                    {(p) => (
                      <select {...p} value={q.unit} onChange={(e) => set({ unit: e.target.value as 'percent' | 'count' })}>
                        <option value="percent">{t('unit_percent')}</option>
                        <option value="count">{t('unit_count')}</option>
                      </select>
                    )}
                  </Field>
                  <Field label={t('limit')} path={`${path}.quotas.${i}.limit`}>
                    {(p) => <NumberInput props={p} step={0.01} min={0} value={q.limit} onChange={(v) => set({ limit: v as number })} />}
                  </Field>
                  <button type="button" className="danger align-end" aria-label={t('removeQuota', { n: i + 1 })} onClick={() => onChange({ ...tier, quotas: tier.quotas.filter((_, j) => j !== i) })}>
                    {t('remove')}
                  </button>
                </div>
              );
            })}
            <button type="button" onClick={() => onChange({ ...tier, quotas: [...tier.quotas, { dealer: '', unit: 'percent', limit: 10 }] })}>
              {t('addQuota')}
            </button>
          </fieldset>
        </>
      );
    case 'fixed':
      return (
        <div className="wide">
          <DealerRules rules={tier.rules} path={`${path}.rules`} legend={t('rules')} onChange={(rules) => onChange({ ...tier, rules })} />
        </div>
      );
  }
}

/** Rules "this dealer for orders like this" (fixed tiers, default dealers). */
function DealerRules({ rules, path, legend, onChange }: { rules: { dealer: string; match: Match }[]; path: string; legend: string; onChange: (rules: { dealer: string; match: Match }[]) => void }) {
  const t = useT(distributionMsg);
  return (
    <fieldset>
      <legend>{legend}</legend>
      {rules.length === 0 && <p className="muted small">{t('noRules')}</p>}
      {rules.map((rule, i) => {
        const set = (next: { dealer: string; match: Match }) => onChange(rules.map((x, j) => (j === i ? next : x)));
        return (
          <div key={i} className="sub-card" role="group" aria-label={t('ruleN', { n: i + 1 })}>
            <div className="grid-fields">
              <Field label={t('dealer')} path={`${path}.${i}.dealer`}>
                {(p) => <input {...p} list="dealer-codes" value={rule.dealer} onChange={(e) => set({ ...rule, dealer: e.target.value })} />}
              </Field>
              {MATCH_KEYS.map((key) => (
                <Field key={key} label={t(`match_${key}`)} path={`${path}.${i}.match.${key}`}>
                  {(p) => (
                    <CodesInput
                      props={p}
                      value={rule.match[key]}
                      onChange={(v) => {
                        const match = { ...rule.match };
                        if (v.length) match[key] = v;
                        else delete match[key];
                        set({ ...rule, match });
                      }}
                    />
                  )}
                </Field>
              ))}
            </div>
            <button type="button" className="danger" aria-label={t('removeRule', { n: i + 1 })} onClick={() => onChange(rules.filter((_, j) => j !== i))}>
              {t('remove')}
            </button>
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...rules, { dealer: '', match: {} }])}>
        {t('addRule')}
      </button>
    </fieldset>
  );
}

// ---- settings ------------------------------------------------------------------------------------------------------

function SettingsEditor({ settings, onChange }: { settings: Settings; onChange: (s: Settings) => void }) {
  const t = useT(distributionMsg);
  const p0 = 'config.settings';
  const set = <K extends keyof Settings>(key: K, value: Settings[K]) => onChange({ ...settings, [key]: value });
  return (
    <section aria-labelledby="settings-title" className="stack">
      <h2 id="settings-title">{t('settings')}</h2>
      <div className="card grid-fields">
        <Field label={t('fallbackDealer')} path={`${p0}.fallbackDealer`} hint={t('fallbackHint')}>
          {(p) => <input {...p} list="dealer-codes" value={settings.fallbackDealer ?? ''} onChange={(e) => set('fallbackDealer', e.target.value.trim() || undefined)} />}
        </Field>
        <Field label={t('pointsOnCompletion')} path={`${p0}.pointsOnCompletion`}>
          {(p) => <NumberInput props={p} min={0} value={settings.pointsOnCompletion} onChange={(v) => set('pointsOnCompletion', v as number)} />}
        </Field>
        <Field label={t('pointsOnDealerCancel')} path={`${p0}.pointsOnDealerCancel`}>
          {(p) => <NumberInput props={p} min={0} value={settings.pointsOnDealerCancel} onChange={(v) => set('pointsOnDealerCancel', v as number)} />}
        </Field>
        <Field label={t('fulfilmentDays')} path={`${p0}.fulfilmentDays`}>
          {(p) => <NumberInput props={p} min={1} value={settings.fulfilmentDays} onChange={(v) => set('fulfilmentDays', v as number)} />}
        </Field>
        <Field label={t('timeZone')} path={`${p0}.timeZone`} hint={t('timeZoneHint')}>
          {(p) => <input {...p} value={settings.timeZone} onChange={(e) => set('timeZone', e.target.value)} />}
        </Field>
        <Field label={t('preferFast')} path={`${p0}.preferFastAcceptance`} inline>
          {(p) => <input type="checkbox" {...p} checked={settings.preferFastAcceptance} onChange={(e) => set('preferFastAcceptance', e.target.checked)} />}
        </Field>
        <Field label={t('assortmentRule')} path={`${p0}.assortment.rule`}>
          {(p) => (
            <select {...p} value={settings.assortment.rule} onChange={(e) => set('assortment', { ...settings.assortment, rule: e.target.value as 'all' | 'any' | 'share' })}>
              <option value="all">{t('assortment_all')}</option>
              <option value="any">{t('assortment_any')}</option>
              <option value="share">{t('assortment_share')}</option>
            </select>
          )}
        </Field>
        {settings.assortment.rule === 'share' && (
          <Field label={t('minShare')} path={`${p0}.assortment.minShare`} hint={t('minShareHint')}>
            {(p) => <NumberInput props={p} min={0} max={1} step={0.05} value={settings.assortment.minShare} onChange={(v) => set('assortment', { ...settings.assortment, minShare: v })} />}
          </Field>
        )}
        <Field label={t('distributeKinds')} path={`${p0}.distribute.channelKinds`} hint={t('codesHint')}>
          {(p) => <CodesInput props={p} value={settings.distribute.channelKinds} onChange={(v) => set('distribute', { ...settings.distribute, channelKinds: v })} />}
        </Field>
        <Field label={t('distributeChannels')} path={`${p0}.distribute.channels`} hint={t('codesHint')}>
          {(p) => <CodesInput props={p} value={settings.distribute.channels} onChange={(v) => set('distribute', { ...settings.distribute, channels: v })} />}
        </Field>
        <Field label={t('distributeStatuses')} path={`${p0}.distribute.statuses`} hint={t('codesHint')}>
          {(p) => <CodesInput props={p} value={settings.distribute.statuses} onChange={(v) => set('distribute', { ...settings.distribute, statuses: v })} />}
        </Field>
      </div>
      <DealerRules rules={settings.defaultDealers} path={`${p0}.defaultDealers`} legend={t('defaultDealers')} onChange={(v) => set('defaultDealers', v)} />
      <fieldset>
        <legend>{t('orderKinds')}</legend>
        {settings.orderKinds.length === 0 && <p className="muted small">{t('noOrderKinds')}</p>}
        {settings.orderKinds.map((k, i) => {
          const setKind = (next: typeof k) => set('orderKinds', settings.orderKinds.map((x, j) => (j === i ? next : x)));
          return (
            <div key={i} className="row sub-row" role="group" aria-label={t('orderKindN', { n: i + 1 })}>
              <Field label={t('orderKind')} path={`${p0}.orderKinds.${i}.kind`}>
                {(p) => <input {...p} value={k.kind} onChange={(e) => setKind({ ...k, kind: e.target.value })} />}
              </Field>
              <Field label={t('match_productLines')} path={`${p0}.orderKinds.${i}.productLines`}>
                {(p) => <CodesInput props={p} value={k.productLines} onChange={(v) => setKind({ ...k, productLines: v.length ? v : undefined })} />}
              </Field>
              <Field label={t('match_skus')} path={`${p0}.orderKinds.${i}.skus`}>
                {(p) => <CodesInput props={p} value={k.skus} onChange={(v) => setKind({ ...k, skus: v.length ? v : undefined })} />}
              </Field>
              <button type="button" className="danger align-end" aria-label={t('removeOrderKind', { n: i + 1 })} onClick={() => set('orderKinds', settings.orderKinds.filter((_, j) => j !== i))}>
                {t('remove')}
              </button>
            </div>
          );
        })}
        <button type="button" onClick={() => set('orderKinds', [...settings.orderKinds, { kind: '' }])}>
          {t('addOrderKind')}
        </button>
      </fieldset>
    </section>
  );
}

// ---- what-if -------------------------------------------------------------------------------------------------------

function Change({ from, to }: { from: number | null | undefined; to: number }) {
  if (from === null || from === undefined) return <>—</>;
  const d = to - from;
  return <span className={d > 0 ? 'up' : d < 0 ? 'down' : 'muted'}>{d > 0 ? `+${d}` : d === 0 ? '0' : `−${-d}`}</span>;
}

function WhatIfView({ proposed, current, stale }: { proposed: WhatIfReport; current: WhatIfReport | null; stale: boolean }) {
  const t = useT(distributionMsg);
  const f = useFormat();
  const outcomes = ['offered', 'default', 'fallback', 'unassigned', 'fellBackAfterOffers'] as const;
  const dealers = useMemo(() => {
    const codes = new Set([...proposed.byDealer.map((d) => d.dealer), ...(current?.byDealer.map((d) => d.dealer) ?? [])]);
    return [...codes]
      .map((dealer) => {
        const p = proposed.byDealer.find((d) => d.dealer === dealer);
        const c = current?.byDealer.find((d) => d.dealer === dealer);
        return { dealer, offered: p?.offered ?? 0, wouldGet: p?.wouldGet ?? 0, current: current ? (c?.wouldGet ?? 0) : null, actuallyGot: p?.actuallyGot ?? c?.actuallyGot ?? 0 };
      })
      .sort((a, b) => b.wouldGet - a.wouldGet || a.dealer.localeCompare(b.dealer));
  }, [proposed, current]);
  const dealerColumns: Column<(typeof dealers)[number]>[] = [
    { key: 'dealer', header: t('dealer'), cell: (d) => d.dealer },
    { key: 'current', header: t('currentConfig'), numeric: true, cell: (d) => (d.current === null ? '—' : f.number(d.current)) },
    { key: 'proposed', header: t('edited'), numeric: true, cell: (d) => f.number(d.wouldGet) },
    { key: 'change', header: t('change'), numeric: true, cell: (d) => <Change from={d.current} to={d.wouldGet} /> },
    { key: 'offered', header: t('offeredTo'), numeric: true, wide: true, cell: (d) => f.number(d.offered) },
    { key: 'actual', header: t('actuallyGot'), numeric: true, cell: (d) => f.number(d.actuallyGot) },
  ];
  const stats = (s: WhatIfReport['minutesToAssignment']['simulated']) => (s ? t('stats', { median: f.number(Math.round(s.median)), p90: f.number(Math.round(s.p90)) }) : '—');
  return (
    <section aria-labelledby="whatif-report" className="stack whatif" aria-live="polite">
      <h3 id="whatif-report">{t('report', { from: f.dateTime(proposed.from), to: f.dateTime(proposed.to) })}</h3>
      {stale && (
        <p className="status warn" role="status">
          {t('staleWhatIf')}
        </p>
      )}
      <p>
        {t('ordersConsidered', { n: f.number(proposed.orders) })}
        {proposed.notDistributed > 0 && ` · ${t('notDistributed', { n: f.number(proposed.notDistributed) })}`}
      </p>
      {proposed.orders === 0 ? (
        <Empty>{t('noOrders')}</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table>
              <caption className="muted">{t('outcomesCaption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('outcome')}</th>
                  <th scope="col" className="num">
                    {t('currentConfig')}
                  </th>
                  <th scope="col" className="num">
                    {t('edited')}
                  </th>
                  <th scope="col" className="num">
                    {t('change')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {outcomes.map((o) => (
                  <tr key={o}>
                    <th scope="row">{t(`outcome_${o}`)}</th>
                    <td className="num">{current ? f.number(current.outcomes[o]) : '—'}</td>
                    <td className="num">{f.number(proposed.outcomes[o])}</td>
                    <td className="num">
                      <Change from={current?.outcomes[o]} to={proposed.outcomes[o]} />
                    </td>
                  </tr>
                ))}
                <tr>
                  <th scope="row">{t('waitMinutes')}</th>
                  <td className="num">{current ? stats(current.minutesToAssignment.simulated) : '—'}</td>
                  <td className="num">{stats(proposed.minutesToAssignment.simulated)}</td>
                  <td className="num muted">{t('actualWait', { stats: stats(proposed.minutesToAssignment.actual) })}</td>
                </tr>
              </tbody>
            </table>
          </div>
          <Table caption={t('byDealerCaption')} rows={dealers} columns={dealerColumns} rowKey={(d) => d.dealer} />
          {proposed.sample.length > 0 && (
            <details>
              <summary>{t('sampleTitle', { n: proposed.sample.length })}</summary>
              <Table
                rows={proposed.sample}
                rowKey={(r) => r.orderId}
                rowClass={(r) => (r.dealer !== r.actualDealer ? 'changed' : undefined)}
                columns={[
                  { key: 'order', header: t('order'), cell: (r) => r.number ?? r.orderId.slice(0, 8) },
                  { key: 'placed', header: t('placed'), wide: true, cell: (r) => f.dateTime(r.placedAt) },
                  { key: 'would', header: t('wouldGo'), cell: (r) => [r.dealer ?? t(`outcome_${r.outcome === 'offer' ? 'offered' : 'unassigned'}`), r.via, r.tier].filter(Boolean).join(' · ') },
                  { key: 'actual', header: t('actually'), cell: (r) => [r.actualDealer ?? '—', r.actualVia].filter(Boolean).join(' · ') },
                ]}
              />
            </details>
          )}
          {proposed.byTier.length > 0 && (
            <Table
              caption={t('byTierCaption')}
              rows={proposed.byTier}
              rowKey={(r) => String(r.tier)}
              columns={[
                { key: 'tier', header: t('tier'), cell: (r) => `${r.tier + 1}. ${r.name} (${r.kind})` },
                { key: 'orders', header: t('tierOrders'), numeric: true, cell: (r) => f.number(r.orders) },
                { key: 'taken', header: t('tierTaken'), numeric: true, cell: (r) => f.number(r.taken) },
              ]}
            />
          )}
        </>
      )}
    </section>
  );
}

// ---- versions ------------------------------------------------------------------------------------------------------

function Versions({ active, onLoad }: { active: ConfigVersion | null; onLoad?: (config: Config) => void }) {
  const t = useT(distributionMsg);
  const f = useFormat();
  const versions = useQuery({ queryKey: [...KEY, 'versions', active?.version ?? 0], queryFn: () => ok(api.GET('/v1/distribution/config/versions')) });
  const columns: Column<ConfigVersion>[] = [
    { key: 'version', header: t('version'), cell: (v) => (v.version === active?.version ? t('versionInForce', { version: v.version }) : String(v.version)) },
    { key: 'when', header: t('when'), cell: (v) => f.dateTime(v.createdAt) },
    { key: 'who', header: t('who'), cell: (v) => v.createdBy },
    { key: 'note', header: t('comment'), cell: (v) => v.note ?? '—' },
    { key: 'tiers', header: t('tiers'), wide: true, cell: (v) => v.config.tiers.map((x) => x.name ?? x.kind).join(' → ') || '—' },
    ...(onLoad
      ? [
          {
            key: 'load',
            header: t('actions'),
            cell: (v: ConfigVersion) => (
              <button type="button" aria-label={t('loadVersion', { version: v.version })} onClick={() => onLoad(v.config)}>
                {t('load')}
              </button>
            ),
          },
        ]
      : []),
  ];
  return (
    <section aria-labelledby="versions-title" className="stack">
      <h2 id="versions-title">{t('versions')}</h2>
      <Query query={versions}>{(data) => (data.items.length === 0 ? <Empty>{t('noVersions')}</Empty> : <Table rows={data.items} columns={columns} rowKey={(v) => String(v.version)} />)}</Query>
    </section>
  );
}
