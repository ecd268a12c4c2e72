import iconv from 'iconv-lite';
import { parseStringPromise } from 'xml2js';
import type { CommerceMlChunk, CommerceMlOrderDocument } from '../../core/model/commerceml.ts';
import type { CatalogueApplied, CatalogueImportContext, CatalogueSink, CommerceMlReader, ImportCounts, OrdersDocumentWriter, ReadOptions } from '../../core/onec/ports.ts';

/**
 * A stand-in for 1C's side of "обмен с сайтом": it calls the hub exactly as 1C's exchange module
 * does (HTTP Basic at checkauth only, then the cookie and sessid the answer gave on every call; files
 * POSTed raw in chunks no larger than init's file_limit; import repeated while the answer is
 * `progress`), and reads every answer as windows-1251 unless told otherwise.
 */
export class OneCStandIn {
  cookie: string | undefined;
  sessid: string | undefined;

  constructor(
    private readonly base: string,
    private readonly login: string,
    private readonly password: string,
    private readonly path = '/1c/exchange',
    readonly encoding: 'windows-1251' | 'utf-8' = 'windows-1251',
  ) {}

  async call(query: Record<string, string>, body?: Buffer, options: { basic?: boolean; cookie?: boolean } = {}): Promise<{ status: number; text: string; lines: string[]; bytes: Buffer; contentType: string }> {
    const params = new URLSearchParams(query);
    if (this.sessid && query.mode !== 'checkauth') params.set('sessid', this.sessid);
    const headers: Record<string, string> = {};
    if (options.basic) headers.authorization = `Basic ${Buffer.from(`${this.login}:${this.password}`).toString('base64')}`;
    if (this.cookie && options.cookie !== false && query.mode !== 'checkauth') headers.cookie = this.cookie;
    if (body) headers['content-type'] = 'application/octet-stream';
    const response = await fetch(`${this.base}${this.path}?${params.toString()}`, { method: body ? 'POST' : 'GET', headers, ...(body && { body }) });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = iconv.decode(bytes, this.encoding);
    return { status: response.status, text, lines: text.replace(/\n$/, '').split('\n'), bytes, contentType: response.headers.get('content-type') ?? '' };
  }

  async checkauth(type: 'catalog' | 'sale'): Promise<string[]> {
    const answer = await this.call({ type, mode: 'checkauth' }, undefined, { basic: true });
    if (answer.lines[0] === 'success') {
      this.cookie = `${answer.lines[1]}=${answer.lines[2]}`;
      this.sessid = answer.lines[3]?.replace(/^sessid=/, '');
    }
    return answer.lines;
  }

  /** Sends a file as 1C does: POSTs of at most `limit` bytes each, appended by the site. */
  async sendFile(type: 'catalog' | 'sale', filename: string, bytes: Buffer, limit: number): Promise<string[][]> {
    const answers: string[][] = [];
    for (let at = 0; at < bytes.byteLength; at += limit) {
      answers.push((await this.call({ type, mode: 'file', filename }, bytes.subarray(at, at + limit))).lines);
    }
    return answers;
  }

  /** mode=import until the hub stops answering progress; every answer, in order. */
  async importUntilDone(type: 'catalog' | 'sale', filename: string, most = 50): Promise<string[][]> {
    const answers: string[][] = [];
    for (let i = 0; i < most; i++) {
      const answer = (await this.call({ type, mode: 'import', filename })).lines;
      answers.push(answer);
      if (answer[0] !== 'progress') return answers;
    }
    throw new Error(`import of ${filename} still in progress after ${most} calls`);
  }
}

/**
 * A small honest reader for the tests: a catalogue file is `catalogue <id> <full|delta>` then one
 * `product <id>` line per record; an orders file is CommerceML parsed with xml2js into
 * CommerceMlOrderDocument (a stand-in until the streaming reader of mappings/commerceml is wired).
 * Both honour batchSize and skipRecords as the real reader must.
 */
export const testReader: CommerceMlReader = {
  async *read(source: AsyncIterable<Buffer>, options: ReadOptions): AsyncGenerator<CommerceMlChunk> {
    const parts: Buffer[] = [];
    for await (const part of source) parts.push(part);
    const whole = Buffer.concat(parts);
    if (whole.subarray(0, 5).toString() === '<?xml') {
      yield* readOrders(whole, options);
      return;
    }
    const lines = whole.toString('utf8').split('\n').filter(Boolean);
    const [, catalogueId, snapshot] = lines[0]!.split(' ');
    yield { kind: 'package', document: 'import', schemaVersion: '2.05', onlyChanges: snapshot !== 'full', catalogueId: catalogueId! };
    const products = lines.slice(1).map((l) => l.split(' ')[1]!);
    for (let at = options.skipRecords; at < products.length; at += options.batchSize) {
      const batch = products.slice(at, at + options.batchSize);
      yield { kind: 'products', position: at, problems: [], products: batch.map((id) => ({ id, name: id, groupIds: [], properties: [], requisites: [], deleted: false })) };
    }
  },
};

async function* readOrders(whole: Buffer, options: ReadOptions): AsyncGenerator<CommerceMlChunk> {
  const declared = /encoding="([^"]+)"/.exec(whole.subarray(0, 100).toString('latin1'))?.[1] ?? 'utf-8';
  const tree = (await parseStringPromise(iconv.decode(whole, declared), { explicitArray: true })) as Record<string, Record<string, unknown[]>>;
  const root = tree['КоммерческаяИнформация']!;
  const raw = [...((root['Документ'] ?? []) as Record<string, unknown[]>[]), ...((root['Контейнер'] ?? []) as Record<string, Record<string, unknown[]>[]>[]).flatMap((c) => c['Документ'] ?? [])];
  const text = (node: Record<string, unknown[]>, name: string) => (node[name]?.[0] as string | undefined)?.trim();
  const documents: CommerceMlOrderDocument[] = raw.map((d) => ({
    id: text(d, 'Ид')!,
    ...(text(d, 'Номер') && { number: text(d, 'Номер') }),
    ...(text(d, 'Дата') && { date: text(d, 'Дата') }),
    ...(text(d, 'ХозОперация') && { operation: text(d, 'ХозОперация') }),
    ...(text(d, 'Сумма') && { amount: text(d, 'Сумма') }),
    ...(text(d, 'Основание') && { basis: text(d, 'Основание') }),
    counterparties: [],
    lines: [],
    requisites: (((d['ЗначенияРеквизитов']?.[0] as Record<string, Record<string, unknown[]>[]> | undefined)?.['ЗначениеРеквизита'] ?? []) as Record<string, unknown[]>[]).map((r) => ({
      name: text(r, 'Наименование')!,
      value: text(r, 'Значение') ?? '',
    })),
  }));
  yield { kind: 'package', document: 'orders', schemaVersion: root.$ ? String((root.$ as unknown as Record<string, string>)['ВерсияСхемы']) : '2.05', onlyChanges: true };
  for (let at = options.skipRecords; at < documents.length; at += options.batchSize) {
    yield { kind: 'documents', position: at, problems: [], documents: documents.slice(at, at + options.batchSize) };
  }
}

/** Records what the exchange hands the catalogue. */
export class RecordingCatalogue implements CatalogueSink {
  readonly applied: string[] = [];
  readonly snapshots: { catalogueId: string; startedAt: Date }[] = [];

  /** A product the catalogue refuses (a fault to fix), until cleared. */
  failOn: string | undefined;

  async apply(chunk: CommerceMlChunk, _context: CatalogueImportContext): Promise<CatalogueApplied> {
    if (chunk.kind !== 'products') return { counts: {} };
    if (this.failOn && chunk.products.some((p) => p.id === this.failOn)) throw new Error(`product ${this.failOn}: unit «шт» is unknown`);
    this.applied.push(...chunk.products.map((p) => p.id));
    return { counts: { products: chunk.products.length } };
  }

  async finishSnapshot(catalogueId: string, startedAt: Date): Promise<ImportCounts> {
    this.snapshots.push({ catalogueId, startedAt });
    return { deactivated: 0 };
  }
}

/** Writes the orders as a small CommerceML document in the asked encoding (the real writer is mappings/commerceml's). */
export const testWriter: OrdersDocumentWriter = {
  write(orders, { profile, encoding }) {
    const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    const documents = orders.map((o) => {
      const document = `<Документ><Ид>${escape(o.id)}</Ид><Номер>${escape(o.number)}</Номер><Дата>${o.date}</Дата><ХозОперация>Заказ товара</ХозОперация><Валюта>${o.currency}</Валюта><Сумма>${o.amount}</Сумма></Документ>`;
      return profile === '2.08' ? `<Контейнер>${document}</Контейнер>` : document;
    });
    const xml = `<?xml version="1.0" encoding="${encoding}"?>\n<КоммерческаяИнформация ВерсияСхемы="${profile}">${documents.join('')}</КоммерческаяИнформация>`;
    return iconv.encode(xml, encoding);
  },
};
