import type { Database } from '../db/database.ts';
import { mappingOptionsOf } from '../channels/reference-data.ts';
import { isDatabaseOutage, isPermanentDatabaseError, sqlMessageOf } from '../db/sql-errors.ts';
import { HubError } from '../errors.ts';
import type { ChannelMapping, ChunkReader, RawPayloadInput } from '../model/mapping.ts';
import type { MappingError, MappingResult, MappingSkip, OrderDraft } from '../model/order.ts';
import { ingestOrders, type IntakeOutcome, type IntakeResult } from './intake.ts';
import { claimControls, duplicatePolicyOf, releaseControls, type DuplicateControl } from './interchange-controls.ts';
import { writeRefundDetails } from './order-refunds.ts';
import { recordPayloadVerdict, type PayloadVerdict } from './raw-archive.ts';
import { notTextError, storedBodySize, storedText, storedTextHead, storedTextSlices } from './raw-archive-text.ts';
import { isTextEncoding } from '../../lib/text-bytes.ts';

/** Finds the mapping that reads a connector's payloads; injected so core never imports mappings. */
export type MappingLookup = (connectorType: string) => ChannelMapping | undefined;

/** Orders read, ingested (one transaction) and followed up at a time: bounds memory and locks per transaction. */
export const PAYLOAD_CHUNK_ORDERS = 500;
/** Bodies above this size are streamed from the archive into mappings that read slices. */
export const STREAM_FROM_BYTES = 4 * 1024 * 1024;
/** Per-order details an outcome keeps (every web page and webhook fits); a larger file keeps its first ones, and counts. */
export const KEPT_RESULTS = 1000;
/** Tries that end without a verdict (an error, a crashed worker) before the payload is failed instead of retried. */
export const MAX_UNFINISHED_TRIES = 5;
/** Tries of one payload starting within this of each other count as one (see startTry). */
export const TRY_WINDOW_MS = 60_000;

export interface PayloadOutcome extends PayloadVerdict {
  payloadId: string;
  /** What intake did per order: all of them up to KEPT_RESULTS, else the first ones (per-chunk work goes through `afterChunk`). */
  results: IntakeResult[];
  /** What could not be read or was refused: up to KEPT_RESULTS (the verdict's `error` says how many in all). */
  errors: MappingError[];
  /** The drafts of the kept results (answers such as EDI acknowledgements are built from them). */
  drafts: OrderDraft[];
  /** What intake did over the whole payload. */
  counts: Record<IntakeOutcome, number>;
  /** How many records could not be read or were refused, over the whole payload (`errors` keeps the first ones). */
  errorCount: number;
  /** Control numbers already received in another payload, for which this one was refused (the channel rejects duplicates). */
  refusedDuplicates?: DuplicateControl[];
}

/** One chunk of a payload, committed: what a caller follows up per order (stock, acknowledgement, distribution). */
export interface IntakeChunk {
  payloadId: string;
  results: IntakeResult[];
  drafts: OrderDraft[];
  /** The payload as the mapping read it (its text), so follow-ups (acknowledgements) need not load a large body again per order. */
  payload?: RawPayloadInput | undefined;
  /** `payload.body` is only the head of a large body that was streamed (see STREAM_FROM_BYTES). */
  payloadIsHead?: boolean | undefined;
}

export interface ProcessOptions {
  /** Bodies larger than this are read from the archive in slices, never whole (default STREAM_FROM_BYTES), by mappings that can (`readChunks`). */
  streamFromBytes?: number | undefined;
  /** Bytes read from the archive at a time when a body streams (default BODY_SLICE_BYTES). */
  streamSliceBytes?: number | undefined;
  /** Records per chunk (default PAYLOAD_CHUNK_ORDERS); used by mappings that read in chunks (`mapChunks`). */
  chunkSize?: number | undefined;
  /** Runs after each chunk is committed, before the next is read; its drafts are dropped afterwards. */
  afterChunk?: ((chunk: IntakeChunk) => Promise<void>) | undefined;
  /** When this try starts (tests move it on to count tries). */
  clock?: (() => Date) | undefined;
}

const MAX_ERROR_TEXT = 4000;

/**
 * Reads one archived payload into orders and records the verdict on it. Bad records never stop
 * the good ones: they are listed on the payload (status partial or failed) for ops to see, and
 * the whole payload can be processed again after the mapping is fixed.
 *
 * Large files stream: a mapping with `mapChunks` hands its drafts over in chunks; each chunk is
 * ingested in its own transaction (so no lock or transaction spans the file), followed up
 * (`afterChunk`) and dropped before the next is read; the payload's `orderCount` shows the progress.
 * A try cut short (a crash, a restart) is simply tried again from the start: intake is idempotent,
 * so the chunks already taken come back `unchanged`.
 *
 * Failures: a database outage is thrown (the job retries; the payload stays pending). A database
 * refusal that would repeat (out of shared memory, a program limit…) fails the payload with the
 * database's reason. Anything else is retried, and after MAX_UNFINISHED_TRIES tries without a
 * verdict the payload is failed with the last reason: never pending forever.
 */
export async function processPayload(db: Database, payloadId: string, mappingFor: MappingLookup, options: ProcessOptions = {}): Promise<PayloadOutcome> {
  const tries = await startTry(db, payloadId, (options.clock ?? (() => new Date()))());
  if (tries.count > MAX_UNFINISHED_TRIES) {
    // The earlier tries ended without a verdict and without a word (the worker died mid-way, e.g. out of memory).
    const last = tries.lastError ? `; the last one said: ${tries.lastError}` : '';
    return finish(db, new PayloadTally(payloadId), { code: 'gave_up', message: `${MAX_UNFINISHED_TRIES} tries ended without a verdict (the worker failed or stopped mid-way)${last}` });
  }

  const payload = await db.prisma.rawPayload.findUnique({
    where: { id: payloadId },
    omit: { body: true },
    include: { channel: { select: { id: true, connectorType: true, mapping: true, syncState: true, config: true } } },
  });
  if (!payload) throw new HubError('not_found', `Raw payload ${payloadId} does not exist.`);
  const tally = new PayloadTally(payloadId);
  const mapping = mappingFor(payload.channel.connectorType);
  if (!mapping) return finish(db, tally, { code: 'invalid_data', message: `No mapping reads ${payload.channel.connectorType} payloads.` });

  // What the mapping reads: the stored bytes decoded as text (a body that is not text, e.g. gzip, is
  // failed here, never mapped), and the channel's mapping options with its reference data.
  const size = await storedBodySize(db, payloadId);
  if (!isTextEncoding(payload.encoding)) return finish(db, tally, { code: 'invalid_data', message: notTextError(payload, size) });
  const mappingOptions = mappingOptionsOf(payload.channel);
  const chunkSize = options.chunkSize ?? PAYLOAD_CHUNK_ORDERS;
  const inputWith = (body: string): RawPayloadInput => ({ kind: payload.kind, contentType: payload.contentType, source: payload.source, receivedAt: payload.receivedAt, body });
  let input: RawPayloadInput;
  let chunks: Iterable<MappingResult> | AsyncIterable<MappingResult>;
  // A mapping that reads slices gets a large body that way; everything else is read whole.
  const readChunks = size > (options.streamFromBytes ?? STREAM_FROM_BYTES) ? mapping.readChunks?.bind(mapping) : undefined;
  const streamed = readChunks !== undefined;
  if (readChunks) {
    // A large body is never held whole: its text is read from the archive slice by slice into the
    // mapping. Follow-ups get its head as the text in hand (an answer needs only the envelope).
    input = inputWith(await storedTextHead(db, payloadId, payload.encoding));
    chunks = streamedChunks(db, payloadId, payload.encoding, () => readChunks(input, mappingOptions, chunkSize), options.streamSliceBytes);
  } else {
    input = inputWith(await storedText(db, payloadId, payload.encoding));
    chunks = chunksOf(mapping, input, mappingOptions, chunkSize);
  }
  const duplicatePolicy = duplicatePolicyOf(payload.channel.config);
  try {
    let chunkIndex = 0;
    for await (const mapped of chunks) {
      // Progress of a large file, written only when a second chunk shows the file is one (pages stay one write).
      if (chunkIndex++ > 0) await db.query(`UPDATE raw_payload SET order_count = $2 WHERE id = $1`, [payloadId, tally.orderCount]);
      // An EDI control number the partner already sent in another payload: the channel says reject or warn.
      // Reported with the chunk of the interchange's first message, so a refusal comes before its orders are taken.
      const duplicates = await claimControls(db, { channelId: payload.channelId, payloadId, interchanges: mapped.interchanges ?? [] });
      if (duplicates.length > 0 && duplicatePolicy === 'reject') {
        tally.refuse(duplicates);
        break;
      }
      tally.warnings.push(...duplicates.map((d) => d.message));
      // Refund details of orders stored before (a refund list of its own): an order the hub lacks is an error naming it.
      if (mapped.refundDetails && mapped.refundDetails.length > 0) {
        const written = await writeRefundDetails(db, payload.channelId, mapped.refundDetails);
        for (const error of written.errors) tally.addError(error);
      }
      if (mapped.orders.length === 0) {
        tally.add(mapped, []); // only errors and skips (e.g. the interchange-level ones of the last chunk)
        continue;
      }
      const results = await ingestOrders(db, { channelId: payload.channelId, drafts: mapped.orders, rawPayloadId: payloadId });
      tally.add(mapped, results);
      await options.afterChunk?.({ payloadId, results, drafts: mapped.orders, payload: input, payloadIsHead: streamed });
    }
  } catch (error) {
    if (error instanceof HubError || isMappingCrash(error)) {
      tally.addError({ message: `mapping failed: ${(error as Error).message}` });
    } else {
      // Database trouble. An outage is retried as it is; a refusal that would repeat fails the payload now;
      // anything else is retried until MAX_UNFINISHED_TRIES.
      if (isDatabaseOutage(error)) throw error;
      const reason = `the database refused it${tally.orderCount > 0 ? ` after ${tally.orderCount} order(s) were taken` : ''}: ${sqlMessageOf(error)}`;
      if (isPermanentDatabaseError(error)) return finish(db, tally, { code: 'database_refused', message: reason });
      if (tries.count >= MAX_UNFINISHED_TRIES) return finish(db, tally, { code: 'gave_up', message: `try ${tries.count} of ${MAX_UNFINISHED_TRIES} failed, giving up: ${sqlMessageOf(error)}` });
      await noteFailedTry(db, payloadId, `try ${tries.count} of ${MAX_UNFINISHED_TRIES} failed, it is tried again: ${sqlMessageOf(error)}`);
      throw error;
    }
  }
  return finish(db, tally);
}

/** A large body's chunks: its text read from the archive a slice at a time and fed to the mapping's reader. */
async function* streamedChunks(db: Database, payloadId: string, encoding: string, startReader: () => ChunkReader, sliceBytes?: number): AsyncGenerator<MappingResult> {
  const reader = startReader();
  for await (const text of storedTextSlices(db, payloadId, encoding, sliceBytes)) yield* reader.feed(text);
  yield* reader.end();
}

/** The mapping's chunks, or its whole reading as one chunk when it does not read in chunks. */
function* chunksOf(mapping: ChannelMapping, payload: RawPayloadInput, options: unknown, chunkSize: number): Generator<MappingResult> {
  // A generator, so the mapping runs inside the caller's loop (and its try): a crash there is the payload's error.
  if (mapping.mapChunks) yield* mapping.mapChunks(payload, options, chunkSize);
  else yield mapping.map(payload, options);
}

/**
 * Counts a try before it starts, so a worker that dies mid-file is counted too (the verdict resets
 * it). Tries starting within TRY_WINDOW_MS of the last one count as one: several readers of one
 * payload at once (a duplicate webhook, parallel conversions, a sweep) are not failures.
 */
async function startTry(db: Database, payloadId: string, now: Date): Promise<{ count: number; lastError: string | null }> {
  const [row] = await db.query<{ unfinished_tries: number; status: string; error: string | null }>(
    `UPDATE raw_payload
        SET unfinished_tries = unfinished_tries + CASE WHEN last_try_at > $2::timestamptz - make_interval(secs => $3) THEN 0 ELSE 1 END,
            last_try_at = $2::timestamptz
      WHERE id = $1
  RETURNING unfinished_tries, status, error`,
    [payloadId, now.toISOString(), TRY_WINDOW_MS / 1000],
  );
  if (!row) throw new HubError('not_found', `Raw payload ${payloadId} does not exist.`);
  return { count: Math.max(1, row.unfinished_tries), lastError: row.status === 'pending' ? row.error : null };
}

/** A pending payload says why its last try failed (it is no longer pending without a word); a verdict replaces it. */
async function noteFailedTry(db: Database, payloadId: string, message: string): Promise<void> {
  try {
    await db.query(`UPDATE raw_payload SET error = $2 WHERE id = $1 AND status = 'pending'`, [payloadId, message.slice(0, MAX_ERROR_TEXT)]);
  } catch {
    // The note is a courtesy; the failure being reported is what the caller throws.
  }
}

/**
 * What a payload's chunks added up to, kept bounded: counts over the whole payload, per-order details
 * and errors only up to KEPT_RESULTS.
 */
class PayloadTally {
  readonly counts: Record<IntakeOutcome, number> = { created: 0, updated: 0, unchanged: 0, stale: 0, rejected: 0 };
  readonly results: IntakeResult[] = [];
  readonly drafts: OrderDraft[] = [];
  readonly errors: MappingError[] = [];
  readonly skipped: MappingSkip[] = [];
  /** Envelope findings that fail nothing (count mismatches, duplicates warned of): on the payload, not only on its orders. */
  readonly warnings: string[] = [];
  refusedDuplicates: DuplicateControl[] = [];
  errorCount = 0;
  skippedCount = 0;

  constructor(readonly payloadId: string) {}

  get orderCount(): number {
    return this.counts.created + this.counts.updated + this.counts.unchanged + this.counts.stale;
  }

  add(mapped: MappingResult, results: IntakeResult[]): void {
    for (const error of mapped.errors) this.addError(error);
    for (const skip of mapped.skipped ?? []) if (++this.skippedCount <= KEPT_RESULTS) this.skipped.push(skip);
    for (const warning of mapped.warnings ?? []) if (this.warnings.length < KEPT_RESULTS) this.warnings.push(warning);
    for (const r of results) {
      this.counts[r.outcome]++;
      if (this.results.length < KEPT_RESULTS) this.results.push(r);
      if (r.outcome === 'rejected') this.addError({ ref: r.externalId, message: r.error ?? 'rejected' });
    }
    for (const draft of mapped.orders) if (this.drafts.length < KEPT_RESULTS) this.drafts.push(draft);
  }

  addError(error: MappingError): void {
    if (++this.errorCount <= KEPT_RESULTS) this.errors.push(error);
  }

  /** The payload is refused as a duplicate: nothing more of it is taken in. */
  refuse(duplicates: DuplicateControl[]): void {
    this.refusedDuplicates = duplicates;
    for (const d of duplicates) this.addError({ ref: d.ref, message: d.message });
  }
}

/** Records the verdict (the payload's own failure, if any, before what its records said) and builds the outcome. */
async function finish(db: Database, tally: PayloadTally, failure?: { code: string; message: string }): Promise<PayloadOutcome> {
  const own: MappingError[] = failure ? [{ message: failure.message }] : [];
  const errors = [...own, ...tally.errors];
  const errorCount = own.length + tally.errorCount;
  const { skippedCount, orderCount } = tally;
  // What was skipped is said beside the errors (or alone): ops see why a record made no order.
  const notes: MappingError[] = [...errors, ...tally.skipped.map((s) => ({ ...(s.ref !== undefined && { ref: s.ref }), message: `skipped: ${s.reason}` }))];
  const verdict: PayloadVerdict = {
    status: failure ? 'failed' : errorCount > 0 ? (orderCount > 0 ? 'partial' : 'failed') : orderCount === 0 && skippedCount > 0 ? 'skipped' : 'parsed',
    errorCode: failure?.code ?? (errorCount === 0 ? undefined : 'invalid_data'),
    error: notes.length === 0 ? undefined : describeErrors(notes, errorCount + skippedCount),
    orderCount,
    warnings: tally.warnings,
  };
  // Numbers of a payload that imported nothing are not kept: a corrected resend may reuse them.
  if (verdict.status === 'failed') await releaseControls(db, tally.payloadId);
  await recordPayloadVerdict(db, tally.payloadId, verdict);
  return { payloadId: tally.payloadId, ...verdict, results: tally.results, errors, drafts: tally.drafts, counts: tally.counts, errorCount, refusedDuplicates: tally.refusedDuplicates };
}

function isMappingCrash(error: unknown): boolean {
  // A mapping is meant to be total; if one still throws on odd input it is a mapping bug, not an outage.
  return error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError;
}

function describeErrors(errors: MappingError[], total: number): string {
  const text = errors.map((e) => (e.ref ? `${e.ref}: ${e.message}` : e.message)).join('; ');
  return text.length > MAX_ERROR_TEXT || total > errors.length ? `${text.slice(0, MAX_ERROR_TEXT)}… (${total} errors)` : text;
}
