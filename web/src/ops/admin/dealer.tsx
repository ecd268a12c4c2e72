import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, ApiError, ok } from '../../api/client';
import { useFormat } from '../../format';
import { useT } from '../../i18n';
import { useCan } from '../../session';
import { Page } from '../../ui/page';
import { ActionError, Empty, ErrorState, Loading, Query } from '../../ui/states';
import { Table } from '../../ui/table';
import { changesOf, DealerFlags, ProfileForm, stateOf } from './dealers';
import { common, dealerMessages } from './messages';
import { linesOf, ReadOnlyNote, RegionPicker, Saved } from './shared';
import type { Dealer, PriceColumns } from './types';

const TABS = ['profile', 'assortment', 'prices', 'managers', 'points', 'promotions'] as const;
type Tab = (typeof TABS)[number];
const TAB_LABEL = { profile: 'tabProfile', assortment: 'tabAssortment', prices: 'tabPrices', managers: 'tabManagers', points: 'tabPoints', promotions: 'tabPromotions' } as const;

/** /ops/dealers/:code: the dealer's profile and flags, assortment, price column, managers and head, points, promotions. */
export function DealerScreen() {
  const { code = '' } = useParams();
  const t = useT(dealerMessages);
  const c = useT(common);
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'profile';
  const query = useQuery({ queryKey: ['dealer', code], queryFn: () => ok(api.GET('/v1/dealers/{code}', { params: { path: { code } } })) });
  const id = useId();
  if (query.isPending) return <Loading />;
  if (query.isError) {
    if (query.error instanceof ApiError && query.error.status === 404) return <Empty>{t('notFound', { code })}</Empty>;
    return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  }
  const dealer = query.data;
  const select = (next: Tab) => setParams(next === 'profile' ? {} : { tab: next }, { replace: true });
  return (
    <Page
      title={dealer.name}
      actions={
        <Link className="button" to="/ops/dealers">
          {c('back')}
        </Link>
      }
    >
      <div className="row">
        <span className="mono">{dealer.code}</span>
        <DealerFlags dealer={dealer} />
      </div>
      <div className="tabs" role="tablist" aria-label={dealer.name}>
        {TABS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`${id}-tab-${name}`}
            aria-selected={tab === name}
            aria-controls={`${id}-panel`}
            tabIndex={tab === name ? 0 : -1}
            onClick={() => select(name)}
            onKeyDown={(e) => {
              const i = TABS.indexOf(name);
              const to = e.key === 'ArrowRight' ? TABS[(i + 1) % TABS.length] : e.key === 'ArrowLeft' ? TABS[(i + TABS.length - 1) % TABS.length] : undefined;
              if (to) {
                e.preventDefault();
                select(to);
                document.getElementById(`${id}-tab-${to}`)?.focus();
              }
            }}
          >
            {t(TAB_LABEL[name])}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`}>
        {tab === 'profile' && <ProfileTab dealer={dealer} />}
        {tab === 'assortment' && <AssortmentTab dealer={dealer} />}
        {tab === 'prices' && <PricesTab dealer={dealer} />}
        {tab === 'managers' && <ManagersTab dealer={dealer} />}
        {tab === 'points' && <PointsTab dealer={dealer} />}
        {tab === 'promotions' && <PromotionsTab dealer={dealer} />}
      </div>
    </Page>
  );
}

function useRefreshDealer(code: string) {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: ['dealer', code] });
    void client.invalidateQueries({ queryKey: ['dealers'] });
  };
}

function ProfileTab({ dealer }: { dealer: Dealer }) {
  const t = useT(dealerMessages);
  const f = useFormat();
  const can = useCan();
  const navigate = useNavigate();
  const client = useQueryClient();
  const refresh = useRefreshDealer(dealer.code);
  const save = useMutation({
    mutationFn: (s: ReturnType<typeof stateOf>) => ok(api.PATCH('/v1/dealers/{code}', { params: { path: { code: dealer.code } }, body: changesOf(s) })),
    onSuccess: (next) => {
      client.setQueryData(['dealer', dealer.code], next);
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => ok(api.DELETE('/v1/dealers/{code}', { params: { path: { code: dealer.code } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['dealers'] });
      void navigate('/ops/dealers');
    },
  });
  const writable = can('dealers.write');
  return (
    <div className="page">
      <dl className="admin-facts card">
        <dt>{t('mainRegion')}</dt>
        <dd>
          {dealer.mainRegion.name} <span className="mono muted">{dealer.mainRegion.code}</span>
        </dd>
        <dt>{t('extraRegions')}</dt>
        <dd>{dealer.extraRegions.length ? dealer.extraRegions.map((r) => `${r.name} (${r.code})`).join(', ') : '—'}</dd>
        <dt>{t('head')}</dt>
        <dd>{dealer.head ?? t('noHead')}</dd>
        <dt>{t('colPoints')}</dt>
        <dd>{f.number(dealer.points)}</dd>
        <dt>{t('takes')}</dt>
        <dd>{f.number(dealer.takesCount)}</dd>
        <dt>{t('avgTake')}</dt>
        <dd>{dealer.avgTakeSeconds === null ? '—' : t('minutes', { n: f.number(Math.round(dealer.avgTakeSeconds / 6) / 10) })}</dd>
        <dt>{t('created')}</dt>
        <dd>{f.dateTime(dealer.createdAt)}</dd>
        <dt>{t('updated')}</dt>
        <dd>{f.dateTime(dealer.updatedAt)}</dd>
      </dl>
      <ReadOnlyNote show={!writable} />
      <div className="card">
        <ProfileForm key={dealer.updatedAt} initial={stateOf(dealer)} creating={false} readOnly={!writable} pending={save.isPending} error={save.error} onSubmit={(s) => save.mutate(s)} />
        <Saved show={save.isSuccess} />
      </div>
      {writable && (
        <div className="row">
          <button type="button" className="danger" disabled={remove.isPending} onClick={() => window.confirm(t('confirmDelete', { code: dealer.code })) && remove.mutate()}>
            {t('deleteDealer')}
          </button>
          <ActionError error={remove.error} />
        </div>
      )}
    </div>
  );
}

function AssortmentTab({ dealer }: { dealer: Dealer }) {
  const t = useT(dealerMessages);
  const c = useT(common);
  const f = useFormat();
  const can = useCan();
  const client = useQueryClient();
  const refresh = useRefreshDealer(dealer.code);
  const key = ['dealer', dealer.code, 'assortment'];
  const query = useQuery({ queryKey: key, queryFn: () => ok(api.GET('/v1/dealers/{code}/assortment', { params: { path: { code: dealer.code } } })) });
  const [editing, setEditing] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (text: string) =>
      ok(
        api.PUT('/v1/dealers/{code}/assortment', {
          params: { path: { code: dealer.code } },
          body: {
            items: linesOf(text).map((line) => {
              const [sku = '', price] = line.split(/[;\t]/).map((part) => part.trim());
              return price ? { sku, ownPrice: price.replace(',', '.').replace(/\s/g, '') } : { sku };
            }),
          },
        }),
      ),
    onSuccess: () => {
      setEditing(null);
      void client.invalidateQueries({ queryKey: key });
      refresh();
    },
  });
  return (
    <Query query={query}>
      {(data) => (
        <div className="page">
          <p>
            {t('items', { n: f.number(data.items.length) })}
            {data.wholeRange && <span className="status ok"> {t('wholeRange')}</span>}
            {data.productLines.length > 0 && <span className="muted"> · {data.productLines.join(', ')}</span>}
          </p>
          {can('dealers.write') &&
            (editing === null ? (
              <div className="row">
                <button type="button" onClick={() => setEditing(data.items.map((i) => (i.ownPrice ? `${i.sku}; ${i.ownPrice}` : i.sku)).join('\n'))}>
                  {t('editAssortment')}
                </button>
              </div>
            ) : (
              <form
                className="form card"
                onSubmit={(e) => {
                  e.preventDefault();
                  save.mutate(editing);
                }}
              >
                <label>
                  {t('assortmentText')}
                  <textarea rows={10} className="mono" value={editing} onChange={(e) => setEditing(e.target.value)} aria-describedby="assortment-hint" />
                </label>
                <p className="muted admin-hint" id="assortment-hint">
                  {t('assortmentHint')}
                </p>
                <div className="row">
                  <button type="submit" className="primary" disabled={save.isPending}>
                    {save.isPending ? c('saving') : c('save')}
                  </button>
                  <button type="button" onClick={() => setEditing(null)}>
                    {c('cancel')}
                  </button>
                </div>
                <ActionError error={save.error} />
              </form>
            ))}
          <Saved show={save.isSuccess && editing === null}>{save.data ? t('assortmentSaved', { n: save.data.items }) : undefined}</Saved>
          {data.items.length === 0 ? (
            <Empty>{t('noItems')}</Empty>
          ) : (
            <Table
              rows={data.items}
              rowKey={(i) => i.sku}
              columns={[
                { key: 'sku', header: t('colSku'), cell: (i) => <span className="mono">{i.sku}</span> },
                { key: 'name', header: t('colName'), cell: (i) => i.name },
                { key: 'line', header: t('colLine'), cell: (i) => i.productLine ?? '—', wide: true },
                { key: 'price', header: t('colOwnPrice'), cell: (i) => (i.ownPrice ? f.number(i.ownPrice) : <span className="muted">{t('manufacturerPrice')}</span>), numeric: true },
              ]}
            />
          )}
        </div>
      )}
    </Query>
  );
}

function PricesTab({ dealer }: { dealer: Dealer }) {
  const key = ['dealer', dealer.code, 'price-column'];
  const query = useQuery({ queryKey: key, queryFn: () => ok(api.GET('/v1/dealers/{code}/price-column', { params: { path: { code: dealer.code } } })) });
  return <Query query={query}>{(data) => <PricesForm key={JSON.stringify(data)} dealer={dealer} data={data} onKey={key} />}</Query>;
}

function PricesForm({ dealer, data, onKey }: { dealer: Dealer; data: PriceColumns; onKey: unknown[] }) {
  const t = useT(dealerMessages);
  const c = useT(common);
  const can = useCan();
  const client = useQueryClient();
  const refresh = useRefreshDealer(dealer.code);
  const writable = can('prices.assign');
  const columns = useQuery({ queryKey: ['price-columns'], queryFn: () => ok(api.GET('/v1/price-columns')), enabled: can('catalogue.read'), staleTime: 60_000 });
  const [column, setColumn] = useState(data.column?.code ?? data.priceColumn ?? '');
  const [overrides, setOverrides] = useState(data.regions.map((r) => ({ region: r.region, column: r.column.code })));
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PUT('/v1/dealers/{code}/price-column', {
          params: { path: { code: dealer.code } },
          body: { column: column.trim() || null, regions: overrides.filter((o) => o.region && o.column) },
        }),
      ),
    onSuccess: (next) => {
      client.setQueryData(onKey, next);
      refresh();
    },
  });
  const options = columns.data?.items;
  const columnPicker = (value: string, onChange: (v: string) => void, label: string) => (
    <label>
      {label}
      {options && options.length > 0 ? (
        <select value={value} onChange={(e) => onChange(e.target.value)} disabled={!writable}>
          <option value="">{t('noColumn')}</option>
          {value && !options.some((o) => o.code === value) && <option value={value}>{value}</option>}
          {options.map((o) => (
            <option key={o.id} value={o.code}>
              {o.name}
              {o.currency ? ` · ${o.currency}` : ''}
            </option>
          ))}
        </select>
      ) : (
        <input value={value} onChange={(e) => onChange(e.target.value)} readOnly={!writable} />
      )}
    </label>
  );
  return (
    <form
      className="form card admin-form"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <ReadOnlyNote show={!writable} />
      <div className="admin-grid">{columnPicker(column, setColumn, t('priceColumn'))}</div>
      {data.priceColumn && data.priceColumn !== data.column?.code && <p className="muted admin-hint">{t('storedAs', { value: data.priceColumn })}</p>}
      <h3>{t('overrides')}</h3>
      <p className="muted admin-hint">{t('pricesHint')}</p>
      {overrides.length === 0 && <p className="muted">{t('noOverrides')}</p>}
      {overrides.map((o, i) => (
        <div className="row" key={i}>
          {writable ? (
            <RegionPicker label={t('overrideRegion')} value={o.region} onChange={(region) => setOverrides((all) => all.map((x, j) => (j === i ? { ...x, region } : x)))} />
          ) : (
            <label>
              {t('overrideRegion')}
              <input value={o.region} readOnly />
            </label>
          )}
          {columnPicker(o.column, (col) => setOverrides((all) => all.map((x, j) => (j === i ? { ...x, column: col } : x))), t('overrideColumn'))}
          {writable && (
            <button type="button" className="danger admin-align-end" aria-label={t('removeOverride', { region: o.region || '—' })} onClick={() => setOverrides((all) => all.filter((_, j) => j !== i))}>
              ✕
            </button>
          )}
        </div>
      ))}
      {writable && (
        <div className="row">
          <button type="button" onClick={() => setOverrides((all) => [...all, { region: '', column: '' }])}>
            {t('addOverride')}
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? c('saving') : c('save')}
          </button>
        </div>
      )}
      <ActionError error={save.error} />
      <Saved show={save.isSuccess} />
    </form>
  );
}

function ManagersTab({ dealer }: { dealer: Dealer }) {
  const t = useT(dealerMessages);
  const can = useCan();
  const client = useQueryClient();
  const refresh = useRefreshDealer(dealer.code);
  const key = ['dealer', dealer.code, 'managers'];
  const query = useQuery({ queryKey: key, queryFn: () => ok(api.GET('/v1/dealers/{code}/managers', { params: { path: { code: dealer.code } } })) });
  const done = () => {
    void client.invalidateQueries({ queryKey: key });
    refresh();
  };
  const path = (login: string) => ({ params: { path: { code: dealer.code, login } } });
  const head = useMutation({ mutationFn: (login: string) => ok(api.POST('/v1/dealers/{code}/head', { params: { path: { code: dealer.code } }, body: { login } })), onSuccess: done });
  const toggle = useMutation({ mutationFn: ({ login, active }: { login: string; active: boolean }) => ok(api.PATCH('/v1/dealers/{code}/managers/{login}', { ...path(login), body: { active } })), onSuccess: done });
  const remove = useMutation({ mutationFn: (login: string) => ok(api.DELETE('/v1/dealers/{code}/managers/{login}', path(login))), onSuccess: done });
  const writable = can('dealers.write');
  const appoints = can('users.manage');
  return (
    <div className="page">
      <ReadOnlyNote show={!writable && !appoints} />
      <Query query={query}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{t('noManagers')}</Empty>
          ) : (
            <Table
              rows={data.items}
              rowKey={(m) => m.login}
              rowClass={(m) => (m.active ? undefined : 'admin-dim')}
              columns={[
                { key: 'login', header: t('colLogin'), cell: (m) => <span className="mono">{m.login}</span> },
                { key: 'name', header: t('managerName'), cell: (m) => m.name },
                { key: 'contacts', header: t('colContacts'), cell: (m) => [m.phone, m.email].filter(Boolean).join(' · ') || '—', wide: true },
                {
                  key: 'state',
                  header: t('colState'),
                  cell: (m) => (
                    <span className="admin-flags">
                      {m.isHead && <span className="status ok">{t('isHead')}</span>}
                      <span className={m.active ? 'status' : 'status bad'}>{m.active ? t('working') : t('blocked')}</span>
                      <span className="status">{m.canSignIn ? t('signIn') : t('noSignIn')}</span>
                    </span>
                  ),
                },
                {
                  key: 'actions',
                  header: '',
                  cell: (m) => (
                    <span className="row">
                      {appoints && !m.isHead && m.active && (
                        <button type="button" aria-label={t('makeHeadNamed', { login: m.login })} disabled={head.isPending} onClick={() => head.mutate(m.login)}>
                          {t('makeHead')}
                        </button>
                      )}
                      {writable && (
                        <button
                          type="button"
                          aria-label={m.active ? t('blockNamed', { login: m.login }) : t('unblockNamed', { login: m.login })}
                          disabled={toggle.isPending}
                          onClick={() => toggle.mutate({ login: m.login, active: !m.active })}
                        >
                          {m.active ? t('block') : t('unblock')}
                        </button>
                      )}
                      {writable && (
                        <button type="button" className="danger" aria-label={t('removeNamed', { login: m.login })} disabled={remove.isPending} onClick={() => window.confirm(t('confirmRemove', { login: m.login })) && remove.mutate(m.login)}>
                          {t('remove')}
                        </button>
                      )}
                    </span>
                  ),
                },
              ]}
            />
          )
        }
      </Query>
      <ActionError error={head.error ?? toggle.error ?? remove.error} />
      {writable && <AddManager code={dealer.code} onDone={done} mayAppoint={appoints} />}
    </div>
  );
}

function AddManager({ code, onDone, mayAppoint }: { code: string; onDone: () => void; mayAppoint: boolean }) {
  const t = useT(dealerMessages);
  const id = useId();
  const [form, setForm] = useState({ login: '', name: '', email: '', phone: '', isHead: false });
  const add = useMutation({
    mutationFn: () =>
      ok(
        api.POST('/v1/dealers/{code}/managers', {
          params: { path: { code } },
          body: {
            login: form.login.trim(),
            name: form.name.trim(),
            ...(form.email.trim() ? { email: form.email.trim() } : {}),
            ...(form.phone.trim() ? { phone: form.phone.trim() } : {}),
            ...(mayAppoint && form.isHead ? { isHead: true } : {}),
          },
        }),
      ),
    onSuccess: () => {
      setForm({ login: '', name: '', email: '', phone: '', isHead: false });
      onDone();
    },
  });
  const field = (key: 'login' | 'name' | 'email' | 'phone', label: string, type = 'text', required = false) => (
    <label>
      {label}
      <input type={type} value={form[key]} required={required} onChange={(e) => setForm((f) => ({ ...f, [key]: e.target.value }))} />
    </label>
  );
  return (
    <section className="card admin-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('addManager')}</h2>
      <form
        className="form admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <div className="admin-grid">
          {field('login', t('login'), 'text', true)}
          {field('name', t('managerName'), 'text', true)}
          {field('email', t('email'), 'email')}
          {field('phone', t('phone'), 'tel')}
        </div>
        {mayAppoint && (
          <label className="inline">
            <input type="checkbox" checked={form.isHead} onChange={(e) => setForm((f) => ({ ...f, isHead: e.target.checked }))} /> {t('asHead')}
          </label>
        )}
        <div className="row">
          <button type="submit" className="primary" disabled={add.isPending}>
            {t('add')}
          </button>
        </div>
        <ActionError error={add.error} />
      </form>
    </section>
  );
}

function PointsTab({ dealer }: { dealer: Dealer }) {
  const t = useT(dealerMessages);
  const f = useFormat();
  const can = useCan();
  const client = useQueryClient();
  const refresh = useRefreshDealer(dealer.code);
  const key = ['dealer', dealer.code, 'points'];
  const history = useInfiniteQuery({
    queryKey: key,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => ok(api.GET('/v1/dealers/{code}/points', { params: { path: { code: dealer.code }, query: { limit: 50, ...(pageParam ? { beforeId: pageParam } : {}) } } })),
    getNextPageParam: (last) => (last.items.length === 50 ? last.items[last.items.length - 1]?.id : undefined),
  });
  const [delta, setDelta] = useState('');
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const adjust = useMutation({
    mutationFn: (n: number) => ok(api.POST('/v1/dealers/{code}/points', { params: { path: { code: dealer.code } }, body: { delta: n, note: note.trim() } })),
    onSuccess: () => {
      setDelta('');
      setNote('');
      void client.invalidateQueries({ queryKey: key });
      refresh();
    },
  });
  const cause = (value: string) => {
    const k = `cause_${value}`;
    return k === 'cause_order_completed' || k === 'cause_cancelled_by_dealer' || k === 'cause_manual' ? t(k) : value;
  };
  const rows = history.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="page">
      <div className="card">
        <div className="muted">{t('balance')}</div>
        <div className="admin-points">{f.number(dealer.points)}</div>
      </div>
      {can('dealers.points') && (
        <section className="card admin-section" aria-labelledby="points-adjust">
          <h2 id="points-adjust">{t('adjust')}</h2>
          <form
            className="form admin-form"
            onSubmit={(e) => {
              e.preventDefault();
              const n = Number(delta);
              if (!Number.isInteger(n) || n === 0) return setProblem(t('deltaZero'));
              setProblem(null);
              adjust.mutate(n);
            }}
          >
            <div className="admin-grid">
              <label>
                {t('delta')}
                <input type="number" step={1} inputMode="numeric" value={delta} onChange={(e) => setDelta(e.target.value)} required />
              </label>
              <label>
                {t('note')}
                <input value={note} onChange={(e) => setNote(e.target.value)} required maxLength={1000} />
              </label>
            </div>
            <div className="row">
              <button type="submit" className="primary" disabled={adjust.isPending || !note.trim()}>
                {t('apply')}
              </button>
            </div>
            <ActionError error={problem} />
            <ActionError error={adjust.error} />
          </form>
        </section>
      )}
      <h2>{t('history')}</h2>
      {history.isPending ? (
        <Loading />
      ) : history.isError ? (
        <ErrorState error={history.error} retry={() => void history.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>{t('noHistory')}</Empty>
      ) : (
        <>
          <Table
            rows={rows}
            rowKey={(r) => r.id}
            columns={[
              { key: 'when', header: t('colWhen'), cell: (r) => f.dateTime(r.createdAt) },
              { key: 'delta', header: t('colDelta'), cell: (r) => <span className={r.delta < 0 ? 'status bad' : 'status ok'}>{r.delta > 0 ? `+${f.number(r.delta)}` : f.number(r.delta)}</span>, numeric: true },
              { key: 'balance', header: t('colBalance'), cell: (r) => f.number(r.balance), numeric: true },
              { key: 'cause', header: t('colCause'), cell: (r) => cause(r.cause) },
              { key: 'note', header: t('colNote'), cell: (r) => r.note ?? (r.orderId ? <span className="mono">{r.orderId}</span> : '—'), wide: true },
              { key: 'by', header: t('colBy'), cell: (r) => r.changedBy ?? '—', wide: true },
            ]}
          />
          {history.hasNextPage && (
            <div className="row">
              <button type="button" disabled={history.isFetchingNextPage} onClick={() => void history.fetchNextPage()}>
                {t('more')}
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}

function PromotionsTab({ dealer }: { dealer: Dealer }) {
  const t = useT(dealerMessages);
  const f = useFormat();
  const can = useCan();
  const refresh = useRefreshDealer(dealer.code);
  const client = useQueryClient();
  const query = useQuery({ queryKey: ['promotions'], queryFn: () => ok(api.GET('/v1/promotions')) });
  const change = useMutation({
    mutationFn: ({ promotionCode, join }: { promotionCode: string; join: boolean }) => {
      const opts = { params: { path: { code: dealer.code, promotionCode } } };
      return join ? ok(api.PUT('/v1/dealers/{code}/promotions/{promotionCode}', opts)) : ok(api.DELETE('/v1/dealers/{code}/promotions/{promotionCode}', opts));
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['promotions'] });
      refresh();
    },
  });
  const writable = can('dealers.write');
  return (
    <div className="page">
      <ReadOnlyNote show={!writable} />
      <Query query={query}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{t('noPromotions')}</Empty>
          ) : (
            <Table
              rows={data.items}
              rowKey={(p) => p.code}
              columns={[
                { key: 'name', header: t('colName'), cell: (p) => p.name },
                { key: 'dates', header: '', cell: (p) => (p.validFrom || p.validTo ? t('validity', { from: f.date(p.validFrom), to: f.date(p.validTo) }) : '—'), wide: true },
                {
                  key: 'in',
                  header: t('colState'),
                  cell: (p) => {
                    const joined = dealer.promotions.includes(p.code);
                    return (
                      <span className="row">
                        {joined && <span className="status ok">{t('joined')}</span>}
                        {writable && (
                          <button
                            type="button"
                            aria-label={joined ? t('leaveNamed', { name: p.name }) : t('joinNamed', { name: p.name })}
                            disabled={change.isPending}
                            onClick={() => change.mutate({ promotionCode: p.code, join: !joined })}
                          >
                            {joined ? t('leave') : t('join')}
                          </button>
                        )}
                      </span>
                    );
                  },
                },
              ]}
            />
          )
        }
      </Query>
      <ActionError error={change.error} />
    </div>
  );
}
