/**
 * What a 1C CommerceML package says, as the pure readers in mappings/commerceml/ give it and
 * core/catalogue (catalogue, offers, price columns, stock) and core/orders (order changes from 1C)
 * store it. The readers decide nothing: ids, articles and unit codes are kept as strings exactly as
 * sent (trimmed), numbers as decimal strings with a '.' point; core decides identity, sku and what a
 * full snapshot deactivates.
 */

/** Which file of the exchange a package is, by its content (not its name). */
export type CommerceMlDocumentKind = 'import' | 'offers' | 'prices' | 'rests' | 'orders';

/** The package header, the first chunk a reader yields. */
export interface CommerceMlPackage {
  kind: 'package';
  document: CommerceMlDocumentKind;
  /** ВерсияСхемы: 2.03 … 2.10, 3.1. */
  schemaVersion: string;
  /** ДатаФормирования as sent. */
  generatedAt?: string;
  /** Каталог@СодержитТолькоИзменения / ПакетПредложений@СодержитТолькоИзменения: true = a delta; false = a full snapshot. */
  onlyChanges: boolean;
  catalogueId?: string;
  classifierId?: string;
  /** Every order document sits in a Контейнер (the 2.08+ profile) rather than directly under the root. */
  containers?: boolean;
}

export interface CatalogueGroup {
  id: string;
  name: string;
  parentId?: string;
}

export interface CatalogueProperty {
  id: string;
  name: string;
  /** ТипЗначений as sent: Строка | Число | Справочник … */
  valueType?: string;
  /** A Справочник's choices: ИдЗначения → Значение. */
  choices: { id: string; value: string }[];
}

/** A price type of 1C (тип цен): in the hub, a price column. */
export interface PriceType {
  id: string;
  name: string;
  /** As 1C names it (`руб`, `USD`), not ISO 4217: core maps it. */
  currency?: string;
  /** Налог/УчтеноВСумме: VAT included in the price. */
  vatIncluded?: boolean;
  taxName?: string;
}

export interface CatalogueWarehouse {
  id: string;
  name: string;
}

/** A Товар of import.xml. */
export interface CatalogueProduct {
  /** 1C Ид (a GUID as 1C sends it; never parsed). */
  id: string;
  /** Артикул. */
  article?: string;
  /** Штрихкод. */
  barcode?: string;
  name: string;
  /** БазоваяЕдиница: its Код (OKEI, a string: "796") and its text or НаименованиеПолное. */
  unit?: { code?: string; name?: string };
  /** Группы/Ид. */
  groupIds: string[];
  description?: string;
  /** Изготовитель/Наименование. */
  manufacturer?: string;
  /** ЗначенияСвойств: a value as sent (a Справочник's value id, or text; numbers may have comma decimals). */
  properties: { propertyId: string; value: string }[];
  /** ЗначенияРеквизитов: Наименование → Значение. */
  requisites: { name: string; value: string }[];
  /** Статус="Удален" or ПометкаУдаления=true. */
  deleted: boolean;
}

export interface OfferPrice {
  priceTypeId: string;
  /** ЦенаЗаЕдиницу, a decimal string with '.'. */
  unitPrice: string;
  currency?: string;
  /** Единица as sent. */
  unit?: string;
  /** Коэффициент. */
  factor?: string;
}

export interface OfferStock {
  warehouseId: string;
  quantity: string;
}

/** A Предложение of offers.xml / prices.xml / rests.xml. */
export interface Offer {
  /** `<product guid>` or `<product guid>#<characteristic guid>` for a variant. */
  id: string;
  /** The part before '#': joins the offer to its CatalogueProduct. */
  productId: string;
  /** The part after '#', for a variant. */
  variantId?: string;
  name?: string;
  article?: string;
  barcode?: string;
  /** Undefined: the file says nothing about prices (a rests.xml). */
  prices?: OfferPrice[];
  /** Количество: the total, when given. */
  quantity?: string;
  /** Per warehouse (Склад@ИдСклада@КоличествоНаСкладе, or Остатки/Остаток/Склад); undefined: not in the file. */
  stock?: OfferStock[];
  deleted?: boolean;
}

/** An order document as 1C sends it back (sale&mode=file+import), or as the hub wrote it. */
export interface CommerceMlOrderDocument {
  /** Ид: the hub's id of the order when the order went from the hub; 1C's own otherwise. */
  id: string;
  number?: string;
  /** Дата (yyyy-MM-dd) and Время (HH:mm:ss) as sent. */
  date?: string;
  time?: string;
  /** ХозОперация: "Заказ товара", "Выплата безналичных денег", "Отпуск товара" … */
  operation?: string;
  currency?: string;
  amount?: string;
  counterparties: { id?: string; name?: string; role?: string }[];
  lines: { id?: string; name?: string; unitPrice?: string; quantity?: string; amount?: string }[];
  /** ЗначенияРеквизитов: Номер по 1С, Дата по 1С, ПометкаУдаления, Проведен, Статус заказа … */
  requisites: { name: string; value: string }[];
  /** Основание: the order a payment or shipment document belongs to, when given. */
  basis?: string;
}

/**
 * One order as the hub sends it to 1C (sale&mode=query), written by mappings/commerceml's
 * writeOrdersDocument. Decimals are strings with a '.' point, as they will be written.
 */
export interface OrderForOneC {
  /** Ид: the hub's id of the order; 1C sends it back with its changes. */
  id: string;
  /** Номер: the number people see. */
  number: string;
  /** Дата (yyyy-MM-dd) and Время (HH:mm:ss). */
  date: string;
  time?: string;
  /** ISO 4217 (RUB, USD …): the writer writes 1C's short name (руб). */
  currency: string;
  /** Курс; "1" when omitted. */
  rate?: string;
  /** Сумма: the order total. */
  amount: string;
  /** The buyer as a Контрагент: a dealer by its code, name and tax id (1C finds it by them); a shop's client by name. */
  buyer: { code?: string; name: string; fullName?: string; taxId?: string; kpp?: string };
  lines: OrderLineForOneC[];
  comment?: string;
  requisites?: { name: string; value: string }[];
}

export interface OrderLineForOneC {
  /** Ид: the 1C item id (an offer Ид, `guid#guid` for a variant) when known; else the hub's sku. */
  id: string;
  name: string;
  /** Артикул, when known. */
  article?: string;
  /** БазоваяЕдиница: OKEI code ("796") and short name ("шт"). */
  unit?: { code?: string; name?: string };
  unitPrice: string;
  quantity: string;
  amount: string;
  requisites?: { name: string; value: string }[];
}

/** A record a reader could not read: the rest of the file goes on. */
export interface CommerceMlProblem {
  /** The record's Ид when known, else its position. */
  ref: string;
  message: string;
}

/**
 * A bounded piece of a package, in document order. `position` counts the record elements (products,
 * offers, documents) before this chunk, those that gave only a problem included, so an interrupted
 * import resumes by skipping them; `records` is how many record elements the chunk covers (again
 * problem-only ones included: the next chunk's position is `position + records`). A producer that
 * leaves `records` out means the chunk's own records.
 */
export type CommerceMlChunk =
  | CommerceMlPackage
  | { kind: 'groups'; groups: CatalogueGroup[] }
  | { kind: 'properties'; properties: CatalogueProperty[] }
  | { kind: 'priceTypes'; priceTypes: PriceType[] }
  | { kind: 'warehouses'; warehouses: CatalogueWarehouse[] }
  | { kind: 'products'; position: number; records?: number; products: CatalogueProduct[]; problems: CommerceMlProblem[] }
  | { kind: 'offers'; position: number; records?: number; offers: Offer[]; problems: CommerceMlProblem[] }
  | { kind: 'documents'; position: number; records?: number; documents: CommerceMlOrderDocument[]; problems: CommerceMlProblem[] };
