import './formats.ts';
import { Type, type Static } from '@sinclair/typebox';

/** Money and quantities travel as decimal strings; they are never floats. */
export const DecimalString = Type.String({ pattern: '^-?\\d+(\\.\\d+)?$', description: 'decimal number as a string' });
/** What DECIMAL(18,4) holds: amounts and quantities. */
/** A decimal as PostgreSQL's numeric text gives it, without its scale's trailing zeros: "12.5000" → "12.5", "2.0000" → "2". */
export function trimZeros(value: string): string {
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}

export const MoneyString = Type.String({ pattern: '^-?\\d{1,14}(\\.\\d{1,4})?$', description: 'decimal string, at most 14 integer and 4 fractional digits' });
/** What DECIMAL(18,6) holds: unit prices, which are often a total divided by a quantity. */
export const UnitPriceString = Type.String({ pattern: '^-?\\d{1,12}(\\.\\d{1,6})?$', description: 'decimal string, at most 12 integer and 6 fractional digits' });
export const IsoDateTime = Type.String({ format: 'date-time', description: 'ISO 8601 instant' });
export const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'calendar date YYYY-MM-DD' });

export const AddressSchema = Type.Object({
  name: Type.Optional(Type.String()),
  company: Type.Optional(Type.String()),
  line1: Type.Optional(Type.String()),
  line2: Type.Optional(Type.String()),
  city: Type.Optional(Type.String()),
  postcode: Type.Optional(Type.String()),
  /** State, county or region as the source gives it. */
  region: Type.Optional(Type.String()),
  /** ISO 3166-1 alpha-2 when known, the source's text otherwise. */
  country: Type.Optional(Type.String()),
  phone: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
});
export type Address = Static<typeof AddressSchema>;
