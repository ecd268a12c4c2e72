import type { PulledPage, PullOptions } from '../../_kit/definition.ts';
import { ConnectorError } from '../../_kit/connector-error.ts';
import { bodyExcerpt, defaultSleep, type Sleep } from '../../_kit/http.ts';
import type { WooClient, WooPage } from '../client.ts';
import type { ResolvedWooConfig, WooState } from '../spec.ts';

/** Never loop forever on a store whose headers lie: at most this many requests per run. */
const MAX_PAGES = 100_000;
/** Restarts of one same-second window whose X-WP-Total changed under us before the cursor is frozen. */
const MAX_WINDOW_RESTARTS = 5;
/** Offset mode: passes read again from page 1 when orders moved between pages (ids missed or seen twice). */
const MAX_OFFSET_REREADS = 1;
const SECOND = 1000;

/** A pulled page, plus a warning ops should see (not an error: the page itself is fine). */
export interface WooPulledPage extends PulledPage<WooState> {
  warning?: string | undefined;
}

/** `date_modified_gmt` is UTC without a zone designator ("2017-03-22T19:28:08"). */
export function parseWooGmt(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i.test(text)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const date = new Date(hasZone ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** ISO 8601 UTC without milliseconds, the form WP's rest_parse_date accepts everywhere. */
export function formatWooParam(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type PageBody = { ok: true; orders: unknown[] } | { ok: false; message: string };

function readPage(page: WooPage): PageBody {
  const { body, contentType } = page.response;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    const kind = /html/i.test(contentType) || /^\s*</.test(body) ? 'an HTML page' : 'malformed JSON';
    return { ok: false, message: `expected a JSON array of orders, got ${kind}: ${(error as Error).message}; starts with: ${bodyExcerpt(body, 120)}` };
  }
  if (!Array.isArray(parsed)) {
    return { ok: false, message: `expected a JSON array of orders, got ${parsed === null ? 'null' : typeof parsed}: ${bodyExcerpt(body, 120)}` };
  }
  return { ok: true, orders: parsed };
}

/** How a page that arrives broken (200 but not a JSON array) is fetched again within the run. */
export interface BrokenPageRetry {
  /** Tries per page, the first one included (the channel's maxAttempts). */
  attempts: number;
  /** Milliseconds before retry n (1-based). */
  delayMs: (retry: number) => number;
  /** Injectable so tests do not wait. */
  sleep?: Sleep | undefined;
}

/** 1 s, 2 s, 4 s … up to 30 s: a store that sends a half-written page is often busy, not broken for good. */
export const DEFAULT_BROKEN_PAGE_RETRY: BrokenPageRetry = { attempts: 4, delayMs: (retry) => Math.min(30_000, 1000 * 2 ** (retry - 1)) };

const modifiedOf = (order: unknown): Date | undefined =>
  order && typeof order === 'object' ? parseWooGmt((order as Record<string, unknown>).date_modified_gmt) : undefined;

const later = (a: Date | undefined, b: Date | undefined): Date | undefined => (!a ? b : !b ? a : a > b ? a : b);

/**
 * Pulls orders changed since the cursor, oldest change first.
 *
 * Modern stores (`orderby=modified` accepted) are read keyset-style: every request is `page=1` with
 * `modified_after = <last date_modified_gmt seen − 1 s>` (the filter is exclusive and has second
 * precision, so the last second is re-read: orders cut off at a page boundary are not skipped) and
 * `modified_before = <run start>`. Each page carries `state`: the largest `date_modified_gmt` of the
 * pages read so far without a gap, capped by the run start, so the cursor advances page by page and a
 * crash at page N resumes from there.
 *
 * Invariants:
 * - Every page is yielded (and archived by the caller) as received, broken ones with `error`.
 * - The emitted cursor C means "every order modified before C is stored"; a run reads from
 *   `C − overlap − 1 s`. It never moves back and never passes the run start (a future cursor from a
 *   skewed clock or bad data is reset to now, with a `warning`).
 * - Ties: a full page whose orders all share one second S would make keyset paging stand still, so
 *   that second is read by offset (`page=2,3…`) in the window `(S − 1 s, S + 1 s)`, which orders can
 *   only leave; if X-WP-Total shrinks meanwhile the window is re-read from page 1.
 * - A broken page (not a JSON array) is fetched again with backoff (`retry`); the broken answers
 *   that came right on a later try are not archived, the page says how often it was refetched. Still
 *   broken after the last try, it cannot tell its dates: it is yielded with `error`, the next page
 *   of the same query is fetched (offset) and the cursor stays where it was before the broken page
 *   for the rest of the run, so the next run reads it again. (HTTP failures are retried by the HTTP
 *   client; when those run out the pull throws and the cursor stays at the last stored page.)
 * - Old stores: `orderby=modified` rejected with 400 → `orderby=date` and plain offset paging;
 *   filters ignored or results not sorted by modified → plain offset paging from there. In both,
 *   `state` comes on the last page only, after a clean run (no broken page, X-WP-Total stable).
 */
export async function* pullOrders(
  client: WooClient,
  config: ResolvedWooConfig,
  state: WooState | undefined,
  options: PullOptions = {},
  retry: BrokenPageRetry = DEFAULT_BROKEN_PAGE_RETRY,
): AsyncGenerator<WooPulledPage> {
  const sleep = retry.sleep ?? defaultSleep;
  const now = options.now ?? (() => new Date());
  // Whole seconds: WooCommerce dates have no milliseconds and modified_before is sent without them.
  const runStart = new Date(Math.floor(now().getTime() / SECOND) * SECOND);
  const overlapMs = config.overlapMinutes * 60_000;
  const cap = (date: Date): Date => (date > runStart ? runStart : date);

  let warning: string | undefined;
  const stored = parseWooGmt(state?.modifiedAfter);
  // Whole seconds too, so `after` below is exactly what is sent.
  let cursor = stored ? new Date(Math.floor(stored.getTime() / SECOND) * SECOND) : undefined;
  if (cursor && cursor > runStart) {
    warning =
      `The stored cursor ${cursor.toISOString()} is later than now (${runStart.toISOString()}; store or hub clock skew, or an order ` +
      `with a future date_modified_gmt): it was reset and this pull restarts from now − ${config.overlapMinutes} min. Orders changed ` +
      'between the last good sync and then may need a full resync.';
    cursor = runStart;
  }

  /** The cursor to persist: every order modified before it is stored. */
  let committed: Date | undefined = cursor;
  /** Largest date_modified_gmt seen at all (offset mode's cursor at the end of a clean run). */
  let maxSeen: Date | undefined = cursor;

  let mode: 'keyset' | 'offset' = 'keyset';
  let orderby: 'modified' | 'date' | 'id' = 'modified';
  let after: Date | undefined = cursor ? new Date(cursor.getTime() - overlapMs - SECOND) : undefined;
  let before: Date = runStart;
  let page = 1;
  /** Set while reading one second by offset (ties). */
  let tie: Date | undefined;
  let restarts = 0;
  /** A broken page or an unstable window: the cursor does not advance any more in this run. */
  let frozen = false;
  /** Offset mode only: no broken page and a stable X-WP-Total. */
  let clean = true;
  let previous: { key: string; total: number | undefined } | undefined;
  /** Offset mode: ids read in this pass, and whether one came twice (pages moved under us). */
  const seen = new Set<string>();
  let seenTwice = false;
  let rereads = 0;

  for (let seq = 1; seq <= MAX_PAGES; seq++) {
    const query = () => ({
      page,
      perPage: config.perPage,
      orderby,
      order: 'asc' as const,
      modifiedAfter: after ? formatWooParam(after) : undefined,
      modifiedBefore: formatWooParam(before),
    });
    let fetched = await client.fetchOrdersPage(query(), { signal: options.signal, acceptStatuses: seq === 1 ? [400] : [] });
    if (fetched.response.status === 400) {
      if (orderby === 'modified' && /orderby/i.test(fetched.response.body)) {
        // Old store: no orderby=modified, so no keyset paging either.
        orderby = 'date';
        mode = 'offset';
        fetched = await client.fetchOrdersPage(query(), { signal: options.signal });
      } else {
        throw new ConnectorError('upstream_rejected', `WooCommerce rejected ${fetched.response.url} with HTTP 400: ${bodyExcerpt(fetched.response.body)}`, {
          status: 400,
        });
      }
    }

    let read = readPage(fetched);
    let tries = 1;
    for (; !read.ok && tries < retry.attempts; tries++) {
      await sleep(retry.delayMs(tries), options.signal);
      fetched = await client.fetchOrdersPage(query(), { signal: options.signal });
      read = readPage(fetched);
    }

    // Same query as the previous request (offset paging): a changed X-WP-Total means pages shifted.
    const key = `${orderby}|${query().modifiedAfter ?? ''}|${query().modifiedBefore}`;
    const shifted = previous !== undefined && previous.key === key && page > 1 && fetched.total !== undefined && previous.total !== undefined && fetched.total !== previous.total;
    previous = { key, total: fetched.total };

    // Pages expected for the whole run so far: those read plus what the current query still has.
    const totalPages = fetched.totalPages !== undefined ? seq + Math.max(0, fetched.totalPages - page) : undefined;
    options.onProgress?.({ page: seq, totalPages });

    const out: WooPulledPage = {
      source: fetched.response.url,
      contentType: fetched.response.contentType,
      body: fetched.response.body,
      page: seq,
      totalPages,
      error: undefined,
      state: undefined,
    };
    const notes: string[] = [];
    if (warning) notes.push(warning);
    warning = undefined;
    if (read.ok && tries > 1) notes.push(`The page arrived broken ${tries - 1} time(s) and was fetched again; this answer is whole.`);

    const queryHasMore = fetched.totalPages === undefined || page < fetched.totalPages;

    if (!read.ok) {
      out.error = { code: 'invalid_data', message: tries > 1 ? `${read.message} (still broken after ${tries} tries)` : read.message };
      frozen = true;
      clean = false;
      if (notes.length > 0) out.warning = notes.join(' ');
      yield out;
      // Without X-WP-TotalPages we cannot know whether more pages exist: stop here.
      if (fetched.totalPages === undefined || !queryHasMore) {
        if (tie && fetched.totalPages !== undefined) {
          ({ after, before, page, tie } = { after: tie, before: runStart, page: 1, tie: undefined });
          continue;
        }
        return;
      }
      page += 1;
      continue;
    }

    if (mode === 'offset') {
      for (const order of read.orders) {
        const id = order && typeof order === 'object' ? (order as Record<string, unknown>).id : undefined;
        if (id === undefined) continue;
        if (seen.has(String(id))) seenTwice = true;
        seen.add(String(id));
      }
    }
    const dates = read.orders.map(modifiedOf);
    let first: Date | undefined;
    let last: Date | undefined;
    let sorted = true;
    for (const date of dates) {
      if (!date) continue;
      maxSeen = later(maxSeen, date);
      if (!first) first = date;
      if (last && date < last) sorted = false;
      last = date;
    }
    const full = read.orders.length >= config.perPage;
    const windowEnd = read.orders.length === 0 || !full || !queryHasMore;

    if (mode === 'keyset') {
      const outside = dates.some((d) => d !== undefined && ((after !== undefined && d <= after) || d >= before));
      if (outside || !sorted || (full && !last)) {
        mode = 'offset';
        notes.push(
          outside
            ? 'The store ignores modified_after/modified_before (older WooCommerce): reading every page by offset, ordered by id; the cursor moves only after a clean run.'
            : 'The store does not sort by date_modified_gmt: reading every page by offset, ordered by id; the cursor moves only after a clean run.',
        );
        if (!windowEnd) {
          // More pages: read them by id from page 1. An order changed meanwhile keeps its place (ordered by
          // modification it would jump to the end and shift every later page, skipping an order per change).
          if (notes.length > 0) out.warning = notes.join(' ');
          yield out;
          ({ orderby, page } = { orderby: 'id', page: 1 });
          continue;
        }
      }
    } else if (shifted) {
      clean = false;
    }

    if (mode === 'offset') {
      // Plain offset paging over one fixed query; the cursor moves only at the end of a clean run.
      const end = windowEnd;
      // Fewer distinct ids than the store counts, or one id twice: orders moved between pages.
      // (One page alone cannot have moved; a changed X-WP-Total already keeps the cursor, see `shifted`.)
      const moved = end && page > 1 && clean && (seenTwice || (fetched.total !== undefined && seen.size < fetched.total));
      if (moved && !frozen && rereads < MAX_OFFSET_REREADS) {
        rereads += 1;
        notes.push(`Orders moved between pages while they were read (${seen.size} distinct of ${fetched.total ?? '?'}${seenTwice ? ', some twice' : ''}): reading them again from page 1.`);
        if (notes.length > 0) out.warning = notes.join(' ');
        yield out;
        ({ page, seenTwice, previous } = { page: 1, seenTwice: false, previous: undefined });
        seen.clear();
        continue;
      }
      if (moved) {
        clean = false;
        notes.push(`Orders moved between pages again while they were read again (${seen.size} distinct of ${fetched.total ?? '?'}): the cursor stays; the next run (or a reconciliation) reads them.`);
      }
      if (end && clean && !frozen) out.state = maxSeen ? { modifiedAfter: cap(maxSeen).toISOString() } : { ...state };
      if (notes.length > 0) out.warning = notes.join(' ');
      yield out;
      if (end) return;
      page += 1;
      continue;
    }

    // Keyset mode.
    if (tie && shifted) {
      // An order left the same-second window while we paged it by offset: re-read it from page 1.
      restarts += 1;
      if (restarts > MAX_WINDOW_RESTARTS) frozen = true;
    } else if (last && !frozen) {
      committed = later(committed, cap(last));
    }
    if (!frozen) out.state = committed ? { modifiedAfter: committed.toISOString() } : { ...state };
    if (notes.length > 0) out.warning = notes.join(' ');
    yield out;

    if (tie) {
      if (shifted && restarts <= MAX_WINDOW_RESTARTS) page = 1;
      else if (windowEnd) ({ after, before, page, tie } = { after: tie, before: runStart, page: 1, tie: undefined });
      else page += 1;
      continue;
    }
    if (windowEnd) return;
    // A full page: continue from its last second, or read that second by offset when the whole page is in it.
    const lastSecond = last as Date;
    const nextAfter = new Date(lastSecond.getTime() - SECOND);
    if ((first && first.getTime() === lastSecond.getTime()) || (after && nextAfter <= after)) {
      ({ after, before, page, tie } = { after: nextAfter, before: new Date(lastSecond.getTime() + SECOND), page: 1, tie: lastSecond });
      restarts = 0;
    } else {
      after = nextAfter;
      page = 1;
    }
  }
}
