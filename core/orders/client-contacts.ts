import type { Address } from '../model/common.ts';
import type { Customer } from '../model/order.ts';
import type { FieldChange } from './order-diff.ts';

/**
 * Clients' phones and e-mails are personal data: callers whose role does not need them (an
 * accountant reading turnover) get orders without them. Names and addresses stay (invoices and
 * settlements need them); the versions' snapshots, which hold everything, are left out.
 */

const CONTACT_KEYS = new Set(['email', 'phone']);

export function customerWithoutContacts(customer: Customer): Customer {
  return dropContacts(customer);
}

export function addressWithoutContacts(address: Address | null): Address | null {
  return address && dropContacts(address);
}

/**
 * A change of a contact field keeps that it changed, not the values; a change of a whole object
 * (an address that appeared) keeps the object without its contacts.
 */
export function changeWithoutContacts(change: FieldChange): FieldChange {
  const last = change.field.split('.').pop() ?? '';
  const { from, to, ...rest } = change;
  if (CONTACT_KEYS.has(last)) return rest;
  return { ...rest, ...('from' in change && { from: withoutContactsDeep(from) }), ...('to' in change && { to: withoutContactsDeep(to) }) };
}

function dropContacts<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !CONTACT_KEYS.has(key))) as T;
}

function withoutContactsDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutContactsDeep);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !CONTACT_KEYS.has(key)).map(([key, inner]) => [key, withoutContactsDeep(inner)]));
}
