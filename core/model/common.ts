import './formats.ts';
import { Type, type Static } from '@sinclair/typebox';

/** Money and quantities travel as decimal strings; they are never floats. */
export const DecimalString = Type.String({ pattern: '^-?\\d+(\\.\\d+)?$', description: 'decimal number as a string' });
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
