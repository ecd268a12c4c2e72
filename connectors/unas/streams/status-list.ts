import { isXmlObject, parseXmlBytes, xmlText } from '../../_kit/xml.ts';
import type { UnasState, UnasStatusEntry, UnasStatusList } from '../spec.ts';

/** The status list is asked for again once it is this old ("refreshed daily"). */
export const STATUS_LIST_MAX_AGE_MS = 24 * 60 * 60_000;
/**
 * After UNAS refused getOrderStatus (or answered something unreadable) it is not asked again for this
 * long: ≥ 20 failed calls per endpoint ban the IP for an hour [doc], and a key without the
 * getOrderStatus permission would otherwise fail on every run. Network errors (UNAS never answered)
 * are not counted by UNAS and are simply tried again on the next run.
 */
export const STATUS_LIST_RETRY_MS = 6 * 60 * 60_000;
/** Entries kept at most (a shop has tens; a bigger answer is not a status list). */
const MAX_STATUSES = 1000;

const time = (value: unknown): number => (typeof value === 'string' ? Date.parse(value) : NaN);

/** Whether this pull should ask for the status list: none yet, older than a day, and no recent refusal. */
export function statusListDue(state: UnasState | undefined, now: Date): boolean {
  const failedAt = time(state?.statusListFailure?.at);
  if (Number.isFinite(failedAt) && failedAt <= now.getTime() && now.getTime() - failedAt < STATUS_LIST_RETRY_MS) return false;
  const fetchedAt = time(state?.referenceData?.orderStatuses?.fetchedAt);
  // A fetch time in the future (clock skew, bad state) is not trusted: fetch again.
  return !Number.isFinite(fetchedAt) || fetchedAt > now.getTime() || now.getTime() - fetchedAt >= STATUS_LIST_MAX_AGE_MS;
}

const clean = (node: unknown): string | undefined => {
  const raw = xmlText(node);
  const value = raw?.split('\u0000').join('').trim();
  return value ? value : undefined;
};

/**
 * Every element that has a `Name` and a `Type` child, depth first. The list's wrapper elements are read
 * by shape, not by name: what identifies a status is its Id, Name and Type (as on getOrder's orders:
 * `StatusID`, `Status`, and the Status filter's types).
 */
function collect(node: unknown, out: UnasStatusEntry[], depth: number): void {
  if (out.length >= MAX_STATUSES || depth > 8) return;
  if (Array.isArray(node)) {
    for (const item of node) collect(item, out, depth);
    return;
  }
  if (!isXmlObject(node)) return;
  const name = clean(node.Name);
  const type = clean(node.Type)?.toLowerCase();
  if (name !== undefined && type !== undefined) {
    const id = clean(node.Id);
    out.push(id === undefined ? { name, type } : { id, name, type });
    return;
  }
  for (const [key, child] of Object.entries(node)) if (key !== '$') collect(child, out, depth + 1);
}

export type StatusListRead = { ok: true; list: UnasStatusList; text: string; warnings: string[] } | { ok: false; message: string; text: string };

/** Decodes and reads one getOrderStatus answer into the list to keep (with the time it was fetched). */
export function readStatusList(bytes: Buffer, contentType: string, fetchedAt: Date): StatusListRead {
  const parsed = parseXmlBytes(bytes, { contentType });
  if (!parsed.ok) return { ok: false, message: `the getOrderStatus answer is not usable XML: ${parsed.message}`, text: parsed.text };
  const statuses: UnasStatusEntry[] = [];
  collect(parsed.value, statuses, 0);
  if (statuses.length === 0) {
    return { ok: false, message: `the getOrderStatus answer <${parsed.root}> holds no status with a Name and a Type`, text: parsed.decoded.text };
  }
  return { ok: true, list: { fetchedAt: fetchedAt.toISOString(), statuses }, text: parsed.decoded.text, warnings: parsed.decoded.warnings };
}
