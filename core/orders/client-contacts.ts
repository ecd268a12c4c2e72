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

/** A change of a contact field keeps that it changed, not the values. */
export function changeWithoutContacts(change: FieldChange): FieldChange {
  const last = change.field.split('.').pop() ?? '';
  if (!CONTACT_KEYS.has(last)) return change;
  const { from: _from, to: _to, ...rest } = change;
  return rest;
}

function dropContacts<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !CONTACT_KEYS.has(key))) as T;
}
