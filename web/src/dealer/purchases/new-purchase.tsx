import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, ok, type paths } from '../../api/client';
import { useFormat } from '../../format';
import { useT } from '../../i18n';
import { useDealerCode } from '../../session';
import { Page } from '../../ui/page';
import { ActionError, Empty, ErrorState, Loading } from '../../ui/states';
import { isoDay } from '../../accounting/period';
import { availabilityText } from './availability';
import { purchaseMessages as messages } from './messages';
import { useDebounced } from './use-debounced';

type CatalogueItem = paths['/v1/dealers/{code}/catalogue']['get']['responses'][200]['content']['application/json']['items'][number];
type CheckBody = paths['/v1/dealers/{code}/purchases/check']['post']['requestBody']['content']['application/json'];
type CheckLine = paths['/v1/dealers/{code}/purchases/check']['post']['responses'][200]['content']['application/json']['lines'][number];
export type Placed = paths['/v1/dealers/{code}/purchases']['post']['responses'][201]['content']['application/json'];

interface BasketLine {
  sku: string;
  name: string;
  unit: string;
  price: string | null;
  currency: string | null;
  /** As typed (a comma is a decimal sign too). */
  quantity: string;
}

const QUANTITY = /^\d{1,14}([.,]\d{1,4})?$/;
const normalQuantity = (text: string): string | null => {
  const trimmed = text.trim();
  if (!QUANTITY.test(trimmed)) return null;
  const value = trimmed.replace(',', '.');
  return Number(value) > 0 ? value : null;
};

/** The basket survives leaving the screen (per dealer, for the browser tab's session). */
function useBasket(code: string) {
  const key = `orderhub.purchase.${code}`;
  const [lines, setLines] = useState<BasketLine[]>(() => {
    try {
      const stored = JSON.parse(sessionStorage.getItem(key) ?? '[]') as unknown;
      return Array.isArray(stored) ? (stored as BasketLine[]) : [];
    } catch {
      return [];
    }
  });
  useEffect(() => {
    sessionStorage.setItem(key, JSON.stringify(lines));
  }, [key, lines]);
  return [lines, setLines] as const;
}

/** /dealer/purchase: pick products at the dealer's prices, see per line what can be had by the desired date, place the order. */
export function NewPurchaseScreen() {
  const t = useT(messages);
  const f = useFormat();
  const code = useDealerCode();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [lines, setLines] = useBasket(code);
  const [desiredDate, setDesiredDate] = useState('');
  const [comment, setComment] = useState('');
  const [reference, setReference] = useState('');
  const [refusals, setRefusals] = useState<Map<string, string>>(new Map());

  const valid = lines.flatMap((l) => {
    const quantity = normalQuantity(l.quantity);
    return quantity ? [{ sku: l.sku, quantity }] : [];
  });
  const allValid = valid.length === lines.length;
  const body: CheckBody = { lines: valid, ...(desiredDate && { desiredDate }) };
  const bodyKey = JSON.stringify(body);
  const settledKey = useDebounced(bodyKey, 450);
  const settledBody = useMemo(() => JSON.parse(settledKey) as CheckBody, [settledKey]);

  const check = useQuery({
    queryKey: ['purchase-check', code, settledKey],
    queryFn: () => ok(api.POST('/v1/dealers/{code}/purchases/check', { params: { path: { code } }, body: settledBody })),
    enabled: settledBody.lines.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 15_000,
  });
  // Lines short of the desired date: the same lines without a date say when the rest arrives.
  const needsLater = !!settledBody.desiredDate && !!check.data?.lines.some((l) => l.availability.status !== 'available');
  const later = useQuery({
    queryKey: ['purchase-check', code, JSON.stringify({ lines: settledBody.lines })],
    queryFn: () => ok(api.POST('/v1/dealers/{code}/purchases/check', { params: { path: { code } }, body: { lines: settledBody.lines } })),
    enabled: needsLater,
    staleTime: 15_000,
  });
  const checkBySku = new Map<string, CheckLine>((check.data?.lines ?? []).map((l) => [l.sku, l]));
  const laterBySku = new Map<string, CheckLine>((later.data?.lines ?? []).map((l) => [l.sku, l]));
  const fresh = check.isSuccess && !check.isPlaceholderData && !check.isFetching && settledKey === bodyKey;

  const place = useMutation({
    mutationFn: () =>
      ok(
        api.POST('/v1/dealers/{code}/purchases', {
          params: { path: { code } },
          body: { ...body, ...(comment.trim() && { comment: comment.trim() }), ...(reference.trim() && { reference: reference.trim() }) },
        }),
      ),
    onSuccess: (placed) => {
      setLines([]);
      void client.invalidateQueries({ queryKey: ['purchases', code] });
      void navigate('/dealer/purchases', { state: { placed } });
    },
    onError: (error) => {
      const refused = error instanceof ApiError ? ((error.details as { lines?: { sku: string; reason: string }[] } | undefined)?.lines ?? []) : [];
      setRefusals(new Map(refused.map((r) => [r.sku, r.reason])));
      void check.refetch();
    },
  });

  const add = (item: CatalogueItem) => {
    setLines((current) => (current.some((l) => l.sku === item.sku) ? current : [...current, { sku: item.sku, name: item.name, unit: item.unit, price: item.price, currency: item.currency, quantity: '1' }]));
  };
  const update = (sku: string, quantity: string) => setLines((current) => current.map((l) => (l.sku === sku ? { ...l, quantity } : l)));
  const remove = (sku: string) => {
    setLines((current) => current.filter((l) => l.sku !== sku));
    setRefusals((current) => {
      const next = new Map(current);
      next.delete(sku);
      return next;
    });
  };

  const problems = lines.some((l) => checkBySku.get(l.sku)?.problem || refusals.has(l.sku));
  const canPlace = lines.length > 0 && allValid && fresh && !!check.data?.canOrder && !problems && !place.isPending;
  const currency = check.data?.currency ?? lines.find((l) => l.currency)?.currency ?? null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canPlace) place.mutate();
  };

  return (
    <Page title={t('newTitle')}>
      <CatalogueSearch code={code} inBasket={new Set(lines.map((l) => l.sku))} onAdd={add} />
      <form className="card purchase-order" onSubmit={submit} aria-labelledby="order-title" noValidate>
        <h2 id="order-title">{t('order')}</h2>
        {lines.length === 0 ? (
          <Empty>{t('emptyOrder')}</Empty>
        ) : (
          <ul className="purchase-lines">
            {lines.map((line) => (
              <PurchaseLine
                key={line.sku}
                line={line}
                checked={checkBySku.get(line.sku)}
                later={laterBySku.get(line.sku)}
                desiredDate={settledBody.desiredDate ?? null}
                refusal={refusals.get(line.sku)}
                onQuantity={(q) => update(line.sku, q)}
                onRemove={() => remove(line.sku)}
              />
            ))}
          </ul>
        )}
        <div className="purchase-fields">
          <label>
            {t('desiredDate')}
            <input type="date" value={desiredDate} min={isoDay(new Date())} onChange={(e) => setDesiredDate(e.target.value)} aria-describedby="desired-hint" />
            <span id="desired-hint" className="muted small">
              {t('desiredHint')}
            </span>
          </label>
          <label>
            {t('reference')}
            <input value={reference} maxLength={100} onChange={(e) => setReference(e.target.value)} aria-describedby="reference-hint" />
            <span id="reference-hint" className="muted small">
              {t('referenceHint')}
            </span>
          </label>
          <label className="wide-field">
            {t('comment')}
            <textarea value={comment} maxLength={2000} onChange={(e) => setComment(e.target.value)} />
          </label>
        </div>
        {check.isError && <p className="state-error inline" role="alert">{t('checkFailed', { message: check.error.message })}</p>}
        <ActionError error={place.error && !(place.error instanceof ApiError && refusals.size > 0) ? place.error : null} />
        <div className="card purchase-summary">
          <div>
            <div className="muted">{t('total')}</div>
            <div className="stat" data-testid="purchase-total" aria-live="polite">
              {check.data && lines.length > 0 ? f.money(check.data.total, currency) : '—'}
            </div>
            <div className="muted small" role="status">
              {lines.length > 0 && (check.isFetching || !fresh ? t('waitCheck') : problems ? t('refusedLines') : '')}
            </div>
          </div>
          <div className="row">
            <button type="button" onClick={() => void check.refetch()} disabled={valid.length === 0 || check.isFetching}>
              {check.isFetching ? t('checking') : t('check')}
            </button>
            <button type="submit" className="primary" disabled={!canPlace}>
              {place.isPending ? t('placing') : t('place')}
            </button>
          </div>
        </div>
      </form>
    </Page>
  );
}

function PurchaseLine({ line, checked, later, desiredDate, refusal, onQuantity, onRemove }: {
  line: BasketLine;
  checked: CheckLine | undefined;
  later: CheckLine | undefined;
  desiredDate: string | null;
  refusal: string | undefined;
  onQuantity: (quantity: string) => void;
  onRemove: () => void;
}) {
  const t = useT(messages);
  const f = useFormat();
  const id = useId();
  const quantity = normalQuantity(line.quantity);
  const currency = line.currency;
  const price = checked?.unitPrice ?? line.price;
  const current = !!checked && quantity !== null && Number(quantity) === Number(checked.quantity);
  const amount = current ? checked.amount : null;
  const words = current ? availabilityText(checked.availability, checked.quantity, line.unit, desiredDate, later?.availability, t, f) : null;
  const refused = refusal ?? (checked && !checked.exclusivity.allowed ? (checked.exclusivity.reason ?? t('exclusivityDefault')) : null);
  const problem = refused ? t('refused', { reason: refused }) : checked?.problem;
  return (
    <li className={`purchase-line${problem ? ' refused' : ''}`} data-testid={`line-${line.sku}`}>
      <div className="line-head">
        <div>
          <strong>{checked?.name ?? line.name}</strong>
          <div className="muted small mono">{line.sku}</div>
        </div>
        <button type="button" className="link" onClick={onRemove} aria-label={t('removeItem', { name: line.name })}>
          {t('remove')}
        </button>
      </div>
      <div className="line-figures">
        <label className="inline">
          <span className="visually-hidden">{t('quantityOf', { name: line.name })}</span>
          <span aria-hidden="true">{t('quantity')}</span>
          <input
            id={id}
            className="qty"
            inputMode="decimal"
            value={line.quantity}
            onChange={(e) => onQuantity(e.target.value)}
            aria-invalid={!quantity}
            aria-describedby={!quantity ? `${id}-error` : undefined}
          />
        </label>
        <span className="muted">× {f.money(price, currency)}</span>
        <span className="line-amount">= {amount !== null ? f.money(amount, currency) : '…'}</span>
      </div>
      {!quantity && (
        <p id={`${id}-error`} className="line-problem" role="alert">
          {t('badQuantity')}
        </p>
      )}
      {words && <p className={`availability ${words.tone}`}>{words.text}</p>}
      {problem && (
        <p className="line-problem" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}

function CatalogueSearch({ code, inBasket, onAdd }: { code: string; inBasket: Set<string>; onAdd: (item: CatalogueItem) => void }) {
  const t = useT(messages);
  const f = useFormat();
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 300);
  const catalogue = useQuery({
    queryKey: ['dealer-catalogue', code, q],
    queryFn: () => ok(api.GET('/v1/dealers/{code}/catalogue', { params: { path: { code }, query: { limit: 20, ...(q && { q }) } } })),
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
  return (
    <section className="card catalogue" aria-labelledby="catalogue-title">
      <div className="line-head">
        <h2 id="catalogue-title">{t('catalogue')}</h2>
        {catalogue.data?.priceColumn && <span className="muted small">{t('prices', { column: catalogue.data.priceColumn.name })}</span>}
      </div>
      <label>
        {t('search')}
        <input type="search" value={search} placeholder={t('searchPlaceholder')} onChange={(e) => setSearch(e.target.value)} />
      </label>
      {catalogue.isPending ? (
        <Loading />
      ) : catalogue.isError ? (
        <ErrorState error={catalogue.error} retry={() => void catalogue.refetch()} />
      ) : (
        <>
          {!catalogue.data.priceColumn && <p className="muted small">{t('noColumn')}</p>}
          {catalogue.data.items.length === 0 ? (
            <Empty>{t('nothingFound')}</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('product')}</th>
                    <th scope="col" className="num">
                      {t('price')}
                    </th>
                    <th scope="col" className="num hide-narrow">
                      {t('inStock')}
                    </th>
                    <th scope="col">
                      <span className="visually-hidden">{t('add')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {catalogue.data.items.map((item) => (
                    <tr key={item.sku}>
                      <th scope="row">
                        {item.name}
                        <div className="muted small mono">{item.sku}</div>
                      </th>
                      <td className="num">{item.price === null ? <span className="muted">{t('noPrice')}</span> : f.money(item.price, item.currency)}</td>
                      <td className="num hide-narrow">
                        {f.number(item.inStock)} {item.unit}
                      </td>
                      <td>
                        {inBasket.has(item.sku) ? (
                          <span className="status ok">{t('inOrder')}</span>
                        ) : (
                          <button type="button" onClick={() => onAdd(item)} disabled={item.price === null} aria-label={t('addItem', { name: item.name })}>
                            {t('add')}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {catalogue.data.total > catalogue.data.items.length && <p className="muted small">{t('moreFound', { shown: catalogue.data.items.length, total: catalogue.data.total })}</p>}
        </>
      )}
    </section>
  );
}
