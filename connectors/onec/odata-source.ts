import { ConnectorError } from '../_kit/connector-error.ts';
import { bodyExcerpt, createHttpClient, type HttpClient, type HttpClientOptions } from '../_kit/http.ts';
import type { AccountingPeriod, AccountingSource, SourceCheck, SourceCounterparty, SourceDocument, SourceSettlement } from './accounting-source.ts';
import type { OnecPreset } from './presets.ts';

/**
 * The accounting source over 1C's OData standard interface (platform 8.3.5+):
 * `http(s)://<host>/<infobase>/odata/standard.odata/`, Basic auth, JSON. The 1C admin publishes the
 * infobase and ticks the objects the preset names (SetStandardODataInterfaceContent).
 *
 * Docs: https://its.1c.ru/db/v83doc#bookmark:dev:TI000001358 (standard OData interface),
 * virtual tables as path functions `…/Balance(Period=datetime'…',Condition='…')` and
 * `…/Turnovers(StartPeriod=…,EndPeriod=…)`.
 */
export interface ODataSourceOptions {
  /** …/odata/standard.odata/ (with or without the trailing slash). */
  url: string;
  user: string;
  /** A secret: used for Basic auth only, never in messages. */
  password: string;
  preset: OnecPreset;
  /** Rows per page ($top). */
  pageSize?: number;
  http?: HttpClientOptions;
}

/** Statuses 1C answers with an odata.error body: read it instead of retrying blindly. */
const ODATA_ERROR_STATUSES = [400, 401, 403, 404, 405, 500, 501] as const;

export class ODataAccountingSource implements AccountingSource {
  readonly kind = 'odata' as const;
  readonly #base: string;
  readonly #auth: { username: string; password: string };
  readonly #preset: OnecPreset;
  readonly #pageSize: number;
  readonly #http: HttpClient;

  constructor(options: ODataSourceOptions) {
    this.#base = options.url.endsWith('/') ? options.url : `${options.url}/`;
    this.#auth = { username: options.user, password: options.password };
    this.#preset = options.preset;
    this.#pageSize = options.pageSize ?? 500;
    this.#http = createHttpClient({ serviceName: '1C OData', maxAttempts: 3, ...options.http });
  }

  async check(): Promise<SourceCheck> {
    try {
      const metadata = await this.#get('$metadata', {}, 'application/xml');
      const needed = [this.#preset.counterparties.entitySet, this.#preset.register.entitySet, ...this.#preset.documents.map((d) => d.entitySet)];
      const missing = needed.filter((name) => !new RegExp(`EntitySet\\s+Name="${escapeRegExp(name)}"`).test(metadata));
      if (missing.length > 0) {
        return { ok: false, message: `1C publishes no ${missing.join(', ')} over OData: the 1C admin must add them to the standard interface's content.` };
      }
      return { ok: true, message: `1C OData answers; ${needed.length} objects published.` };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  }

  async counterparties(signal?: AbortSignal): Promise<SourceCounterparty[]> {
    const { entitySet, filter, fields } = this.#preset.counterparties;
    const rows = await this.#all(entitySet, { filter, fields: Object.values(fields).filter((f): f is string => !!f) }, signal);
    return rows.map((row) => ({
      ref: text(read(row, fields.ref)) ?? '',
      code: text(read(row, fields.code)) ?? '',
      name: text(read(row, fields.name)) ?? '',
      taxId: fields.taxId ? text(read(row, fields.taxId)) : null,
      priceColumn: fields.priceColumn ? text(read(row, fields.priceColumn)) : null,
      region: fields.region ? text(read(row, fields.region)) : null,
      manager: fields.manager ? text(read(row, fields.manager)) : null,
      creditLimit: fields.creditLimit ? amount(read(row, fields.creditLimit)) : null,
    }));
  }

  async settlements(period: AccountingPeriod, counterparties: readonly SourceCounterparty[], signal?: AbortSignal): Promise<SourceSettlement[]> {
    const register = this.#preset.register;
    // The condition goes in as written: 1C reads the quotes of its literals (guid'…') inside Condition='…' as they are.
    const condition = register.condition ? `,Condition='${register.condition}'` : '';
    // Balance(Period=X) is the balance before X: the opening at the first day's midnight, the closing at the day after the last.
    const opening = await this.#all(`${register.entitySet}/Balance(Period=datetime'${period.from}T00:00:00'${condition})`, { fields: [register.counterpartyField, register.balanceField] }, signal);
    const closing = await this.#all(`${register.entitySet}/Balance(Period=datetime'${nextDay(period.to)}T00:00:00'${condition})`, { fields: [register.counterpartyField, register.balanceField] }, signal);
    const turnovers = await this.#all(
      `${register.entitySet}/Turnovers(StartPeriod=datetime'${period.from}T00:00:00',EndPeriod=datetime'${period.to}T23:59:59'${condition})`,
      { fields: [register.counterpartyField, register.receiptField, register.expenseField] },
      signal,
    );
    let overdue: Map<string, number> | undefined;
    if (this.#preset.overdue) {
      const o = this.#preset.overdue;
      const due = `${o.dueDateField} lt datetime'${nextDay(period.to)}T00:00:00'`;
      const rows = await this.#all(`${o.entitySet}/Balance(Period=datetime'${nextDay(period.to)}T00:00:00',Condition='${due}')`, { fields: [o.counterpartyField, o.balanceField] }, signal);
      overdue = sumBy(rows, o.counterpartyField, o.balanceField);
    }
    const openingBy = sumBy(opening, register.counterpartyField, register.balanceField);
    const closingBy = sumBy(closing, register.counterpartyField, register.balanceField);
    const receiptBy = sumBy(turnovers, register.counterpartyField, register.receiptField);
    const expenseBy = sumBy(turnovers, register.counterpartyField, register.expenseField);
    const refs = new Set(counterparties.map((c) => c.ref));
    const limits = new Map(counterparties.map((c) => [c.ref, c.creditLimit]));
    // Every counterparty asked for gets a row (zeros when 1C has no movement), and those 1C names besides.
    for (const map of [openingBy, closingBy, receiptBy, expenseBy]) for (const ref of map.keys()) refs.add(ref);
    return [...refs].map((ref) => ({
      counterpartyRef: ref,
      opening: openingBy.get(ref) ?? 0,
      receipt: receiptBy.get(ref) ?? 0,
      expense: expenseBy.get(ref) ?? 0,
      closing: closingBy.get(ref) ?? 0,
      overdue: overdue ? (overdue.get(ref) ?? 0) : null,
      creditLimit: limits.get(ref) ?? null,
    }));
  }

  async documents(period: AccountingPeriod, _counterparties: readonly SourceCounterparty[], signal?: AbortSignal): Promise<SourceDocument[]> {
    const out: SourceDocument[] = [];
    for (const doc of this.#preset.documents) {
      const filter = `Date ge datetime'${period.from}T00:00:00' and Date le datetime'${period.to}T23:59:59' and Posted eq true`;
      const fields = ['Ref_Key', 'Number', 'Date', doc.counterpartyField, doc.amountField, ...(doc.orderNumberField ? [doc.orderNumberField] : [])];
      const rows = await this.#all(doc.entitySet, { filter, fields, orderby: 'Date' }, signal);
      for (const row of rows) {
        out.push({
          ref: text(row.Ref_Key) ?? '',
          counterpartyRef: text(read(row, doc.counterpartyField)) ?? '',
          kind: doc.kind,
          number: (text(row.Number) ?? '').trim(),
          date: text(row.Date) ?? '',
          amount: amount(read(row, doc.amountField)) ?? 0,
          orderNumber: doc.orderNumberField ? text(read(row, doc.orderNumberField)) : null,
        });
      }
    }
    return out;
  }

  /** Every row of a resource, page by page ($top/$skip) until a short page. */
  async #all(resource: string, query: { filter?: string | null; fields: string[]; orderby?: string }, signal?: AbortSignal): Promise<Row[]> {
    const { select, expand } = selection(query.fields);
    const rows: Row[] = [];
    for (let skip = 0; ; skip += this.#pageSize) {
      signal?.throwIfAborted();
      const params: Record<string, string> = { $format: 'json', $select: select, $top: String(this.#pageSize), $skip: String(skip) };
      if (expand) params.$expand = expand;
      if (query.filter) params.$filter = query.filter;
      if (query.orderby) params.$orderby = query.orderby;
      const body = await this.#get(resource, params, 'application/json', signal);
      let page: unknown;
      try {
        page = JSON.parse(body);
      } catch (error) {
        throw new ConnectorError('upstream_rejected', `1C OData answered ${resource} with something that is not JSON: ${bodyExcerpt(body)}`, { cause: error });
      }
      const value = (page as { value?: unknown }).value;
      if (!Array.isArray(value)) throw new ConnectorError('upstream_rejected', `1C OData answered ${resource} without a "value" list: ${bodyExcerpt(body)}`);
      rows.push(...(value as Row[]));
      if (value.length < this.#pageSize) return rows;
    }
  }

  async #get(resource: string, params: Record<string, string>, accept: string, signal?: AbortSignal): Promise<string> {
    // Built by hand: axios' serializer turns spaces into "+" and leaves "$" and "'" alone inconsistently; 1C reads %-escapes.
    const query = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const url = `${this.#base}${encodePath(resource)}${query ? `?${query}` : ''}`;
    const response = await this.#http.request({ url, auth: this.#auth, headers: { Accept: accept }, acceptStatuses: ODATA_ERROR_STATUSES, signal });
    if (response.status >= 200 && response.status < 300) return response.body;
    const said = odataError(response.body);
    const where = `1C OData ${resource.split('?')[0]} (HTTP ${response.status})`;
    if (response.status === 401 || response.status === 403) {
      throw new ConnectorError('unauthorized', `${where}: 1C refused the user${said ? `: ${said}` : ''}; check HUB_1C_USER / HUB_1C_PASSWORD and the user's rights in 1C.`, { status: response.status });
    }
    throw new ConnectorError('upstream_rejected', `${where}: ${said ?? bodyExcerpt(response.body)}`, { status: response.status });
  }
}

type Row = Record<string, unknown>;

/** What 1C says in `{"odata.error":{"code":"-1","message":{"lang":"ru","value":"…"}}}`. */
export function odataError(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { 'odata.error'?: { code?: unknown; message?: { value?: unknown } | string } };
    const error = parsed['odata.error'];
    if (!error) return undefined;
    const message = typeof error.message === 'string' ? error.message : error.message?.value;
    return `${typeof message === 'string' ? message : 'error without a message'} (1C code ${String(error.code ?? '?')})`;
  } catch {
    return undefined;
  }
}

/** Each path segment %-encoded (Cyrillic names), the virtual-table call's punctuation kept readable. */
function encodePath(resource: string): string {
  return resource
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%28/g, '(').replace(/%29/g, ')').replace(/%3D/g, '=').replace(/%2C/g, ',').replace(/%27/g, "'"))
    .join('/');
}

/** $select and $expand for fields, `Nav/Field` paths expanded. */
function selection(fields: string[]): { select: string; expand: string | undefined } {
  const expands = new Set<string>();
  for (const field of fields) {
    const parts = field.split('/');
    for (let i = 1; i < parts.length; i++) expands.add(parts.slice(0, i).join('/'));
  }
  return { select: [...new Set(fields)].join(','), expand: expands.size ? [...expands].join(',') : undefined };
}

function read(row: Row, path: string): unknown {
  let value: unknown = row;
  for (const part of path.split('/')) value = value && typeof value === 'object' ? (value as Row)[part] : undefined;
  return value;
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const s = String(value);
  return s === '' ? null : s;
}

function amount(value: unknown): number | string | null {
  return typeof value === 'number' || typeof value === 'string' ? value : null;
}

function sumBy(rows: Row[], keyField: string, valueField: string): Map<string, number> {
  // Several rows per counterparty (contracts, orders, currencies): their sum is the counterparty's. Cents as integers.
  const cents = new Map<string, number>();
  for (const row of rows) {
    const key = text(read(row, keyField));
    if (!key) continue;
    cents.set(key, (cents.get(key) ?? 0) + Math.round(Number(read(row, valueField) ?? 0) * 100));
  }
  return new Map([...cents].map(([k, v]) => [k, v / 100]));
}

function nextDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
