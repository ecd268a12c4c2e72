import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for 1C's OData standard interface, over real HTTP: Basic auth, `$metadata`, entity sets
 * with $filter (eq/ne/ge/le/gt/lt joined by `and`), $select, $expand of references, $top/$skip, and
 * the register's virtual tables as path functions — `Balance(Period=datetime'…')` (the balance before
 * the instant, one row per counterparty and contract, as 1C groups by every dimension) and
 * `Turnovers(StartPeriod=…,EndPeriod=…)` with `СуммаReceipt` / `СуммаExpense` / `СуммаTurnover`.
 * Errors are 1C's `{"odata.error":{"code":"-1","message":{"lang":"ru","value":"…"}}}`.
 */

export interface Movement {
  /** 1C's local date-time. */
  period: string;
  kind: 'Receipt' | 'Expense';
  counterparty: string;
  contract: string;
  amount: number;
}

export interface ODataStandIn {
  /** …/odata/standard.odata/ */
  url: string;
  /** Every request's path and query exactly as it arrived (still %-encoded). */
  requests: string[];
  counterparties: Record<string, unknown>[];
  documents: Record<string, Record<string, unknown>[]>;
  movements: Movement[];
  register: string;
  /** Answer a request whose decoded path matches with 1C's error instead. */
  failOn: { path: RegExp; status: number; message: string } | undefined;
  close(): Promise<void>;
}

export async function startODataStandIn(options: { user: string; password: string; register?: string; infobase?: string }): Promise<ODataStandIn> {
  const prefix = `/${options.infobase ?? 'trade'}/odata/standard.odata/`;
  const state: Omit<ODataStandIn, 'url' | 'close'> = {
    requests: [],
    counterparties: [],
    documents: {},
    movements: [],
    register: options.register ?? 'AccumulationRegister_РасчетыСКлиентами',
    failOn: undefined,
  };
  const expected = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    state.requests.push(request.url ?? '');
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
      response.end(JSON.stringify(body));
    };
    const odataError = (status: number, message: string) => json(status, { 'odata.error': { code: '-1', message: { lang: 'ru', value: message } } });
    if (request.headers.authorization !== expected) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="1C"' });
      return void response.end();
    }
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const path = decodeURIComponent(url.pathname);
    if (!path.startsWith(prefix)) return odataError(404, 'Не найден ресурс');
    const resource = path.slice(prefix.length);
    if (state.failOn && state.failOn.path.test(resource)) return odataError(state.failOn.status, state.failOn.message);
    const query = url.searchParams;

    if (resource === '$metadata') {
      const sets = ['Catalog_Контрагенты', state.register, ...Object.keys(state.documents)];
      response.writeHead(200, { 'content-type': 'application/xml;charset=utf-8' });
      return void response.end(
        `<?xml version="1.0" encoding="UTF-8"?><edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0"><edmx:DataServices><Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" Namespace="StandardODATA"><EntityContainer Name="InfoBase" m:IsDefaultEntityContainer="true" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">${sets
          .map((s) => `<EntitySet Name="${s}" EntityType="StandardODATA.${s}"/>`)
          .join('')}</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`,
      );
    }
    if (query.get('$format') !== 'json') return odataError(400, 'Неподдерживаемый формат');

    let rows: Record<string, unknown>[];
    const fn = /^([^/]+)\/(Balance|Turnovers)\((.*)\)$/.exec(resource);
    if (fn) {
      if (fn[1] !== state.register) return odataError(404, `Не найден ресурс ${fn[1]}`);
      const args = functionArgs(fn[3]!);
      if (!args) return odataError(400, 'Неправильный синтаксис параметров виртуальной таблицы');
      rows = fn[2] === 'Balance' ? balance(state.movements, args.Period) : turnovers(state.movements, args.StartPeriod, args.EndPeriod);
    } else if (resource === 'Catalog_Контрагенты') {
      rows = state.counterparties;
    } else if (state.documents[resource]) {
      rows = state.documents[resource]!;
    } else {
      return odataError(404, `Не найден ресурс ${resource}`);
    }

    const filter = query.get('$filter');
    if (filter) {
      const test = compileFilter(filter);
      if (!test) return odataError(400, `Ошибка разбора условия $filter: ${filter}`);
      rows = rows.filter(test);
    }
    const expand = new Set((query.get('$expand') ?? '').split(',').filter(Boolean));
    rows = rows.map((row) => project(row, query.get('$select'), expand));
    const skip = Number(query.get('$skip') ?? 0);
    const top = query.has('$top') ? Number(query.get('$top')) : rows.length;
    json(200, { 'odata.metadata': `http://stand-in${prefix}$metadata#${resource}`, value: rows.slice(skip, skip + top) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** `Period=datetime'2026-01-01T00:00:00',Condition='…'` → { Period: '2026-01-01T00:00:00', … }; undefined when 1C would refuse it. */
function functionArgs(text: string): Record<string, string> | undefined {
  const args: Record<string, string> = {};
  const re = /(\w+)=(?:datetime'([^']*)'|'((?:[^']|'')*)')(?:,|$)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = re.exec(text))) {
    args[match[1]!] = match[2] ?? match[3]!;
    consumed = re.lastIndex;
  }
  return consumed === text.length ? args : undefined;
}

function balance(movements: Movement[], before: string | undefined): Record<string, unknown>[] {
  const sums = new Map<string, number>();
  for (const m of movements) {
    if (before && m.period >= before) continue;
    const key = `${m.counterparty}|${m.contract}`;
    sums.set(key, (sums.get(key) ?? 0) + (m.kind === 'Receipt' ? m.amount : -m.amount));
  }
  return [...sums]
    .filter(([, sum]) => sum !== 0)
    .map(([key, sum]) => {
      const [counterparty, contract] = key.split('|');
      return { Контрагент_Key: counterparty, Договор_Key: contract, СуммаBalance: round(sum) };
    });
}

function turnovers(movements: Movement[], start: string | undefined, end: string | undefined): Record<string, unknown>[] {
  const sums = new Map<string, { receipt: number; expense: number }>();
  for (const m of movements) {
    if ((start && m.period < start) || (end && m.period > end)) continue;
    const key = `${m.counterparty}|${m.contract}`;
    const s = sums.get(key) ?? { receipt: 0, expense: 0 };
    if (m.kind === 'Receipt') s.receipt += m.amount;
    else s.expense += m.amount;
    sums.set(key, s);
  }
  return [...sums].map(([key, s]) => {
    const [counterparty, contract] = key.split('|');
    return { Контрагент_Key: counterparty, Договор_Key: contract, СуммаReceipt: round(s.receipt), СуммаExpense: round(s.expense), СуммаTurnover: round(s.receipt - s.expense) };
  });
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Conditions of the form `Field op literal` joined by `and`; literals datetime'…', guid'…', '…', true/false, numbers. */
function compileFilter(filter: string): ((row: Record<string, unknown>) => boolean) | undefined {
  const parts = filter.split(/ and /);
  const tests: ((row: Record<string, unknown>) => boolean)[] = [];
  for (const part of parts) {
    const m = /^\s*([\wА-Яа-яЁё/]+) (eq|ne|ge|le|gt|lt) (datetime'[^']*'|guid'[^']*'|'[^']*'|true|false|-?\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) return undefined;
    const [, field, op, literal] = m as unknown as [string, string, string, string];
    const value: unknown = literal === 'true' ? true : literal === 'false' ? false : /^-?\d/.test(literal) ? Number(literal) : literal.replace(/^(datetime|guid)?'|'$/g, '');
    tests.push((row) => {
      const actual = row[field!];
      switch (op) {
        case 'eq': return actual === value;
        case 'ne': return actual !== value;
        case 'ge': return String(actual) >= String(value);
        case 'le': return String(actual) <= String(value);
        case 'gt': return String(actual) > String(value);
        default: return String(actual) < String(value);
      }
    });
  }
  return (row) => tests.every((t) => t(row));
}

/** $select keeps the fields named (a `Nav/Field` keeps the expanded reference); references stay GUIDs unless expanded, as in 1C. */
function project(row: Record<string, unknown>, select: string | null, expand: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    const isReference = typeof value === 'object' && value !== null;
    if (isReference && !expand.has(key)) continue;
    if (select && !select.split(',').some((f) => f === key || f.startsWith(`${key}/`))) continue;
    out[key] = value;
  }
  return out;
}
