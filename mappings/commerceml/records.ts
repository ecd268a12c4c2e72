/**
 * One record element of a CommerceML file (a Товар, a Предложение, a Документ …), held as a small
 * tree while it is read, and its mapping onto core/model/commerceml.ts. Names are local names (a
 * `cml:` prefix or the default namespace of 2.07+/3.x files makes no difference). Text is trimmed;
 * entities were decoded once by the parser, so `&amp;quot;` stays the text `&quot;`.
 */
import type {
  CatalogueGroup,
  CatalogueProduct,
  CatalogueProperty,
  CatalogueWarehouse,
  CommerceMlOrderDocument,
  Offer,
  OfferPrice,
  OfferStock,
  PriceType,
} from '../../core/model/commerceml.ts';

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

export const child = (node: XmlNode | undefined, name: string): XmlNode | undefined => node?.children.find((c) => c.name === name);
export const children = (node: XmlNode | undefined, name: string): XmlNode[] => node?.children.filter((c) => c.name === name) ?? [];
/** The trimmed text of a child element; undefined when absent or empty. */
export const textOf = (node: XmlNode | undefined, name: string): string | undefined => {
  const value = child(node, name)?.text.trim();
  return value ? value : undefined;
};
const attr = (node: XmlNode | undefined, name: string): string | undefined => {
  const value = node?.attrs[name]?.trim();
  return value ? value : undefined;
};

/** A number as 1C sends it (`231.7400`, `1 719`): whitespace removed, otherwise unchanged. Undefined if it is not a '.' decimal. */
export function decimalOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const compact = raw.replace(/[\s\u00a0\u2009\u202f]+/g, '');
  return /^-?\d+(\.\d+)?$/.test(compact) ? compact : undefined;
}

/** What one record gives: the record, and/or what was wrong with it. */
export interface Mapped<T> {
  record?: T;
  problems: string[];
}

const truthy = (value: string | undefined): boolean => value?.toLowerCase() === 'true';

export function mapGroups(node: XmlNode, parentId?: string): { groups: CatalogueGroup[]; problems: string[] } {
  const groups: CatalogueGroup[] = [];
  const problems: string[] = [];
  const id = textOf(node, 'Ид');
  if (!id) {
    problems.push(`a group without Ид ("${textOf(node, 'Наименование') ?? ''}") is skipped with its subgroups`);
    return { groups, problems };
  }
  groups.push({ id, name: textOf(node, 'Наименование') ?? '', ...(parentId ? { parentId } : {}) });
  for (const sub of children(child(node, 'Группы'), 'Группа')) {
    const nested = mapGroups(sub, id);
    groups.push(...nested.groups);
    problems.push(...nested.problems);
  }
  return { groups, problems };
}

export function mapProperty(node: XmlNode): CatalogueProperty | undefined {
  const id = textOf(node, 'Ид');
  if (!id) return undefined;
  const choices = children(child(node, 'ВариантыЗначений'), 'Справочник')
    .map((choice) => ({ id: textOf(choice, 'ИдЗначения') ?? '', value: child(choice, 'Значение')?.text.trim() ?? '' }))
    .filter((choice) => choice.id);
  const valueType = textOf(node, 'ТипЗначений');
  return { id, name: textOf(node, 'Наименование') ?? '', ...(valueType ? { valueType } : {}), choices };
}

export function mapPriceType(node: XmlNode): PriceType | undefined {
  const id = textOf(node, 'Ид');
  if (!id) return undefined;
  const tax = child(node, 'Налог');
  const included = textOf(tax, 'УчтеноВСумме');
  const currency = textOf(node, 'Валюта');
  const taxName = textOf(tax, 'Наименование');
  return {
    id,
    name: textOf(node, 'Наименование') ?? '',
    ...(currency ? { currency } : {}),
    ...(included !== undefined ? { vatIncluded: truthy(included) } : {}),
    ...(taxName ? { taxName } : {}),
  };
}

export function mapWarehouse(node: XmlNode): CatalogueWarehouse | undefined {
  const id = textOf(node, 'Ид');
  return id ? { id, name: textOf(node, 'Наименование') ?? '' } : undefined;
}

const isDeletedStatus = (value: string | undefined): boolean => value?.toLowerCase() === 'удален';

export function mapProduct(node: XmlNode): Mapped<CatalogueProduct> {
  const id = textOf(node, 'Ид');
  if (!id) return { problems: [`a Товар without Ид ("${textOf(node, 'Наименование') ?? ''}")`] };
  const unitNode = child(node, 'БазоваяЕдиница');
  const unitCode = attr(unitNode, 'Код');
  const unitName = unitNode?.text.trim() || attr(unitNode, 'НаименованиеПолное');
  const properties: CatalogueProduct['properties'] = [];
  for (const value of children(child(node, 'ЗначенияСвойств'), 'ЗначенияСвойства')) {
    const propertyId = textOf(value, 'Ид');
    if (!propertyId) continue;
    // A property value is text, not a number: "1,4" stays "1,4" (core decides what it means).
    for (const v of children(value, 'Значение')) properties.push({ propertyId, value: v.text.trim() });
  }
  const article = textOf(node, 'Артикул');
  const barcode = textOf(node, 'Штрихкод');
  const description = textOf(node, 'Описание');
  const manufacturer = textOf(child(node, 'Изготовитель'), 'Наименование');
  return {
    record: {
      id,
      ...(article ? { article } : {}),
      ...(barcode ? { barcode } : {}),
      name: textOf(node, 'Наименование') ?? '',
      ...(unitNode && (unitCode || unitName) ? { unit: { ...(unitCode ? { code: unitCode } : {}), ...(unitName ? { name: unitName } : {}) } } : {}),
      groupIds: children(child(node, 'Группы'), 'Ид').map((g) => g.text.trim()).filter(Boolean),
      ...(description ? { description } : {}),
      ...(manufacturer ? { manufacturer } : {}),
      properties,
      requisites: requisitesOf(node),
      deleted: isDeletedStatus(attr(node, 'Статус')) || isDeletedStatus(textOf(node, 'Статус')) || truthy(textOf(node, 'ПометкаУдаления')),
    },
    problems: [],
  };
}

function requisitesOf(node: XmlNode): { name: string; value: string }[] {
  return children(child(node, 'ЗначенияРеквизитов'), 'ЗначениеРеквизита')
    .map((r) => ({ name: textOf(r, 'Наименование') ?? '', value: child(r, 'Значение')?.text.trim() ?? '' }))
    .filter((r) => r.name);
}

export function mapOffer(node: XmlNode): Mapped<Offer> {
  const id = textOf(node, 'Ид');
  if (!id) return { problems: [`a Предложение without Ид ("${textOf(node, 'Наименование') ?? ''}")`] };
  const problems: string[] = [];
  const hash = id.indexOf('#');
  const productId = hash < 0 ? id : id.slice(0, hash);
  const variantId = hash < 0 ? undefined : id.slice(hash + 1) || undefined;

  let prices: OfferPrice[] | undefined;
  const pricesNode = child(node, 'Цены');
  if (pricesNode) {
    prices = [];
    for (const price of children(pricesNode, 'Цена')) {
      const priceTypeId = textOf(price, 'ИдТипаЦены');
      // ЦенаЗаЕдиницу only: Представление is display text ("2 042,66 руб. за шт").
      const unitPrice = decimalOf(textOf(price, 'ЦенаЗаЕдиницу'));
      if (!priceTypeId || unitPrice === undefined) {
        problems.push(
          !priceTypeId
            ? 'a Цена without ИдТипаЦены is skipped'
            : `the Цена of type ${priceTypeId} has no number in ЦенаЗаЕдиницу ("${textOf(price, 'ЦенаЗаЕдиницу') ?? ''}") and is skipped`,
        );
        continue;
      }
      const currency = textOf(price, 'Валюта');
      const unit = textOf(price, 'Единица');
      const factor = decimalOf(textOf(price, 'Коэффициент'));
      prices.push({ priceTypeId, unitPrice, ...(currency ? { currency } : {}), ...(unit ? { unit } : {}), ...(factor ? { factor } : {}) });
    }
  }

  let quantity = quantityOf(node, problems);
  let stock: OfferStock[] | undefined;
  // 2.05+: <Склад ИдСклада="…" КоличествоНаСкладе="…"/> directly in the offer (some exchange
  // modules write the same as child elements <Ид>/<Количество>: read both).
  for (const store of children(node, 'Склад')) {
    const warehouseId = attr(store, 'ИдСклада') ?? textOf(store, 'Ид');
    const amount = decimalOf(attr(store, 'КоличествоНаСкладе') ?? textOf(store, 'Количество'));
    if (!warehouseId || amount === undefined) {
      problems.push(`a Склад without ИдСклада or a number in КоличествоНаСкладе is skipped`);
      continue;
    }
    (stock ??= []).push({ warehouseId, quantity: amount });
  }
  // 3.x rests.xml: Остатки/Остаток/Склад{Ид,Количество}, or Остаток/Количество for the total.
  const rests = child(node, 'Остатки');
  if (rests) {
    for (const rest of children(rests, 'Остаток')) {
      for (const store of children(rest, 'Склад')) {
        const warehouseId = textOf(store, 'Ид');
        const amount = decimalOf(textOf(store, 'Количество'));
        if (!warehouseId || amount === undefined) {
          problems.push('an Остаток/Склад without Ид or a number in Количество is skipped');
          continue;
        }
        (stock ??= []).push({ warehouseId, quantity: amount });
      }
      if (quantity === undefined) quantity = quantityOf(rest, problems);
    }
    stock ??= [];
  }

  const name = textOf(node, 'Наименование');
  const article = textOf(node, 'Артикул');
  const barcode = textOf(node, 'Штрихкод');
  const deleted = isDeletedStatus(attr(node, 'Статус')) || truthy(textOf(node, 'ПометкаУдаления'));
  return {
    record: {
      id,
      productId,
      ...(variantId ? { variantId } : {}),
      ...(name ? { name } : {}),
      ...(article ? { article } : {}),
      ...(barcode ? { barcode } : {}),
      ...(prices ? { prices } : {}),
      ...(quantity !== undefined ? { quantity } : {}),
      ...(stock ? { stock } : {}),
      ...(deleted ? { deleted } : {}),
    },
    problems,
  };
}

function quantityOf(node: XmlNode, problems: string[]): string | undefined {
  const raw = textOf(node, 'Количество');
  if (raw === undefined) return undefined;
  const value = decimalOf(raw);
  if (value === undefined) problems.push(`Количество "${raw}" is not a number and is skipped`);
  return value;
}

export function mapDocument(node: XmlNode): Mapped<CommerceMlOrderDocument> {
  const id = textOf(node, 'Ид');
  if (!id) return { problems: [`a Документ without Ид (Номер "${textOf(node, 'Номер') ?? ''}")`] };
  const number = textOf(node, 'Номер');
  const date = textOf(node, 'Дата');
  const time = textOf(node, 'Время');
  const operation = textOf(node, 'ХозОперация');
  const currency = textOf(node, 'Валюта');
  const amount = decimalOf(textOf(node, 'Сумма'));
  // Основание: the number of the order a payment ("Выплата наличных денег", "Выплата безналичных денег",
  // "Эквайринговая операция") or a shipment ("Отпуск товара") belongs to, as Bitrix's sale export writes
  // it (SALE_EXPORT_NUMBER_BASE); read as text, or as the Ид of a nested reference if one is given.
  // In the 2.08+ profile such documents also share the order's Контейнер.
  const basisNode = child(node, 'Основание');
  const basis = basisNode ? (textOf(basisNode, 'Ид') ?? (basisNode.text.trim() || undefined)) : undefined;
  return {
    record: {
      id,
      ...(number ? { number } : {}),
      ...(date ? { date } : {}),
      ...(time ? { time } : {}),
      ...(operation ? { operation } : {}),
      ...(currency ? { currency } : {}),
      ...(amount ? { amount } : {}),
      counterparties: children(child(node, 'Контрагенты'), 'Контрагент').map((c) => {
        // A Bitrix contragent Ид is "<userId>#<login>#<name>", spaces included: kept as sent, only trimmed.
        const cid = textOf(c, 'Ид');
        const name = textOf(c, 'Наименование');
        const role = textOf(c, 'Роль');
        return { ...(cid ? { id: cid } : {}), ...(name ? { name } : {}), ...(role ? { role } : {}) };
      }),
      lines: children(child(node, 'Товары'), 'Товар').map((line) => {
        const lid = textOf(line, 'Ид');
        const name = textOf(line, 'Наименование');
        const unitPrice = decimalOf(textOf(line, 'ЦенаЗаЕдиницу'));
        const quantity = decimalOf(textOf(line, 'Количество'));
        const sum = decimalOf(textOf(line, 'Сумма'));
        return {
          ...(lid ? { id: lid } : {}),
          ...(name ? { name } : {}),
          ...(unitPrice ? { unitPrice } : {}),
          ...(quantity ? { quantity } : {}),
          ...(sum ? { amount: sum } : {}),
        };
      }),
      requisites: requisitesOf(node),
      ...(basis ? { basis } : {}),
    },
    problems: [],
  };
}
