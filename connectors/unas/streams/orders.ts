import type { PulledPage, PullOptions } from '../../_kit/definition.ts';
import { parseXmlBytes, xmlChild, xmlList } from '../../_kit/xml.ts';
import { ConnectorError } from '../../_kit/connector-error.ts';
import { FAILED_LOGIN_HOLD_MS, UnasBannedError, unasAnswerOf, type UnasClient } from '../client.ts';
import type { ResolvedUnasConfig, UnasHold, UnasState, UnasStatusList } from '../spec.ts';
import { STATUS_LIST_RETRY_MS, readStatusList, statusListDue } from './status-list.ts';

/** Never loop forever on a server that ignores LimitStart: at most this many requests per run. */
const MAX_PAGES = 10_000;
const SECOND = 1000;

/** A pulled page, plus a warning ops should see (not an error: the page itself is fine). */
export interface UnasPulledPage extends PulledPage<UnasState> {
  warning?: string | undefined;
}

function parseCursor(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value) ? undefined : date;
}

const HOUR = 60 * 60_000;

/** The call count of the current hour (a new hour starts with the first call after the last one ended). */
function readCalls(state: UnasState | undefined): { since: number; count: number } | undefined {
  const calls = state?.calls;
  const since = typeof calls?.since === 'string' ? Date.parse(calls.since) : NaN;
  if (!Number.isFinite(since) || typeof calls?.count !== 'number' || !Number.isFinite(calls.count)) return undefined;
  return { since, count: Math.max(0, Math.trunc(calls.count)) };
}

/** A ban answer without a readable end: UNAS's ban for ≥ 20 failed calls lasts 1 hour [doc]. */
const DEFAULT_BAN_MS = 60 * 60_000;

/** The stored hold that still forbids calls now (a login hold only for the key it was about). */
function activeHold(state: UnasState | undefined, now: Date, keyHash: string): { hold: UnasHold; until: Date } | undefined {
  const hold = state?.hold;
  if (!hold || typeof hold !== 'object') return undefined;
  const until = new Date(hold.until);
  if (Number.isNaN(until.getTime()) || until <= now) return undefined;
  if (hold.reason === 'login' && hold.key !== keyHash) return undefined;
  return { hold, until };
}

function holdError({ hold, until }: { hold: UnasHold; until: Date }): ConnectorError {
  if (hold.reason === 'ban') {
    return new UnasBannedError(`UNAS banned this IP: no call to UNAS before ${until.toISOString()} (the ban's end; nothing was sent). ${hold.message}`, until);
  }
  return new ConnectorError(
    'unauthorized',
    `The API key was refused; it is not sent again before ${until.toISOString()} (UNAS bans the IP after 5 failed logins an hour; a changed key is tried at once). ${hold.message}`,
    { notBefore: until },
  );
}

/** The hold a refusal calls for: a ban until its end, a refused login for FAILED_LOGIN_HOLD_MS. */
function holdFor(error: unknown, now: Date, keyHash: string): UnasHold | undefined {
  if (error instanceof UnasBannedError) {
    const until = error.bannedUntil ?? new Date(now.getTime() + DEFAULT_BAN_MS);
    return { reason: 'ban', until: until.toISOString(), message: error.message };
  }
  if (error instanceof ConnectorError && error.code === 'unauthorized' && unasAnswerOf(error)?.fn === 'login') {
    return { reason: 'login', until: new Date(now.getTime() + FAILED_LOGIN_HOLD_MS).toISOString(), message: error.message, key: keyHash };
  }
  return undefined;
}

type PageRead = { ok: true; orders: number; warnings: string[] } | { ok: false; message: string; text: string };

/** Decodes and parses one getOrder answer: `<Orders>` with zero or more `<Order>`. */
function readPage(bytes: Buffer, contentType: string): PageRead & { text: string } {
  const parsed = parseXmlBytes(bytes, { contentType });
  if (!parsed.ok) return { ok: false, message: `expected <Orders> XML: ${parsed.message}`, text: parsed.text };
  const warnings = parsed.decoded.warnings;
  if (parsed.root !== 'Orders') {
    return { ok: false, message: `expected <Orders> XML, got <${parsed.root}>`, text: parsed.decoded.text };
  }
  return { ok: true, orders: xmlList(xmlChild(parsed.value, 'Order')).length, warnings, text: parsed.decoded.text };
}

/**
 * Pulls orders modified in the window [cursor − overlap, run start], LimitNum per call, LimitStart
 * offsets until a page comes back shorter than LimitNum.
 *
 * Invariants:
 * - Every answer is yielded (and archived by the caller) as decoded XML text, broken ones with `error`
 *   (bytes invalid in their charset are archived lossily, with U+FFFD).
 * - getOrder has no sort by modification time, so no page but the last can say "everything modified
 *   before X is stored": `state` comes on the last page only, after a clean run, and is the window end
 *   (TimeModEnd = run start). The next run starts `overlapMinutes` before it, which also absorbs a
 *   UNAS clock up to that much ahead of ours; intake is idempotent for the re-read orders.
 * - The cursor never moves back and never passes the run start: a cursor in the future (clock skew,
 *   bad data) is reset to the run start, with a `warning`.
 * - A broken page (not decodable, not XML, not `<Orders>`) ends the run: it is not counted as a full
 *   page, no further page is requested (multi-order getOrder calls are few per hour), the cursor
 *   stays where it was, so the next run reads the whole window again.
 * - A refusal with a body (`<Error>` with HTTP 200 or 400, a ban, a refused login) is yielded as an
 *   error page carrying that text, so it is archived, and then thrown: the run ends with its message.
 * - Holds: a ban (until its end; 1 h when the answer names none) or a refused login (15 min, for that
 *   key) is put in the state of that error page (the cursor unchanged). While a stored hold lasts, a
 *   pull sends nothing and fails at once saying until when.
 * - UNAS allows few multi-order getOrder calls (PREMIUM 30/h, VIP 90/h): a run costs
 *   ceil(changed orders / LimitNum) calls, and one more when the count is an exact multiple.
 * - The shop's status list (getOrderStatus) is fetched at most once a day, after the first page, within
 *   the budget, and yielded (page 0) before that page with the list in its state; its failure never
 *   stops the orders (see fetchStatusList).
 */
export async function* pullOrders(client: UnasClient, config: ResolvedUnasConfig, state: UnasState | undefined, options: PullOptions = {}): AsyncGenerator<UnasPulledPage> {
  const now = options.now ?? (() => new Date());
  // Whole seconds: TimeModStart/TimeModEnd are unix seconds.
  const runStart = new Date(Math.floor(now().getTime() / SECOND) * SECOND);
  const held = activeHold(state, now(), client.keyHash);
  if (held) throw holdError(held);

  let warning: string | undefined;
  let cursor = parseCursor(state?.modifiedAfter);
  if (cursor && cursor > runStart) {
    warning =
      `The stored cursor ${cursor.toISOString()} is later than now (${runStart.toISOString()}; hub clock skew or bad state): it was reset and ` +
      `this pull reads from now − ${config.overlapMinutes} min. Orders changed between the last good sync and then may need a full resync.`;
    cursor = runStart;
  }
  const timeModStart = cursor ? Math.floor((cursor.getTime() - config.overlapMinutes * 60_000) / SECOND) : undefined;
  const timeModEnd = runStart.getTime() / SECOND;

  // Every page carries the state to keep: the cursor as it was (a stale hold dropped), the call count,
  // the status list (refreshed below) and a hold this run ran into.
  let calls = readCalls(state);
  let referenceData = isPlainObject(state?.referenceData) ? state.referenceData : undefined;
  let statusListFailure = isPlainObject(state?.statusListFailure) ? state.statusListFailure : undefined;
  let heldNow: UnasHold | undefined;
  const kept = (): UnasState => ({
    ...(state?.modifiedAfter !== undefined ? { modifiedAfter: state.modifiedAfter } : {}),
    ...(calls ? { calls: { since: new Date(calls.since).toISOString(), count: calls.count } } : {}),
    ...(referenceData ? { referenceData } : {}),
    ...(statusListFailure ? { statusListFailure } : {}),
    ...(heldNow ? { hold: heldNow } : {}),
  });
  let refreshStatuses = config.statusList && statusListDue(state, now());

  let frozen = false;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const at = now().getTime();
    if (!calls || at - calls.since >= HOUR) calls = { since: at, count: 0 };
    if (calls.count >= config.callsPerHour) {
      throw new ConnectorError(
        'upstream_unavailable',
        `The channel's budget of ${config.callsPerHour} getOrder calls an hour (callsPerHour; UNAS allows 30 multi-order getOrder calls an hour on PREMIUM, 90 on VIP) is used up: ` +
          `no call before ${new Date(calls.since + HOUR).toISOString()}${page > 1 ? `; this run stopped after ${page - 1} page(s) and the cursor stays` : ''}.`,
        { notBefore: new Date(calls.since + HOUR) },
      );
    }
    const limitStart = (page - 1) * config.limitNum;
    const query = `?TimeModStart=${timeModStart ?? ''}&TimeModEnd=${timeModEnd}&LimitNum=${config.limitNum}&LimitStart=${limitStart}${config.statusFilter ? `&Status=${encodeURIComponent(config.statusFilter)}` : ''}`;
    let response;
    try {
      response = await client.getOrders({ timeModStart, timeModEnd, limitNum: config.limitNum, limitStart, status: config.statusFilter }, { signal: options.signal });
    } catch (error) {
      const answer = unasAnswerOf(error);
      const hold = holdFor(error, now(), client.keyHash);
      if (answer?.fn === 'getOrder') calls.count += 1;
      if (answer) {
        options.onProgress?.({ page });
        yield {
          source: answer.fn === 'getOrder' ? `${answer.url}${query}` : answer.url,
          contentType: answer.contentType,
          body: answer.body,
          page,
          totalPages: undefined,
          error: { code: (error as { code?: string }).code ?? 'upstream_rejected', message: (error as Error).message },
          state: { ...kept(), ...(hold ? { hold } : {}) },
        };
      }
      throw error;
    }
    calls.count += 1;
    options.onProgress?.({ page });
    const read = readPage(response.bytes, response.contentType);
    const out: UnasPulledPage = {
      source: `${response.url}${query}`,
      contentType: response.contentType,
      body: read.text,
      page,
      totalPages: undefined,
      error: undefined,
      state: undefined,
    };
    const notes: string[] = [];
    if (warning) notes.push(warning);
    warning = undefined;

    let last: boolean;
    if (!read.ok) {
      out.error = { code: 'invalid_data', message: `${read.message} (page ${page}: no further page is requested in this run; the cursor stays where it was)` };
      frozen = true;
      last = true;
    } else {
      notes.push(...read.warnings);
      last = read.orders < config.limitNum;
      if (read.orders > config.limitNum) {
        // The server ignored LimitNum: paging by LimitStart would re-read or skip; stop here.
        notes.push(`getOrder returned ${read.orders} orders for LimitNum ${config.limitNum}: the server ignores LimitNum, so this run reads one page only and does not advance the cursor.`);
        frozen = true;
        last = true;
      }
    }
    // The status list is fetched once the first page proved the key and the token work, and yielded
    // before that page: the sync stores its state (the list) before the page's orders are mapped.
    let statusError: ConnectorError | undefined;
    if (refreshStatuses && page === 1 && read.ok) {
      refreshStatuses = false;
      // Only with room left for it and, when more pages follow, for the next getOrder call too.
      if (calls.count + (last ? 1 : 2) <= config.callsPerHour) {
        const fetched = await fetchStatusList(client, now(), options.signal);
        if (fetched.counted) calls.count += 1;
        if (fetched.list) {
          referenceData = { ...(referenceData ?? {}), orderStatuses: fetched.list };
          statusListFailure = undefined;
        } else if (fetched.hold) {
          heldNow = fetched.hold;
          statusError = fetched.error;
        } else if (fetched.failure) {
          statusListFailure = fetched.failure;
        }
        if (fetched.page) yield { ...fetched.page, state: kept() };
        if (fetched.note) notes.push(fetched.note);
      }
    }
    out.state = last && !frozen ? { ...kept(), modifiedAfter: runStart.toISOString() } : kept();
    if (notes.length > 0) out.warning = notes.join(' ');
    yield out;
    // A ban or a refused login on getOrderStatus: the page already read is kept, nothing more is sent.
    if (statusError) throw statusError;
    if (last) return;
  }
}

const isPlainObject = <T>(value: T | undefined): value is T => typeof value === 'object' && value !== null && !Array.isArray(value);

interface StatusListFetch {
  /** Whether UNAS answered (a call its limits count). */
  counted: boolean;
  list?: UnasStatusList;
  /** A refused or unreadable answer: not asked again for STATUS_LIST_RETRY_MS. */
  failure?: { at: string; message: string };
  /** A ban or a refused login: no further call in this run (the order page already read is kept). */
  hold?: UnasHold;
  error?: ConnectorError;
  /** The answer to archive (without state: the caller adds it). */
  page?: Omit<UnasPulledPage, 'state'>;
  /** Why nothing was archived (no answer at all), for the page's warning. */
  note?: string;
}

/**
 * One getOrderStatus call, never throwing for UNAS's or the network's sake: a failure leaves the cached
 * list (or names alone) in use and orders are pulled all the same. Every answer is archived: the list
 * as a page of its own (the mapping skips it), a refusal or unreadable answer as a failed page.
 */
async function fetchStatusList(client: UnasClient, at: Date, signal: AbortSignal | undefined): Promise<StatusListFetch> {
  const retryAt = new Date(at.getTime() + STATUS_LIST_RETRY_MS).toISOString();
  const fallback = `statuses are mapped with the list kept from an earlier fetch, or by their names alone, until getOrderStatus is asked again (not before ${retryAt})`;
  try {
    const response = await client.getOrderStatuses(signal);
    const read = readStatusList(response.bytes, response.contentType, at);
    const base = { source: response.url, contentType: response.contentType, body: read.text, page: 0, totalPages: undefined };
    if (read.ok) return { counted: true, list: read.list, page: { ...base, error: undefined, ...(read.warnings.length > 0 ? { warning: read.warnings.join(' ') } : {}) } };
    const message = `${read.message}; ${fallback}`;
    return { counted: true, failure: { at: at.toISOString(), message }, page: { ...base, error: { code: 'invalid_data', message } } };
  } catch (error) {
    if (signal?.aborted || !(error instanceof ConnectorError)) throw error;
    const answer = unasAnswerOf(error);
    // No HTTP answer at all (network, timeout): UNAS counted nothing; the next run tries again.
    if (!answer && error.status === undefined) return { counted: false, note: `getOrderStatus failed (${error.message}); ${fallback.replace(/ \(not before [^)]*\)$/, ' on the next run')}.` };
    const hold = holdFor(error, at, client.keyHash);
    const missing = (answer?.status ?? error.status) === 404 ? ' (an API without getOrderStatus: set the channel config statusList to false)' : '';
    const message = hold ? error.message : `getOrderStatus was refused: ${error.message.replace(/[.\s]+$/, '')}${missing}; ${fallback}`;
    return {
      counted: answer ? answer.fn === 'getOrderStatus' : true,
      ...(hold ? { hold, error } : { failure: { at: at.toISOString(), message } }),
      // A 5xx answer's body is not kept by the client: the failure is in the state and on the order page.
      ...(answer
        ? { page: { source: answer.url, contentType: answer.contentType, body: answer.body, page: 0, totalPages: undefined, error: { code: error.code, message } } }
        : { note: message }),
    };
  }
}
