import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, ok } from '../../api/client';
import { useFormat } from '../../format';
import { useT } from '../../i18n';
import { useCan } from '../../session';
import { Page } from '../../ui/page';
import { ActionError, Empty, Query } from '../../ui/states';
import { Table } from '../../ui/table';
import { common, ruleMessages } from './messages';
import { codesOf, linesOf, ReadOnlyNote, RegionPicker } from './shared';
import { SCOPES, type CheckResult, type Rule, type RuleInput, type RuleQuery } from './types';

type Scope = RuleInput['scope'];
const scopeKey = (scope: Scope) => `scope_${scope}` as const;

/** /ops/exclusivity: the rules with filters; exclusivity.write makes, changes and deletes them; a check tool for a dealer's order. */
export function ExclusivityScreen() {
  const t = useT(ruleMessages);
  const c = useT(common);
  const f = useFormat();
  const can = useCan();
  const writable = can('exclusivity.write');
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const filter: RuleQuery = {};
  for (const key of ['scope', 'value', 'regionCode', 'dealerCode', 'activeOn'] as const) {
    const v = params.get(key);
    if (v) (filter as Record<string, string>)[key] = v;
  }
  const [draft, setDraft] = useState({ value: filter.value ?? '', dealerCode: filter.dealerCode ?? '' });
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const query = useQuery({ queryKey: ['exclusivity-rules', filter], queryFn: () => ok(api.GET('/v1/exclusivity-rules', { params: { query: filter } })), placeholderData: (p) => p });
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE('/v1/exclusivity-rules/{id}', { params: { path: { id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['exclusivity-rules'] }),
  });
  const validity = (r: Rule) =>
    !r.validFrom && !r.validTo ? t('always') : [r.validFrom ? t('from', { d: f.date(r.validFrom) }) : '', r.validTo ? t('to', { d: f.date(r.validTo) }) : ''].filter(Boolean).join(' ');
  return (
    <Page
      title={t('title')}
      actions={
        writable && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            {t('create')}
          </button>
        )
      }
    >
      <ReadOnlyNote show={!writable} />
      {editing && <RuleForm key={editing === 'new' ? 'new' : editing.id} rule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      <h2>{t('rules')}</h2>
      <form
        className="admin-filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const next = new URLSearchParams(params);
          for (const [k, v] of Object.entries(draft)) if (v.trim()) next.set(k, v.trim());
          else next.delete(k);
          setParams(next, { replace: true });
        }}
      >
        <label>
          {t('scope')}
          <select value={filter.scope ?? ''} onChange={(e) => set('scope', e.target.value)}>
            <option value="">{c('any')}</option>
            {SCOPES.map((s) => (
              <option key={s} value={s}>
                {t(scopeKey(s))}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('value')}
          <input value={draft.value} onChange={(e) => setDraft({ ...draft, value: e.target.value })} />
        </label>
        <RegionPicker label={t('region')} value={filter.regionCode ?? ''} onChange={(code) => set('regionCode', code)} allowEmpty emptyLabel={c('any')} />
        <label>
          {t('dealer')}
          <input value={draft.dealerCode} onChange={(e) => setDraft({ ...draft, dealerCode: e.target.value })} />
        </label>
        <label>
          {t('activeOn')}
          <input type="date" value={filter.activeOn ?? ''} onChange={(e) => set('activeOn', e.target.value)} />
        </label>
        <button type="submit">{c('search')}</button>
        {params.size > 0 && (
          <button
            type="button"
            className="link"
            onClick={() => {
              setDraft({ value: '', dealerCode: '' });
              setParams(new URLSearchParams(), { replace: true });
            }}
          >
            {c('reset')}
          </button>
        )}
      </form>
      <Query query={query}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{params.size > 0 ? t('none') : t('noRules')}</Empty>
          ) : (
            <Table
              rows={data.items}
              rowKey={(r) => r.id}
              columns={[
                {
                  key: 'rule',
                  header: t('colRule'),
                  cell: (r) => (
                    <>
                      <span className="status">{t(scopeKey(r.scope))}</span> <strong className="mono">{r.value}</strong>
                      {r.note && <div className="muted admin-hint">{r.note}</div>}
                    </>
                  ),
                },
                { key: 'region', header: t('colRegion'), cell: (r) => <span className="mono">{r.regionCode}</span> },
                { key: 'dealers', header: t('colDealers'), cell: (r) => <span className="mono">{r.dealerCodes.join(', ')}</span> },
                { key: 'valid', header: t('colValid'), cell: validity, wide: true },
                {
                  key: 'actions',
                  header: '',
                  cell: (r) =>
                    writable && (
                      <span className="row">
                        <button type="button" aria-label={t('editNamed', { value: r.value, region: r.regionCode })} onClick={() => setEditing(r)}>
                          {c('edit')}
                        </button>
                        <button
                          type="button"
                          className="danger"
                          aria-label={t('deleteNamed', { value: r.value, region: r.regionCode })}
                          disabled={remove.isPending}
                          onClick={() => window.confirm(t('confirmDelete', { value: r.value, region: r.regionCode })) && remove.mutate(r.id)}
                        >
                          {c('delete')}
                        </button>
                      </span>
                    ),
                },
              ]}
            />
          )
        }
      </Query>
      <ActionError error={remove.error} />
      <CheckTool />
    </Page>
  );
}

function RuleForm({ rule, onClose }: { rule: Rule | null; onClose: () => void }) {
  const t = useT(ruleMessages);
  const c = useT(common);
  const id = useId();
  const client = useQueryClient();
  const [s, setS] = useState({
    scope: rule?.scope ?? ('product' as Scope),
    value: rule?.value ?? '',
    regionCode: rule?.regionCode ?? '',
    dealerCodes: rule?.dealerCodes.join(', ') ?? '',
    validFrom: rule?.validFrom ?? '',
    validTo: rule?.validTo ?? '',
    externalId: rule?.externalId ?? '',
    note: rule?.note ?? '',
  });
  const save = useMutation({
    mutationFn: () => {
      const body: RuleInput = {
        scope: s.scope,
        value: s.value.trim(),
        regionCode: s.regionCode,
        dealerCodes: codesOf(s.dealerCodes),
        validFrom: s.validFrom || null,
        validTo: s.validTo || null,
        externalId: s.externalId.trim() || null,
        note: s.note.trim() || null,
      };
      return rule ? ok(api.PATCH('/v1/exclusivity-rules/{id}', { params: { path: { id: rule.id } }, body })) : ok(api.POST('/v1/exclusivity-rules', { body }));
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['exclusivity-rules'] });
      onClose();
    },
  });
  return (
    <section className="card admin-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{rule ? t('editTitle') : t('createTitle')}</h2>
      <form
        className="form admin-form"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <div className="admin-grid">
          <label>
            {t('scope')}
            <select value={s.scope} onChange={(e) => setS({ ...s, scope: e.target.value as Scope })}>
              {SCOPES.map((scope) => (
                <option key={scope} value={scope}>
                  {t(scopeKey(scope))}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('value')}
            <input value={s.value} onChange={(e) => setS({ ...s, value: e.target.value })} required maxLength={300} />
          </label>
          <RegionPicker label={t('region')} value={s.regionCode} onChange={(regionCode) => setS({ ...s, regionCode })} required />
          <div className="admin-field">
            <label>
              {t('dealers')}
              <input value={s.dealerCodes} onChange={(e) => setS({ ...s, dealerCodes: e.target.value })} required aria-describedby={`${id}-dh`} />
            </label>
            <span className="muted admin-hint" id={`${id}-dh`}>
              {t('dealersHint')}
            </span>
          </div>
          <label>
            {t('validFrom')}
            <input type="date" value={s.validFrom} onChange={(e) => setS({ ...s, validFrom: e.target.value })} />
          </label>
          <label>
            {t('validTo')}
            <input type="date" value={s.validTo} onChange={(e) => setS({ ...s, validTo: e.target.value })} />
          </label>
          <label>
            {t('externalId')}
            <input value={s.externalId} onChange={(e) => setS({ ...s, externalId: e.target.value })} maxLength={200} />
          </label>
        </div>
        <label>
          {t('note')}
          <textarea value={s.note} onChange={(e) => setS({ ...s, note: e.target.value })} maxLength={2000} />
        </label>
        <div className="row">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? c('saving') : c('save')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
        <ActionError error={save.error} />
      </form>
    </section>
  );
}

function CheckTool() {
  const t = useT(ruleMessages);
  const id = useId();
  const [s, setS] = useState({ dealer: '', lines: '', date: '', deliveryRegion: '' });
  const check = useMutation({
    mutationFn: (): Promise<CheckResult> =>
      ok(
        api.POST('/v1/exclusivity/check', {
          body: {
            dealer: { code: s.dealer.trim() },
            lines: linesOf(s.lines).map((sku) => ({ sku })),
            ...(s.date ? { date: s.date } : {}),
            ...(s.deliveryRegion ? { deliveryRegion: s.deliveryRegion } : {}),
          },
        }),
      ),
  });
  return (
    <section className="card admin-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('check')}</h2>
      <p className="muted admin-hint">{t('checkHint')}</p>
      <form
        className="form admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (s.dealer.trim() && linesOf(s.lines).length) check.mutate();
        }}
      >
        <div className="admin-grid">
          <label>
            {t('checkDealer')}
            <input value={s.dealer} onChange={(e) => setS({ ...s, dealer: e.target.value })} required />
          </label>
          <label>
            {t('date')}
            <input type="date" value={s.date} onChange={(e) => setS({ ...s, date: e.target.value })} />
          </label>
          <RegionPicker label={t('deliveryRegion')} value={s.deliveryRegion} onChange={(deliveryRegion) => setS({ ...s, deliveryRegion })} allowEmpty emptyLabel={t('noDelivery')} />
        </div>
        <label>
          {t('lines')}
          <textarea className="mono" rows={4} value={s.lines} onChange={(e) => setS({ ...s, lines: e.target.value })} required />
        </label>
        <div className="row">
          <button type="submit" className="primary" disabled={check.isPending}>
            {t('run')}
          </button>
        </div>
        <ActionError error={check.error} />
      </form>
      {check.data && <Verdict result={check.data} />}
    </section>
  );
}

function Verdict({ result }: { result: CheckResult }) {
  const t = useT(ruleMessages);
  const f = useFormat();
  return (
    <div className="admin-verdict" role="status" aria-live="polite">
      <p className={result.allowed ? 'status ok' : 'status bad'}>
        {result.allowed ? t('verdictAll') : t('verdictSome')} · {f.date(result.date)}
      </p>
      <p className="muted admin-hint">{t('territory', { regions: result.regionCodes.join(', ') || '—' })}</p>
      <Table
        rows={result.lines}
        rowKey={(l) => String(l.index)}
        columns={[
          {
            key: 'line',
            header: t('colLine'),
            cell: (l) => (
              <>
                <span className="mono">{l.sku ?? l.productId}</span>
                {!l.productKnown && <span className="muted"> · {t('unknownProduct')}</span>}
              </>
            ),
          },
          { key: 'verdict', header: t('colVerdict'), cell: (l) => <span className={l.allowed ? 'status ok' : 'status bad'}>{l.allowed ? t('allowed') : t('refused')}</span> },
          {
            key: 'reason',
            header: t('colReason'),
            cell: (l) => (
              <>
                {l.reason}
                {l.rules.length > 0 && <div className="muted admin-hint mono">{l.rules.map((r) => `${r.value} @ ${r.regionCode} → ${r.dealerCodes.join(', ')}`).join('; ')}</div>}
              </>
            ),
          },
        ]}
      />
    </div>
  );
}
