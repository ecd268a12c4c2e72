import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';

export interface NewOutboundDocument {
  channelId: string;
  orderId?: string | undefined;
  rawPayloadId?: string | undefined;
  kind: string;
  /** What the document answers; the same key again records nothing. */
  dedupKey: string;
  reference: string;
  fileName: string;
  contentType: string;
  body: string;
}

export interface OutboundDocumentSummary {
  id: string;
  channelId: string;
  orderId: string | null;
  kind: string;
  reference: string;
  fileName: string;
  contentType: string;
  createdAt: string;
  fetchedAt: string | null;
}

/**
 * Documents the hub owes a channel (EDI acknowledgements). Recording is idempotent by
 * (channel, kind, dedup key) — what the document answers — so reprocessing an interchange does
 * not duplicate its answer; control references come from a sequence, so two answers never share one.
 */
export async function findOutboundDocument(db: Database, key: { channelId: string; kind: string; dedupKey: string }): Promise<{ id: string } | undefined> {
  const rows = await db.query<{ id: string }>(`SELECT id FROM outbound_document WHERE channel_id = $1 AND kind = $2 AND dedup_key = $3`, [key.channelId, key.kind, key.dedupKey]);
  return rows[0];
}

/** The next interchange control number, zero-padded to 9 digits (X12 ISA13; EDIFACT takes it as well). */
export async function nextControlNumber(db: Database): Promise<string> {
  const [row] = await db.query<{ n: string }>(`SELECT nextval('outbound_control_number')::text AS n`);
  return row!.n.padStart(9, '0');
}

export async function recordOutboundDocument(db: Database, doc: NewOutboundDocument): Promise<{ id: string; created: boolean }> {
  const inserted = await db.query<{ id: string }>(
    `INSERT INTO outbound_document (id, channel_id, order_id, raw_payload_id, kind, dedup_key, reference, file_name, content_type, body)
     VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (channel_id, kind, dedup_key) DO NOTHING
     RETURNING id`,
    [doc.channelId, doc.orderId ?? null, doc.rawPayloadId ?? null, doc.kind, doc.dedupKey, doc.reference, doc.fileName, doc.contentType, doc.body],
  );
  if (inserted[0]) return { id: inserted[0].id, created: true };
  const existing = await findOutboundDocument(db, doc);
  return { id: existing!.id, created: false };
}

export async function listOutboundDocuments(db: Database, filter: { channelId: string; unfetchedOnly?: boolean; limit?: number }): Promise<OutboundDocumentSummary[]> {
  const docs = await db.prisma.outboundDocument.findMany({
    where: { channelId: filter.channelId, ...(filter.unfetchedOnly && { fetchedAt: null }) },
    orderBy: { createdAt: 'desc' },
    take: Math.min(filter.limit ?? 100, 500),
    omit: { body: true },
  });
  return docs.map((d) => ({
    id: d.id,
    channelId: d.channelId,
    orderId: d.orderId,
    kind: d.kind,
    reference: d.reference,
    fileName: d.fileName,
    contentType: d.contentType,
    createdAt: d.createdAt.toISOString(),
    fetchedAt: d.fetchedAt?.toISOString() ?? null,
  }));
}

/** The document with its body; the first fetch is recorded (partners poll for what is new). */
export async function fetchOutboundDocument(db: Database, id: string): Promise<OutboundDocumentSummary & { body: string }> {
  const doc = await db.prisma.outboundDocument.findUnique({ where: { id } });
  if (!doc) throw new HubError('not_found', `Outbound document ${id} does not exist.`);
  const fetchedAt = doc.fetchedAt ?? (await db.prisma.outboundDocument.update({ where: { id }, data: { fetchedAt: new Date() } })).fetchedAt;
  return {
    id: doc.id,
    channelId: doc.channelId,
    orderId: doc.orderId,
    kind: doc.kind,
    reference: doc.reference,
    fileName: doc.fileName,
    contentType: doc.contentType,
    createdAt: doc.createdAt.toISOString(),
    fetchedAt: fetchedAt?.toISOString() ?? null,
    body: doc.body,
  };
}
