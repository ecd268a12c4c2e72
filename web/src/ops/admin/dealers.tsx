import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, ok } from '../../api/client';
import { useFormat } from '../../format';
import { useT } from '../../i18n';
import { useCan } from '../../session';
import { Page } from '../../ui/page';
import { ActionError, Empty, Query } from '../../ui/states';
import { Table } from '../../ui/table';
import { common, dealerMessages } from './messages';
import { codesOf, linesOf, Pager, RegionPicker } from './shared';
import type { Dealer, DealerChanges, DealerInput, DealerSummary } from './types';

const PAGE = 50;

export function DealerFlags({ dealer }: { dealer: Pick<DealerSummary, 'authorised' | 'acceptsSiteOrders' | 'callFromSite' | 'active'> }) {
  const t = useT(dealerMessages);
  return (
    <span className="admin-flags">
      {!dealer.active && <span className="status bad">{t('blocked')}</span>}
      {dealer.authorised && <span className="status ok">{t('authorised')}</span>}
      {dealer.acceptsSiteOrders && <span className="status">{t('siteOrders')}</span>}
      {dealer.callFromSite && <span className="status">{t('callFromSite')}</span>}
    </span>
  );
}

/** /ops/dealers: search by code or name, region and flags; paged; a row opens the dealer. */
export function DealersScreen() {
  const t = useT(dealerMessages);
  const c = useT(common);
  const f = useFormat();
  const can = useCan();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const region = params.get('region') ?? '';
  const active = params.get('active') ?? '';
  const authorised = params.get('authorised') ?? '';
  const offset = Number(params.get('offset') ?? 0) || 0;
  const [text, setText] = useState(q);
  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) if (value) next.set(key, value);
    else next.delete(key);
    if (!('offset' in changes)) next.delete('offset');
    setParams(next, { replace: true });
  };
  const query = useQuery({
    queryKey: ['dealers', { q, region, active, authorised, offset }],
    queryFn: () =>
      ok(
        api.GET('/v1/dealers', {
          params: {
            query: {
              ...(q ? { q } : {}),
              ...(region ? { region } : {}),
              ...(active ? { active: active === 'true' } : {}),
              ...(authorised ? { authorised: true } : {}),
              limit: PAGE,
              offset,
            },
          },
        }),
      ),
    placeholderData: (previous) => previous,
  });
  return (
    <Page
      title={t('title')}
      actions={
        can('dealers.write') && (
          <Link className="button primary" to="/ops/dealers/new">
            {t('create')}
          </Link>
        )
      }
    >
      <form
        className="admin-filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          set({ q: text.trim() });
        }}
      >
        <label>
          {t('q')}
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        {can('regions.read') && <RegionPicker label={t('region')} value={region} onChange={(code) => set({ region: code })} allowEmpty emptyLabel={t('anyRegion')} />}
        <label>
          {t('state')}
          <select value={active} onChange={(e) => set({ active: e.target.value })}>
            <option value="">{c('any')}</option>
            <option value="true">{t('activeOnly')}</option>
            <option value="false">{t('blockedOnly')}</option>
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" checked={authorised === 'true'} onChange={(e) => set({ authorised: e.target.checked ? 'true' : '' })} /> {t('authorisedFilter')}
        </label>
        <button type="submit">{c('search')}</button>
        {(q || region || active || authorised) && (
          <button
            type="button"
            className="link"
            onClick={() => {
              setText('');
              setParams(new URLSearchParams(), { replace: true });
            }}
          >
            {c('reset')}
          </button>
        )}
      </form>
      <Query query={query}>
        {(data) =>
          data.dealers.length === 0 ? (
            <Empty>{t('none')}</Empty>
          ) : (
            <>
              <Table
                rows={data.dealers}
                rowKey={(d) => d.code}
                onOpen={(d) => void navigate(`/ops/dealers/${encodeURIComponent(d.code)}`)}
                rowClass={(d) => (d.active ? undefined : 'admin-dim')}
                columns={[
                  { key: 'code', header: t('colCode'), cell: (d) => <span className="mono">{d.code}</span> },
                  {
                    key: 'name',
                    header: t('colName'),
                    cell: (d) => (
                      <Link to={`/ops/dealers/${encodeURIComponent(d.code)}`} aria-label={t('open', { name: d.name })} onClick={(e) => e.stopPropagation()}>
                        {d.name}
                      </Link>
                    ),
                  },
                  { key: 'region', header: t('colRegion'), cell: (d) => <span className="mono">{d.mainRegion}</span> },
                  { key: 'flags', header: t('colFlags'), cell: (d) => <DealerFlags dealer={d} /> },
                  { key: 'points', header: t('colPoints'), cell: (d) => f.number(d.points), numeric: true },
                  { key: 'orders', header: t('colOrders'), cell: (d) => f.number(d.orders), numeric: true, wide: true },
                  { key: 'created', header: t('colCreated'), cell: (d) => f.date(d.createdAt), wide: true },
                ]}
              />
              <Pager offset={offset} limit={PAGE} total={data.total} onOffset={(o) => set({ offset: o ? String(o) : '' })} />
            </>
          )
        }
      </Query>
    </Page>
  );
}

// ---- the profile form: creating a dealer and changing one ---------------------------------------------------------------

interface ProfileState {
  code: string;
  name: string;
  logoUrl: string;
  mainRegion: string;
  extraRegions: string;
  authorised: boolean;
  acceptsSiteOrders: boolean;
  callFromSite: boolean;
  active: boolean;
  wholeRange: boolean;
  ownPricesAllowed: boolean;
  productLines: string;
  phones: string;
  emails: string;
  site: string;
  address: string;
  description: string;
}

const EMPTY: ProfileState = {
  code: '',
  name: '',
  logoUrl: '',
  mainRegion: '',
  extraRegions: '',
  authorised: false,
  acceptsSiteOrders: true,
  callFromSite: false,
  active: true,
  wholeRange: false,
  ownPricesAllowed: false,
  productLines: '',
  phones: '',
  emails: '',
  site: '',
  address: '',
  description: '',
};

function stateOf(d: Dealer): ProfileState {
  return {
    code: d.code,
    name: d.name,
    logoUrl: d.logoUrl ?? '',
    mainRegion: d.mainRegion.code,
    extraRegions: d.extraRegions.map((r) => r.code).join(', '),
    authorised: d.authorised,
    acceptsSiteOrders: d.acceptsSiteOrders,
    callFromSite: d.callFromSite,
    active: d.active,
    wholeRange: d.wholeRange,
    ownPricesAllowed: d.ownPricesAllowed,
    productLines: d.productLines.join('\n'),
    phones: (d.contacts.phones ?? []).join('\n'),
    emails: (d.contacts.emails ?? []).join('\n'),
    site: d.contacts.site ?? '',
    address: d.contacts.address ?? '',
    description: d.description ?? '',
  };
}

function changesOf(s: ProfileState): DealerChanges {
  return {
    name: s.name.trim(),
    logoUrl: s.logoUrl.trim() || null,
    mainRegion: s.mainRegion,
    extraRegions: codesOf(s.extraRegions),
    authorised: s.authorised,
    acceptsSiteOrders: s.acceptsSiteOrders,
    callFromSite: s.callFromSite,
    active: s.active,
    wholeRange: s.wholeRange,
    ownPricesAllowed: s.ownPricesAllowed,
    productLines: linesOf(s.productLines),
    contacts: {
      phones: linesOf(s.phones),
      emails: linesOf(s.emails),
      ...(s.site.trim() ? { site: s.site.trim() } : {}),
      ...(s.address.trim() ? { address: s.address.trim() } : {}),
    },
    description: s.description.trim() || null,
  };
}

function ProfileForm({ initial, creating, readOnly, pending, error, onSubmit }: {
  initial: ProfileState;
  creating: boolean;
  readOnly: boolean;
  pending: boolean;
  error: unknown;
  onSubmit: (state: ProfileState) => void;
}) {
  const t = useT(dealerMessages);
  const c = useT(common);
  const id = useId();
  const [s, setS] = useState(initial);
  const set = <K extends keyof ProfileState>(key: K, value: ProfileState[K]) => setS((prev) => ({ ...prev, [key]: value }));
  const text = (key: 'name' | 'logoUrl' | 'site' | 'address' | 'code', label: string, extra: { required?: boolean; type?: string } = {}) => (
    <label>
      {label}
      <input value={s[key]} onChange={(e) => set(key, e.target.value)} readOnly={readOnly} required={extra.required} type={extra.type ?? 'text'} />
    </label>
  );
  const area = (key: 'extraRegions' | 'productLines' | 'phones' | 'emails' | 'description', label: string, hint?: string) => (
    <div className="admin-field">
      <label>
        {label}
        <textarea value={s[key]} onChange={(e) => set(key, e.target.value)} readOnly={readOnly} aria-describedby={hint ? `${id}-${key}` : undefined} />
      </label>
      {hint && (
        <span className="muted admin-hint" id={`${id}-${key}`}>
          {hint}
        </span>
      )}
    </div>
  );
  const flag = (key: 'authorised' | 'acceptsSiteOrders' | 'callFromSite' | 'active' | 'wholeRange' | 'ownPricesAllowed', label: string) => (
    <label className="inline">
      <input type="checkbox" checked={s[key]} onChange={(e) => set(key, e.target.checked)} disabled={readOnly} /> {label}
    </label>
  );
  return (
    <form
      className="form admin-form"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onSubmit(s);
      }}
    >
      <div className="admin-grid">
        {creating && text('code', t('code'), { required: true })}
        {text('name', t('name'), { required: true })}
        {readOnly ? (
          <label>
            {t('mainRegion')}
            <input value={s.mainRegion} readOnly />
          </label>
        ) : (
          <RegionPicker label={t('mainRegion')} value={s.mainRegion} onChange={(code) => set('mainRegion', code)} required />
        )}
        {text('logoUrl', t('logoUrl'))}
      </div>
      {area('extraRegions', t('extraRegions'), t('extraHint'))}
      <fieldset className="admin-checks">
        <legend>{t('flags')}</legend>
        {flag('active', t('fActive'))}
        {flag('authorised', t('fAuthorised'))}
        {flag('acceptsSiteOrders', t('fAcceptsSiteOrders'))}
        {flag('callFromSite', t('fCallFromSite'))}
        {flag('wholeRange', t('fWholeRange'))}
        {flag('ownPricesAllowed', t('fOwnPrices'))}
      </fieldset>
      <div className="admin-grid">
        {area('productLines', t('productLines'), t('linesHint'))}
        {area('phones', t('phones'), t('contactsHint'))}
        {area('emails', t('emails'), t('contactsHint'))}
      </div>
      <div className="admin-grid">
        {text('site', t('site'))}
        {text('address', t('address'))}
      </div>
      {area('description', t('description'))}
      {!readOnly && (
        <div className="row">
          <button type="submit" className="primary" disabled={pending}>
            {pending ? c('saving') : creating ? t('create') : c('save')}
          </button>
        </div>
      )}
      <ActionError error={error} />
    </form>
  );
}

/** /ops/dealers/new (dealers.write). */
export function DealerCreateScreen() {
  const t = useT(dealerMessages);
  const c = useT(common);
  const navigate = useNavigate();
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: (s: ProfileState) => ok(api.POST('/v1/dealers', { body: { code: s.code.trim(), ...changesOf(s) } as DealerInput })),
    onSuccess: (dealer) => {
      void client.invalidateQueries({ queryKey: ['dealers'] });
      void navigate(`/ops/dealers/${encodeURIComponent(dealer.code)}`);
    },
  });
  return (
    <Page
      title={t('createTitle')}
      actions={
        <Link className="button" to="/ops/dealers">
          {c('back')}
        </Link>
      }
    >
      <div className="card">
        <ProfileForm initial={EMPTY} creating readOnly={false} pending={create.isPending} error={create.error} onSubmit={(s) => create.mutate(s)} />
      </div>
    </Page>
  );
}

export { ProfileForm, stateOf, changesOf };
