import { Type, type Static } from '@sinclair/typebox';
import { ORDER_STATUSES } from '../orders/order-status.ts';

/**
 * The settings of the CommerceML exchange with 1C ("обмен с сайтом"), kept as the config of the hub's
 * 1C channel (connector `onec-exchange`, kind `erp`): what `init` announces, how answers are encoded,
 * which orders go to 1C and how 1C's statuses read. A hub without such a channel uses the defaults.
 */
export const OnecExchangeSettingsSchema = Type.Object(
  {
    /** How the hub's text answers (and the orders document) are encoded; 1C's exchange module reads windows-1251 unless told otherwise (≥ 6.5 reads UTF-8). */
    encoding: Type.Union([Type.Literal('windows-1251'), Type.Literal('utf-8')], { default: 'windows-1251' }),
    /** init's `zip=yes|no`: may 1C send its files as one zip archive. */
    zip: Type.Boolean({ default: false }),
    /** init's `file_limit`: the largest chunk 1C sends in one mode=file call, in bytes. */
    fileLimit: Type.Integer({ minimum: 1, maximum: 100 * 1024 * 1024, default: 8 * 1024 * 1024 }),
    /** The orders document's profile: 2.05 puts Документ under the root, 2.08 wraps each in a Контейнер (1C exchange module ≥ 6.5). */
    profile: Type.Union([Type.Literal('2.05'), Type.Literal('2.08')], { default: '2.08' }),
    /** Which orders go to 1C on sale&mode=query: dealers' purchase orders, orders of the sales channels, or both. */
    ordersTo1c: Type.Union([Type.Literal('dealer_purchases'), Type.Literal('channel_orders'), Type.Literal('both')], { default: 'both' }),
    /** 1C's order statuses (Статус заказа as sent, or its Статуса заказа ИД) → the hub's core status. */
    statusMap: Type.Record(Type.String(), Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s))), { default: {} }),
    /** How long one mode=import call works before it answers `progress` (1C calls again). */
    stepSeconds: Type.Number({ minimum: 0, maximum: 600, default: 20 }),
    /** An exchange session unused this long ends (1C starts again with checkauth). */
    sessionMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 60 }),
    /** A zip archive may unpack to at most this many bytes, and each entry to at most `maxZipRatio` times its packed size. */
    maxUnpackedBytes: Type.Integer({ minimum: 1, default: 2 * 1024 * 1024 * 1024 }),
    maxZipRatio: Type.Integer({ minimum: 1, default: 200 }),
  },
  { additionalProperties: false },
);
export type OnecExchangeSettings = Static<typeof OnecExchangeSettingsSchema>;

/** The connector type of the hub's 1C channel. */
export const ONEC_EXCHANGE_CONNECTOR = 'onec-exchange';
