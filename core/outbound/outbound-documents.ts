import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';

export interface NewOutboundDocument {
  channelId: string;
  orderId?: string | undefined;
  rawPayloadId?: string | undefined;
  kind: string;
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
 * (channel, kind, reference), so reprocessing an interchange does not duplicate its answer.
 */
export async function recordOutboundDocument(db: Database, doc: NewOutboundDocument): Promise<{ id: string; created: boolean }> {
  const rows = await db.query<{ id: string; inserted: boolean }>(
    `INSERT INTO outbound_document (id, channel_id, order_id, raw_payload_id, kind, reference, file_name, content_type, body)
     VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (channel_id, kind, reference) DO UPDATE SET kind = EXCLUDED.kind
     RETURNING id, (xmax = 0) AS inserted`,
    [doc.channelId, doc.orderId ?? null, doc.rawPayloadId ?? null, doc.kind, doc.reference, doc.fileName, doc.contentType, doc.body],
  );
  return { id: rows[0]!.id, created: rows[0]!.inserted };
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
