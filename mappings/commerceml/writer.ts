/**
 * writeOrdersDocument: the orders the hub sends 1C on `type=sale&mode=query`, as a CommerceML
 * document in the shape of 1C's own exchange sample (Документ with ХозОперация "Заказ товара",
 * Роль "Продавец", the buyer as a Контрагент, lines as Товары/Товар, ЗначенияРеквизитов).
 *
 * - Profile 2.05 puts each Документ directly under the root; 2.08 and 2.10 wrap each in a
 *   Контейнер, without which the 1C exchange module ≥ 6.5 "sees nothing" (FORMATS.md §6).
 * - The XML declaration names the encoding the bytes are in. In windows-1251 a character the code
 *   page lacks (★, emoji, Latin accents such as é) is written as a character reference, never as "?".
 * - Currency: 1C names currencies by its own short names (`руб`), not ISO 4217: RUB → "руб" unless
 *   `currencyNames` says otherwise.
 */
import iconv from 'iconv-lite';
import type { OrderForOneC, OrderLineForOneC } from '../../core/model/commerceml.ts';

export type { OrderForOneC, OrderLineForOneC };

export interface WriteOrdersOptions {
  /** 2.05: Документ under the root; 2.08 / 2.10: each Документ in a Контейнер. */
  profile: '2.05' | '2.08' | '2.10';
  encoding: 'windows-1251' | 'utf-8';
  /** ISO code → the name 1C uses; default { RUB: 'руб' }. Codes not listed are written as they are. */
  currencyNames?: Record<string, string>;
  /** ДатаФормирования; now (UTC, to the second) when omitted. */
  generatedAt?: string;
}

const DEFAULT_CURRENCY_NAMES: Record<string, string> = { RUB: 'руб' };

const escapeText = (value: string): string => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (value: string): string => escapeText(value).replace(/"/g, '&quot;');

const fitsIn1251 = new Map<string, boolean>();

/** Characters windows-1251 cannot hold become character references (1C's XML reader resolves them). */
function fitTo1251(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    let fits = code < 0x80 || fitsIn1251.get(char);
    if (fits === undefined) {
      fits = iconv.decode(iconv.encode(char, 'windows-1251'), 'windows-1251') === char;
      fitsIn1251.set(char, fits);
    }
    out += fits ? char : `&#${code};`;
  }
  return out;
}

class Xml {
  private readonly lines: string[] = [];
  private depth = 0;
  open(name: string, attrs: Record<string, string | undefined> = {}): this {
    this.lines.push(`${'\t'.repeat(this.depth)}<${name}${attributes(attrs)}>`);
    this.depth++;
    return this;
  }
  close(name: string): this {
    this.depth--;
    this.lines.push(`${'\t'.repeat(this.depth)}</${name}>`);
    return this;
  }
  leaf(name: string, value: string | undefined, attrs: Record<string, string | undefined> = {}): this {
    if (value === undefined) return this;
    this.lines.push(`${'\t'.repeat(this.depth)}<${name}${attributes(attrs)}>${escapeText(value)}</${name}>`);
    return this;
  }
  requisites(values: { name: string; value: string }[] | undefined): this {
    if (!values || values.length === 0) return this;
    this.open('ЗначенияРеквизитов');
    for (const r of values) this.open('ЗначениеРеквизита').leaf('Наименование', r.name).leaf('Значение', r.value).close('ЗначениеРеквизита');
    return this.close('ЗначенияРеквизитов');
  }
  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

function attributes(attrs: Record<string, string | undefined>): string {
  return Object.entries(attrs)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join('');
}

const nowStamp = (): string => new Date().toISOString().slice(0, 19);

export function writeOrdersDocument(orders: readonly OrderForOneC[], options: WriteOrdersOptions): Buffer {
  const names = { ...DEFAULT_CURRENCY_NAMES, ...options.currencyNames };
  const contained = options.profile !== '2.05';
  const xml = new Xml();
  xml.open('КоммерческаяИнформация', { ВерсияСхемы: options.profile, ДатаФормирования: options.generatedAt ?? nowStamp() });
  for (const order of orders) {
    if (contained) xml.open('Контейнер');
    xml
      .open('Документ')
      .leaf('Ид', order.id)
      .leaf('Номер', order.number)
      .leaf('Дата', order.date)
      .leaf('Время', order.time)
      .leaf('ХозОперация', 'Заказ товара')
      .leaf('Роль', 'Продавец')
      .leaf('Валюта', names[order.currency] ?? order.currency)
      .leaf('Курс', order.rate ?? '1')
      .leaf('Сумма', order.amount)
      .open('Контрагенты')
      .open('Контрагент')
      .leaf('Ид', order.buyer.code)
      .leaf('Наименование', order.buyer.name)
      .leaf('ПолноеНаименование', order.buyer.fullName ?? order.buyer.name)
      .leaf('Роль', 'Покупатель')
      .leaf('ИНН', order.buyer.taxId)
      .leaf('КПП', order.buyer.kpp)
      .close('Контрагент')
      .close('Контрагенты')
      .leaf('Комментарий', order.comment)
      .open('Товары');
    for (const line of order.lines) {
      xml
        .open('Товар')
        .leaf('Ид', line.id)
        .leaf('Артикул', line.article)
        .leaf('Наименование', line.name);
      if (line.unit) {
        xml.leaf('БазоваяЕдиница', line.unit.name ?? '', { Код: line.unit.code });
      }
      xml
        .leaf('ЦенаЗаЕдиницу', line.unitPrice)
        .leaf('Количество', line.quantity)
        .leaf('Сумма', line.amount)
        .requisites(line.requisites)
        .close('Товар');
    }
    xml.close('Товары').requisites(order.requisites).close('Документ');
    if (contained) xml.close('Контейнер');
  }
  xml.close('КоммерческаяИнформация');
  const body = xml.toString();
  if (options.encoding === 'utf-8') return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, 'utf8');
  return iconv.encode(`<?xml version="1.0" encoding="windows-1251"?>\n${fitTo1251(body)}`, 'windows-1251');
}
