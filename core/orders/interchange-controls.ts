import type { Database } from '../db/database.ts';
import type { InterchangeControls } from '../model/order.ts';

/**
 * EDI control numbers per partner. A partner numbers its interchanges (UNB 0020, ISA13) and groups
 * (UNG 0048, GS06) so that the receiver can tell a resend from a new transmission; two payloads with
 * the same number from the same sender on one channel are a duplicate: the channel's
 * `duplicateControlNumbers` says whether that payload is rejected (no orders, the error names the
 * first payload) or imported with a warning (the default: nothing is lost, ops see it). The same payload
 * processed again is not a duplicate of itself. Message numbers (UNH 0062, ST02) are unique only
 * inside their interchange or group, so they are not compared across payloads.
 */
export type DuplicatePolicy = 'reject' | 'warn';

export interface DuplicateControl {
  level: 'interchange' | 'group';
  /** As compared: a numeric control number without its leading zeros. */
  controlRef: string;
  ref: string;
  message: string;
}

/** The channel's choice (EDI channels' `duplicateControlNumbers`); warn when it sets none. */
export function duplicatePolicyOf(channelConfig: unknown): DuplicatePolicy {
  const value = channelConfig && typeof channelConfig === 'object' ? (channelConfig as Record<string, unknown>).duplicateControlNumbers : undefined;
  return value === 'reject' ? 'reject' : 'warn';
}

interface ControlKey {
  syntax: string;
  sender: string;
  level: 'interchange' | 'group';
  controlRef: string;
}

function keysOf(interchanges: InterchangeControls[]): ControlKey[] {
  const keys = new Map<string, ControlKey>();
  for (const i of interchanges) {
    const add = (level: ControlKey['level'], controlRef: string): void => {
      if (!controlRef || !i.sender) return;
      const key = { syntax: i.syntax, sender: i.sender, level, controlRef: normalise(controlRef) };
      keys.set(JSON.stringify(key), key);
    };
    add('interchange', i.controlRef);
    for (const g of i.groups) add('group', g);
  }
  return [...keys.values()];
}

/** Numeric control numbers compare as numbers (`000000001` = `1`), as X12 and most EDIFACT senders mean them. */
function normalise(ref: string): string {
  const trimmed = ref.trim();
  return /^\d+$/.test(trimmed) ? BigInt(trimmed).toString() : trimmed;
}

const LEVEL_NAMES: Record<ControlKey['level'], string> = { interchange: 'interchange control number', group: 'group control number' };

/**
 * Claims the payload's control numbers for it and returns those another payload of the channel
 * brought first. Claiming (one insert, the primary key deciding) before any order is taken makes two
 * payloads with the same number arriving at once a duplicate of each other too, not two firsts.
 * The same payload claiming again finds nothing: it is not a duplicate of itself.
 */
export async function claimControls(db: Database, input: { channelId: string; payloadId: string; interchanges: InterchangeControls[] }): Promise<DuplicateControl[]> {
  const keys = keysOf(input.interchanges);
  if (keys.length === 0) return [];
  const params = [input.channelId, JSON.stringify(keys), input.payloadId];
  await db.query(
    `INSERT INTO interchange_control (channel_id, syntax, sender, level, control_ref, raw_payload_id)
     SELECT $1, k.syntax, k.sender, k.level, k."controlRef", $3
       FROM jsonb_to_recordset($2::jsonb) AS k(syntax text, sender text, level text, "controlRef" text)
     ON CONFLICT DO NOTHING`,
    params,
  );
  const rows = await db.query<{ syntax: string; sender: string; level: ControlKey['level']; control_ref: string; raw_payload_id: string; received_at: Date }>(
    `SELECT c.syntax, c.sender, c.level, c.control_ref, c.raw_payload_id, c.received_at
       FROM interchange_control c
       JOIN jsonb_to_recordset($2::jsonb) AS k(syntax text, sender text, level text, "controlRef" text)
         ON c.syntax = k.syntax AND c.sender = k.sender AND c.level = k.level AND c.control_ref = k."controlRef"
      WHERE c.channel_id = $1 AND c.raw_payload_id <> $3
      ORDER BY c.level DESC, c.control_ref`,
    params,
  );
  return rows.map((r) => ({
    level: r.level,
    controlRef: r.control_ref,
    ref: `${r.level} ${r.control_ref}`,
    message: `${LEVEL_NAMES[r.level] ?? `${r.level} control number`} ${r.control_ref} from partner ${r.sender} was already received in payload ${r.raw_payload_id} at ${r.received_at.toISOString()}`,
  }));
}

/** A payload that imported nothing gives its numbers back: a corrected resend may use them. */
export async function releaseControls(db: Database, payloadId: string): Promise<void> {
  await db.query(`DELETE FROM interchange_control WHERE raw_payload_id = $1`, [payloadId]);
}
