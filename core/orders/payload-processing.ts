import type { Database } from '../db/database.ts';
import { mappingOptionsOf } from '../channels/reference-data.ts';
import { HubError } from '../errors.ts';
import type { ChannelMapping } from '../model/mapping.ts';
import type { InterchangeControls, MappingError, MappingSkip, OrderDraft } from '../model/order.ts';
import { ingestOrders, type IntakeResult } from './intake.ts';
import { duplicatePolicyOf, findDuplicateControls, rememberControls, type DuplicateControl } from './interchange-controls.ts';
import { recordPayloadVerdict, type PayloadVerdict } from './raw-archive.ts';
import { mappingInput } from './raw-archive-text.ts';

/** Finds the mapping that reads a connector's payloads; injected so core never imports mappings. */
export type MappingLookup = (connectorType: string) => ChannelMapping | undefined;

export interface PayloadOutcome extends PayloadVerdict {
  payloadId: string;
  results: IntakeResult[];
  errors: MappingError[];
  /** The drafts the mapping read (answers such as EDI acknowledgements are built from them). */
  drafts: OrderDraft[];
  /** Control numbers already received in another payload, for which this one was refused (the channel rejects duplicates). */
  refusedDuplicates?: DuplicateControl[];
}

const MAX_ERROR_TEXT = 4000;

/**
 * Reads one archived payload into orders and records the verdict on it. Bad records never stop
 * the good ones: they are listed on the payload (status partial or failed) for ops to see, and
 * the whole payload can be processed again after the mapping is fixed.
 */
export async function processPayload(db: Database, payloadId: string, mappingFor: MappingLookup): Promise<PayloadOutcome> {
  const payload = await db.prisma.rawPayload.findUnique({
    where: { id: payloadId },
    include: { channel: { select: { id: true, connectorType: true, mapping: true, syncState: true, config: true } } },
  });
  if (!payload) throw new HubError('not_found', `Raw payload ${payloadId} does not exist.`);
  const mapping = mappingFor(payload.channel.connectorType);
  if (!mapping) {
    const verdict: PayloadVerdict = { status: 'failed', errorCode: 'invalid_data', error: `No mapping reads ${payload.channel.connectorType} payloads.`, orderCount: 0 };
    await recordPayloadVerdict(db, payloadId, verdict);
    return { payloadId, ...verdict, results: [], errors: [{ message: verdict.error! }], drafts: [] };
  }

  // The archive keeps bytes; a body that is not text (gzip, binary) is failed here, never mapped.
  const readable = mappingInput(payload);
  if (!readable.ok) {
    const verdict: PayloadVerdict = { status: 'failed', errorCode: 'invalid_data', error: readable.error, orderCount: 0 };
    await recordPayloadVerdict(db, payloadId, verdict);
    return { payloadId, ...verdict, results: [], errors: [{ message: readable.error }], drafts: [] };
  }

  let errors: MappingError[];
  let skipped: MappingSkip[] = [];
  let results: IntakeResult[] = [];
  let drafts: OrderDraft[] = [];
  const warnings: string[] = [];
  let interchanges: InterchangeControls[] = [];
  let refusedDuplicates: DuplicateControl[] = [];
  try {
    const mapped = mapping.map(readable.input, mappingOptionsOf(payload.channel));
    errors = [...mapped.errors];
    skipped = mapped.skipped ?? [];
    warnings.push(...(mapped.warnings ?? []));
    interchanges = mapped.interchanges ?? [];
    // A control number the partner already sent in another payload: the channel says reject or warn.
    const duplicates = await findDuplicateControls(db, { channelId: payload.channelId, payloadId, interchanges });
    const refused = duplicates.length > 0 && duplicatePolicyOf(payload.channel.config) === 'reject';
    if (refused) {
      refusedDuplicates = duplicates;
      errors.push(...duplicates.map((d) => ({ ref: d.ref, message: d.message })));
    } else {
      warnings.push(...duplicates.map((d) => d.message));
    }
    drafts = refused ? [] : mapped.orders;
    results = refused ? [] : await ingestOrders(db, { channelId: payload.channelId, drafts: mapped.orders, rawPayloadId: payloadId });
  } catch (error) {
    if (error instanceof HubError || isMappingCrash(error)) {
      errors = [{ message: `mapping failed: ${(error as Error).message}` }];
    } else {
      throw error; // database trouble: leave the payload pending and let the job retry
    }
  }
  for (const rejected of results.filter((r) => r.outcome === 'rejected')) {
    errors.push({ ref: rejected.externalId, message: rejected.error ?? 'rejected' });
  }
  const orderCount = results.filter((r) => r.outcome !== 'rejected').length;
  // What was skipped is said beside the errors (or alone): ops see why a record made no order.
  const notes: MappingError[] = [...errors, ...skipped.map((s) => ({ ...(s.ref !== undefined && { ref: s.ref }), message: `skipped: ${s.reason}` }))];
  const verdict: PayloadVerdict = {
    status: errors.length > 0 ? (orderCount > 0 ? 'partial' : 'failed') : orderCount === 0 && skipped.length > 0 ? 'skipped' : 'parsed',
    errorCode: errors.length === 0 ? undefined : 'invalid_data',
    error: notes.length === 0 ? undefined : describeErrors(notes),
    orderCount,
    warnings,
  };
  // Numbers of a payload that imported nothing are not kept: a corrected resend may reuse them.
  if (verdict.status !== 'failed') await rememberControls(db, { channelId: payload.channelId, payloadId, interchanges });
  await recordPayloadVerdict(db, payloadId, verdict);
  return { payloadId, ...verdict, results, errors, drafts, refusedDuplicates };
}

function isMappingCrash(error: unknown): boolean {
  // A mapping is meant to be total; if one still throws on odd input it is a mapping bug, not an outage.
  return error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError;
}

function describeErrors(errors: MappingError[]): string {
  const text = errors.map((e) => (e.ref ? `${e.ref}: ${e.message}` : e.message)).join('; ');
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}… (${errors.length} errors)` : text;
}
