import type { Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import type { PayloadVerdict } from './raw-archive.ts';

/** Longest acknowledgement reason kept. */
export const MAX_ACK_REASON = 1000;

export interface PayloadAcknowledgement {
  payloadId: string;
  status: string;
  acknowledgedAt: string;
  acknowledgedBy: string;
  reason: string;
}

/**
 * Ops have looked at a failed (or partial) payload and decided nothing more is to be done with it
 * (a test order, a shop's broken export they handled by hand): who (the signed-in user or the CLI's
 * OS user, never a name from the request), when and why. The payload stays failed (its error and
 * body are kept), but it leaves the "needs attention" list (needsAttentionWhere) and `hub payloads
 * list --failed`, and retention may drop its body like a parsed one's. Acknowledging again replaces
 * the reason. A later reprocess that reads it clears the failure (and records who asked).
 */
export async function acknowledgePayload(db: Database, payloadId: string, actor: Actor, reason: string, now: Date = new Date()): Promise<PayloadAcknowledgement> {
  const why = reason.trim();
  if (!why) throw new HubError('invalid_data', 'Say why the payload is acknowledged (a reason is required).', { field: 'reason' });
  if (why.length > MAX_ACK_REASON) throw new HubError('invalid_data', `The reason is longer than ${MAX_ACK_REASON} characters.`, { field: 'reason' });
  const payload = await db.prisma.rawPayload.findUnique({ where: { id: payloadId }, select: { id: true, status: true } });
  if (!payload) throw new HubError('not_found', `Raw payload ${payloadId} does not exist.`);
  if (payload.status !== 'failed' && payload.status !== 'partial') {
    throw new HubError('conflict', `Raw payload ${payloadId} is ${payload.status}: only failed or partial payloads are acknowledged.`);
  }
  // Only while it is still failed or partial: a reprocess that read it meanwhile wins.
  const updated = await db.prisma.rawPayload.updateMany({
    where: { id: payloadId, status: { in: ['failed', 'partial'] } },
    data: { acknowledgedAt: now, acknowledgedBy: actor.login, acknowledgeReason: why },
  });
  if (updated.count === 0) throw new HubError('conflict', `Raw payload ${payloadId} was read meanwhile; it needs no acknowledgement.`);
  await recordAudit(db.prisma, actor, { kind: 'change', action: 'payload.acknowledge', target: { type: 'raw_payload', id: payloadId }, details: { status: payload.status, reason: why } });
  return { payloadId, status: payload.status, acknowledgedAt: now.toISOString(), acknowledgedBy: actor.login, reason: why };
}

/**
 * After a reprocess someone asked for: when it read a payload that was failed or partial (now
 * parsed or skipped), the failure is resolved, and who asked is recorded on the payload and in the
 * audit log. Returns whether it resolved anything.
 */
export async function recordReprocessResolution(db: Database, payloadId: string, before: string | undefined, verdict: Pick<PayloadVerdict, 'status'>, actor: Actor, now: Date = new Date()): Promise<boolean> {
  const wasFailing = before === 'failed' || before === 'partial';
  const resolved = wasFailing && (verdict.status === 'parsed' || verdict.status === 'skipped');
  if (!resolved) return false;
  await db.prisma.rawPayload.update({ where: { id: payloadId }, select: { id: true }, data: { resolvedAt: now, resolvedBy: actor.login } });
  await recordAudit(db.prisma, actor, { kind: 'change', action: 'payload.resolve', target: { type: 'raw_payload', id: payloadId }, details: { before, after: verdict.status } });
  return true;
}
