/**
 * readCommerceMl: a CommerceML 2.03–2.10 / 3.1 file (import.xml, offers.xml, prices.xml, rests.xml,
 * order documents) read as a stream into bounded chunks (core/model/commerceml.ts). Memory is one
 * record element plus one batch, whatever the file's size: a 1M-offer offers.xml streams (see
 * bench/commerceml and docs/performance.md).
 *
 * - The package kind is decided by content, not by file name: Классификатор/Каталог → import;
 *   ПакетПредложений (or ИзмененияПакетаПредложений) → offers, or for a 3.x package prices / rests
 *   when its first offer has only prices / only stock; Документ (under the root or a Контейнер) → orders.
 * - The header comes first. It says whether the package is a delta (СодержитТолькоИзменения),
 *   which an import.xml only states on Каталог, after the classifier: so the classifier's groups,
 *   properties, price types and warehouses wait until the first record (or the end) decides the header.
 * - A DOCTYPE is refused (no entity can be declared, so none is expanded: XXE is impossible).
 * - Broken or truncated XML: the records completed before the break are yielded, then a
 *   CommerceMlReadError with line and column is thrown; the caller decides what to keep.
 * - One bad record (a Товар without Ид, a price with no number) is a problem in its chunk, never a throw.
 */
import type { Readable } from 'node:stream';
import { SaxesParser } from 'saxes';
import type {
  CatalogueGroup,
  CatalogueProperty,
  CatalogueProduct,
  CatalogueWarehouse,
  CommerceMlChunk,
  CommerceMlDocumentKind,
  CommerceMlOrderDocument,
  CommerceMlPackage,
  CommerceMlProblem,
  Offer,
  PriceType,
} from '../../core/model/commerceml.ts';
import { decodeXml } from './decode.ts';
import { child, mapDocument, mapGroups, mapOffer, mapPriceType, mapProduct, mapProperty, mapWarehouse, type Mapped, type XmlNode } from './records.ts';

export interface ReadCommerceMlOptions {
  /** Records (products, offers, documents) per chunk; also the most groups/properties/… per chunk. Default 500. */
  batchSize?: number;
  /**
   * Skip this many records from the start (they are read, not mapped): resumes an interrupted import.
   * A record chunk's `position` counts every record element before it (a record that only gave a
   * problem counts too), so resuming with the `position` of the first chunk not known to be stored
   * re-reads exactly from there. The header and the classifier's groups, properties, price types and
   * warehouses are not records: they come again on a resume (storing them is idempotent).
   */
  skipRecords?: number;
  /** The encoding of a document with neither a BOM nor an encoding in its XML declaration, e.g. the HTTP charset; default UTF-8. */
  encoding?: string;
}

export class CommerceMlReadError extends Error {
  override name = 'CommerceMlReadError';
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line !== undefined ? `${message} (line ${line}, column ${column})` : message);
  }
}

type Capture = 'group' | 'property' | 'priceType' | 'warehouse' | 'product' | 'offer' | 'document';
type RecordCapture = 'product' | 'offer' | 'document';

/** Which element starts a record or classifier entry, by its local name and its parents'. */
function captureOf(name: string, parent: string | undefined, grandparent: string | undefined): Capture | undefined {
  switch (name) {
    case 'Группа':
      return parent === 'Группы' && grandparent === 'Классификатор' ? 'group' : undefined;
    case 'Свойство':
    case 'СвойствоНоменклатуры':
      return parent === 'Свойства' ? 'property' : undefined;
    case 'ТипЦены':
      return parent === 'ТипыЦен' ? 'priceType' : undefined;
    case 'Склад':
      return parent === 'Склады' ? 'warehouse' : undefined;
    case 'Товар':
      return parent === 'Товары' ? 'product' : undefined;
    case 'Предложение':
      return parent === 'Предложения' ? 'offer' : undefined;
    case 'Документ':
      return 'document';
    default:
      return undefined;
  }
}

const localName = (qualified: string): string => {
  const colon = qualified.indexOf(':');
  return colon < 0 ? qualified : qualified.slice(colon + 1);
};
/** Shared by every element without attributes (most of them): never written to. */
const NO_ATTRIBUTES: Record<string, string> = Object.freeze({}) as Record<string, string>;

const KIND_BY_SECTION: Record<string, CommerceMlDocumentKind> = {
  Классификатор: 'import',
  Каталог: 'import',
  ПакетПредложений: 'offers',
  ИзмененияПакетаПредложений: 'offers',
  Документ: 'orders',
  Контейнер: 'orders',
};

/** A batch being filled: one chunk kind at a time, in document order. */
type Batch =
  | { kind: 'groups'; items: CatalogueGroup[] }
  | { kind: 'properties'; items: CatalogueProperty[] }
  | { kind: 'priceTypes'; items: PriceType[] }
  | { kind: 'warehouses'; items: CatalogueWarehouse[] }
  | { kind: 'products'; items: CatalogueProduct[]; position: number; count: number; problems: CommerceMlProblem[] }
  | { kind: 'offers'; items: Offer[]; position: number; count: number; problems: CommerceMlProblem[] }
  | { kind: 'documents'; items: CommerceMlOrderDocument[]; position: number; count: number; problems: CommerceMlProblem[] };

const RECORD_CHUNK: Record<RecordCapture, 'products' | 'offers' | 'documents'> = { product: 'products', offer: 'offers', document: 'documents' };

export async function* readCommerceMl(source: AsyncIterable<Buffer> | Readable, options: ReadCommerceMlOptions = {}): AsyncGenerator<CommerceMlChunk> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
  const skipRecords = Math.max(0, Math.floor(options.skipRecords ?? 0));

  const ready: CommerceMlChunk[] = [];
  const held: CommerceMlChunk[] = [];
  let headerSent = false;
  const header: CommerceMlPackage = { kind: 'package', document: 'orders', schemaVersion: '', onlyChanges: false };
  let kindSeen: CommerceMlDocumentKind | undefined;
  let unknownSection: string | undefined;
  let recordIndex = 0;
  let batch: Batch | undefined;

  const stack: string[] = [];
  let rootSeen = false;
  let capture: { kind: Capture; nodes: XmlNode[]; root: XmlNode; inContainer: boolean } | undefined;
  let headerField: { section: string; name: string; text: string } | undefined;

  const emit = (chunk: CommerceMlChunk) => (headerSent ? ready : held).push(chunk);

  const flush = () => {
    if (!batch) return;
    const b = batch;
    batch = undefined;
    switch (b.kind) {
      case 'groups':
        return emit({ kind: 'groups', groups: b.items });
      case 'properties':
        return emit({ kind: 'properties', properties: b.items });
      case 'priceTypes':
        return emit({ kind: 'priceTypes', priceTypes: b.items });
      case 'warehouses':
        return emit({ kind: 'warehouses', warehouses: b.items });
      case 'products':
        return emit({ kind: 'products', position: b.position, records: b.count, products: b.items, problems: b.problems });
      case 'offers':
        return emit({ kind: 'offers', position: b.position, records: b.count, offers: b.items, problems: b.problems });
      case 'documents':
        return emit({ kind: 'documents', position: b.position, records: b.count, documents: b.items, problems: b.problems });
    }
  };

  const sendHeader = () => {
    if (headerSent) return;
    headerSent = true;
    if (kindSeen === undefined && unknownSection !== undefined) {
      throw new CommerceMlReadError(`not a CommerceML package this reader knows: its first section is <${unknownSection}>`);
    }
    header.document = kindSeen ?? 'orders';
    ready.push({ ...header }, ...held);
    held.length = 0;
  };

  /** A classifier entry: into the current batch of its kind (a new batch when the kind changes or it is full). */
  const addEntry = <K extends 'groups' | 'properties' | 'priceTypes' | 'warehouses'>(kind: K, items: Extract<Batch, { kind: K }>['items']) => {
    for (const item of items) {
      if (batch && (batch.kind !== kind || batch.items.length >= batchSize)) flush();
      batch ??= { kind, items: [] } as Batch;
      (batch.items as unknown[]).push(item);
    }
  };

  const addRecord = (kind: RecordCapture, node: XmlNode, inContainer: boolean) => {
    const index = recordIndex++;
    if (!headerSent) {
      if (kindSeen === 'offers' && header.schemaVersion.startsWith('3')) {
        const prices = child(node, 'Цены') !== undefined;
        const rests = child(node, 'Остатки') !== undefined;
        if (prices && !rests) kindSeen = 'prices';
        else if (rests && !prices) kindSeen = 'rests';
      }
      if (kind === 'document') {
        kindSeen ??= 'orders';
        header.containers = inContainer;
      }
      flush();
      sendHeader();
    }
    if (index < skipRecords) return;
    const chunkKind = RECORD_CHUNK[kind];
    if (batch && batch.kind !== chunkKind) flush();
    batch ??= { kind: chunkKind, items: [], position: index, count: 0, problems: [] } as Batch;
    const b = batch as Extract<Batch, { kind: 'products' | 'offers' | 'documents' }>;
    const mapped: Mapped<unknown> = kind === 'product' ? mapProduct(node) : kind === 'offer' ? mapOffer(node) : mapDocument(node);
    if (mapped.record) (b.items as unknown[]).push(mapped.record);
    const ref = child(node, 'Ид')?.text.trim() || `#${index}`;
    for (const message of mapped.problems) b.problems.push({ ref, message });
    b.count++;
    if (b.count >= batchSize) flush();
  };

  const finish = (kind: Capture, node: XmlNode, inContainer: boolean) => {
    switch (kind) {
      case 'group':
        return addEntry('groups', mapGroups(node).groups);
      case 'property': {
        const property = mapProperty(node);
        return property && addEntry('properties', [property]);
      }
      case 'priceType': {
        const priceType = mapPriceType(node);
        return priceType && addEntry('priceTypes', [priceType]);
      }
      case 'warehouse': {
        const warehouse = mapWarehouse(node);
        return warehouse && addEntry('warehouses', [warehouse]);
      }
      default:
        return addRecord(kind, node, inContainer);
    }
  };

  const parser = new SaxesParser({ xmlns: false, position: true });
  const fail = (message: string) => new CommerceMlReadError(message, parser.line, parser.column);

  parser.on('doctype', () => {
    throw fail('refused: the document has a DOCTYPE (external entities and entity declarations are not accepted in CommerceML)');
  });
  parser.on('opentag', (tag) => {
    const name = localName(tag.name);
    const raw = tag.attributes as Record<string, string>;
    let attrs: Record<string, string> = NO_ATTRIBUTES;
    for (const key in raw) {
      if (key === 'xmlns' || key.startsWith('xmlns:')) continue;
      if (attrs === NO_ATTRIBUTES) attrs = {};
      attrs[localName(key)] = raw[key]!;
    }
    if (capture) {
      const node: XmlNode = { name, attrs, children: [], text: '' };
      capture.nodes[capture.nodes.length - 1]!.children.push(node);
      capture.nodes.push(node);
      return;
    }
    const depth = stack.length;
    if (depth === 0) {
      rootSeen = true;
      if (name !== 'КоммерческаяИнформация') throw fail(`not a CommerceML document: the root element is <${tag.name}>, not <КоммерческаяИнформация>`);
      header.schemaVersion = attrs['ВерсияСхемы']?.trim() ?? '';
      const generatedAt = attrs['ДатаФормирования']?.trim();
      if (generatedAt) header.generatedAt = generatedAt;
    } else if (depth === 1) {
      const kind = KIND_BY_SECTION[name];
      // 1C's offers.xml starts with a bare Классификатор (Ид, Владелец): the section after it decides.
      if (kind) kindSeen = kindSeen === undefined || (kindSeen === 'import' && name !== 'Классификатор' && !headerSent) ? kind : kindSeen;
      else unknownSection ??= name;
      const onlyChanges = attrs['СодержитТолькоИзменения']?.trim();
      // Каталог / ПакетПредложений state it for their records (after the classifier, so they win); a classifier-only 3.x file states it on Классификатор.
      if (onlyChanges !== undefined) header.onlyChanges = onlyChanges.toLowerCase() === 'true';
      else if (name === 'ИзмененияПакетаПредложений') header.onlyChanges = true;
    } else if (depth === 2 && (name === 'Ид' || name === 'ИдКаталога' || name === 'ИдКлассификатора')) {
      headerField = { section: stack[1]!, name, text: '' };
    }
    const kind = captureOf(name, stack[depth - 1], stack[depth - 2]);
    if (kind) {
      const root: XmlNode = { name, attrs, children: [], text: '' };
      capture = { kind, nodes: [root], root, inContainer: stack[depth - 1] === 'Контейнер' };
      return;
    }
    stack.push(name);
  });
  const onText = (text: string) => {
    if (capture) {
      const node = capture.nodes[capture.nodes.length - 1]!;
      // Leading whitespace is trimmed anyway; skipping it spares the indentation between elements.
      if (node.text || /\S/.test(text)) node.text += text;
    } else if (headerField) headerField.text += text;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    if (capture) {
      capture.nodes.pop();
      if (capture.nodes.length === 0) {
        const done = capture;
        capture = undefined;
        finish(done.kind, done.root, done.inContainer);
      }
      return;
    }
    if (headerField && stack.length === 3) {
      const value = headerField.text.trim();
      const { section, name } = headerField;
      headerField = undefined;
      if (value) {
        if (name === 'ИдКлассификатора' || (section === 'Классификатор' && name === 'Ид')) header.classifierId ??= value;
        else if (name === 'ИдКаталога' || (section === 'Каталог' && name === 'Ид')) header.catalogueId ??= value;
      }
    }
    stack.pop();
  });

  const broken = (error: unknown): CommerceMlReadError => {
    if (error instanceof CommerceMlReadError) return error;
    const message = error instanceof Error ? error.message : String(error);
    // saxes prefixes "line:column: "; the error carries them as fields instead.
    const match = /^(\d+):(\d+): (.*)$/s.exec(message);
    return match
      ? new CommerceMlReadError(`broken XML: ${match[3]}`, Number(match[1]), Number(match[2]))
      : new CommerceMlReadError(`broken XML: ${message}`, parser.line, parser.column);
  };

  /** After a break: what was completed before it is handed out, then the error. */
  function* drainThenThrow(error: unknown): Generator<CommerceMlChunk> {
    const failure = broken(error);
    if (rootSeen) {
      flush();
      try {
        sendHeader();
      } catch {
        // the header itself could not be decided: nothing before the break is worth keeping
        throw failure;
      }
      yield* ready.splice(0);
    }
    throw failure;
  }

  try {
    for await (const text of decodeXml(source, options.encoding)) {
      try {
        parser.write(text);
      } catch (error) {
        yield* drainThenThrow(error);
      }
      if (ready.length > 0) yield* ready.splice(0);
    }
    try {
      parser.close();
    } catch (error) {
      yield* drainThenThrow(error);
    }
  } catch (error) {
    if (error instanceof CommerceMlReadError) throw error;
    if (error instanceof Error && error.name === 'CommerceMlEncodingError') throw new CommerceMlReadError(error.message);
    throw error;
  }
  flush();
  sendHeader();
  yield* ready.splice(0);
}
