/**
 * Where a 1C configuration keeps dealers and settlements, as data: entity sets, fields and the
 * register, per configuration. The hub ships presets for the stock configurations; an installation
 * overrides any part (HUB_1C_OVERRIDES, JSON merged over the preset), because every 1C is customised
 * and the admin's `$metadata` is the truth.
 *
 * A field written `Nav/Field` is read through `$expand=Nav` (a reference's name instead of its GUID,
 * e.g. the price type's Description).
 */
export interface OnecRegisterConfig {
  /** AccumulationRegister_<Имя> or AccountingRegister_<Имя>. */
  entitySet: string;
  /** The dimension naming the counterparty (a GUID field). */
  counterpartyField: string;
  /** Balance(...) field of the debt, e.g. СуммаBalance. */
  balanceField: string;
  /** Turnovers(...) fields: what raised and what lowered the debt. */
  receiptField: string;
  expenseField: string;
  /** Extra Condition of the virtual tables, in OData filter syntax (e.g. an account for БП's Хозрасчетный). */
  condition: string | null;
}

export interface OnecDocumentConfig {
  kind: 'shipment' | 'payment' | 'return';
  /** Document_<Имя>. */
  entitySet: string;
  counterpartyField: string;
  amountField: string;
  /** The field holding the hub's order number (or a reference path to it), when 1C keeps one. */
  orderNumberField: string | null;
}

export interface OnecPreset {
  title: string;
  counterparties: {
    entitySet: string;
    /** $filter applied to the catalogue (folders and deleted items out). */
    filter: string | null;
    fields: {
      ref: string;
      code: string;
      name: string;
      taxId: string | null;
      priceColumn: string | null;
      region: string | null;
      manager: string | null;
      creditLimit: string | null;
    };
  };
  register: OnecRegisterConfig;
  /** Debt past its due date: the same register's balance on a due-date condition; null: not tracked. */
  overdue: { entitySet: string; counterpartyField: string; balanceField: string; dueDateField: string } | null;
  documents: OnecDocumentConfig[];
}

const counterpartyFilter = 'IsFolder eq false and DeletionMark eq false';

export const ONEC_PRESETS: Record<string, OnecPreset> = {
  /** 1C:Управление торговлей 11: settlements by partner/counterparty in РасчетыСКлиентами. */
  ut11: {
    title: '1C:Управление торговлей 11',
    counterparties: {
      entitySet: 'Catalog_Контрагенты',
      filter: counterpartyFilter,
      fields: {
        ref: 'Ref_Key',
        code: 'Code',
        name: 'Description',
        taxId: 'ИНН',
        priceColumn: 'Партнер/ВидЦен/Description',
        region: 'Партнер/БизнесРегион/Description',
        manager: 'Партнер/ОсновнойМенеджер/Description',
        creditLimit: null,
      },
    },
    register: {
      entitySet: 'AccumulationRegister_РасчетыСКлиентами',
      counterpartyField: 'Контрагент_Key',
      balanceField: 'СуммаBalance',
      receiptField: 'СуммаReceipt',
      expenseField: 'СуммаExpense',
      condition: null,
    },
    overdue: null,
    documents: [
      { kind: 'shipment', entitySet: 'Document_РеализацияТоваровУслуг', counterpartyField: 'Контрагент_Key', amountField: 'СуммаДокумента', orderNumberField: 'ЗаказКлиента/НомерПоДаннымКлиента' },
      { kind: 'payment', entitySet: 'Document_ПоступлениеБезналичныхДенежныхСредств', counterpartyField: 'Контрагент_Key', amountField: 'СуммаДокумента', orderNumberField: null },
      { kind: 'return', entitySet: 'Document_ВозвратТоваровОтКлиента', counterpartyField: 'Контрагент_Key', amountField: 'СуммаДокумента', orderNumberField: null },
    ],
  },
  /** 1C:Управление нашей фирмой: РасчетыСПокупателями, price type on the counterparty. */
  unf: {
    title: '1C:Управление нашей фирмой',
    counterparties: {
      entitySet: 'Catalog_Контрагенты',
      filter: counterpartyFilter,
      fields: {
        ref: 'Ref_Key',
        code: 'Code',
        name: 'Description',
        taxId: 'ИНН',
        priceColumn: 'ВидЦен/Description',
        region: null,
        manager: 'Ответственный/Description',
        creditLimit: null,
      },
    },
    register: {
      entitySet: 'AccumulationRegister_РасчетыСПокупателями',
      counterpartyField: 'Контрагент_Key',
      balanceField: 'СуммаBalance',
      receiptField: 'СуммаReceipt',
      expenseField: 'СуммаExpense',
      condition: null,
    },
    overdue: null,
    documents: [
      { kind: 'shipment', entitySet: 'Document_РасходнаяНакладная', counterpartyField: 'Контрагент_Key', amountField: 'СуммаДокумента', orderNumberField: null },
      { kind: 'payment', entitySet: 'Document_ПоступлениеНаСчет', counterpartyField: 'Контрагент_Key', amountField: 'СуммаДокумента', orderNumberField: null },
      { kind: 'return', entitySet: 'Document_ПриходнаяНакладная', counterpartyField: 'Контрагент_Key', amountField: 'СуммаДокумента', orderNumberField: null },
    ],
  },
  /**
   * 1C:Бухгалтерия 3.0: the Хозрасчетный accounting register on account 62; the account's Ref_Key
   * differs per infobase, so `register.condition` must be set (e.g. "Account_Key eq guid'…'").
   */
  bp30: {
    title: '1C:Бухгалтерия предприятия 3.0',
    counterparties: {
      entitySet: 'Catalog_Контрагенты',
      filter: counterpartyFilter,
      fields: { ref: 'Ref_Key', code: 'Code', name: 'Description', taxId: 'ИНН', priceColumn: null, region: null, manager: null, creditLimit: null },
    },
    register: {
      entitySet: 'AccountingRegister_Хозрасчетный',
      counterpartyField: 'ExtDimension1',
      balanceField: 'СуммаBalanceDr',
      receiptField: 'СуммаTurnoverDr',
      expenseField: 'СуммаTurnoverCr',
      condition: null,
    },
    overdue: null,
    documents: [
      { kind: 'shipment', entitySet: 'Document_РеализацияТоваровУслуг', counterpartyField: 'Контрагент_Key', amountField: 'СуммаДокумента', orderNumberField: null },
      { kind: 'payment', entitySet: 'Document_ПоступлениеНаРасчетныйСчет', counterpartyField: 'Контрагент_Key', amountField: 'СуммаДокумента', orderNumberField: null },
      { kind: 'return', entitySet: 'Document_ВозвратТоваровОтПокупателя', counterpartyField: 'Контрагент_Key', amountField: 'СуммаДокумента', orderNumberField: null },
    ],
  },
};

/** The preset named, with the overrides merged over it (objects deeply, arrays replaced). */
export function resolvePreset(name: string, overrides: unknown = {}): OnecPreset {
  const preset = ONEC_PRESETS[name];
  if (!preset) throw new Error(`unknown 1C preset "${name}"; known: ${Object.keys(ONEC_PRESETS).join(', ')}`);
  return merge(preset, overrides) as OnecPreset;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(over)) out[key] = merge(base[key], value);
    return out;
  }
  return over;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
