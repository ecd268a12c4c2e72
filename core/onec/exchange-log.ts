import { Type, type Static } from '@sinclair/typebox';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';

/**
 * The log of 1C exchange sessions for ops and accountants (GET /v1/onec/exchanges, `hub 1c
 * exchanges`): who exchanged what, which files with their sizes, every call with its answer and
 * duration, the counts and the errors. File bytes are not shown here (they stay in the database,
 * re-importable with `hub 1c reimport <fileId>`, until retention exports them to the archive: the
 * file then says when and where to).
 */

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const ExchangeFileViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'As 1C sent it, sub-path included' }),
  size: Type.Integer({ description: 'Bytes received' }),
  chunks: Type.Integer(),
  status: Type.String({ description: 'received | importing | imported | failed | unpacked' }),
  position: Type.Integer({ description: 'Records already applied (an interrupted import goes on from here)' }),
  counts: Type.Record(Type.String(), Type.Number()),
  error: Nullable(Type.String()),
  unpackedFrom: Nullable(Type.String({ description: 'The zip archive it came out of' })),
  bytesPurgedAt: Nullable(Type.String({ format: 'date-time', description: 'When retention exported the bytes to bytesArchive and deleted them (the file cannot be reimported)' })),
  bytesArchive: Nullable(Type.String({ description: 'The archive file (ndjson.gz) holding the bytes' })),
});

export const ExchangeSummarySchema = Type.Object({
  id: Type.String(),
  login: Type.String({ description: 'The integration user 1C signed in as' }),
  type: Type.String({ description: 'catalog | sale' }),
  status: Type.String({ description: 'open | succeeded | failed' }),
  counts: Type.Record(Type.String(), Type.Number()),
  error: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  files: Type.Integer(),
  bytes: Type.Integer(),
});

export const ExchangeDetailSchema = Type.Intersect([
  ExchangeSummarySchema,
  Type.Object({
    steps: Type.Array(Type.Object({ mode: Type.String(), filename: Type.Optional(Type.String()), answer: Type.String(), ms: Type.Number(), at: Type.String() })),
    fileList: Type.Array(ExchangeFileViewSchema),
  }),
]);

export const ExchangeListQuerySchema = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('succeeded'), Type.Literal('failed')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});

export type ExchangeSummary = Static<typeof ExchangeSummarySchema>;
export type ExchangeDetail = Static<typeof ExchangeDetailSchema>;

interface SessionRow {
  id: string;
  login: string;
  type: string;
  status: string;
  counts: Record<string, number>;
  error: string | null;
  created_at: Date;
  last_seen_at: Date;
  finished_at: Date | null;
  files: number;
  bytes: string | number;
  steps?: ExchangeDetail['steps'];
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function summaryOf(row: SessionRow): ExchangeSummary {
  return {
    id: row.id,
    login: row.login,
    type: row.type,
    status: row.status,
    counts: row.counts ?? {},
    error: row.error,
    createdAt: iso(row.created_at)!,
    lastSeenAt: iso(row.last_seen_at)!,
    finishedAt: iso(row.finished_at),
    files: Number(row.files),
    bytes: Number(row.bytes),
  };
}

const SUMMARY_SQL = `SELECT s.id, s.login, s.type, s.status, s.counts, s.error, s.created_at, s.last_seen_at, s.finished_at,
    (SELECT count(*)::int FROM onec_exchange_file f WHERE f.session_id = s.id) AS files,
    (SELECT coalesce(sum(f.size), 0)::bigint FROM onec_exchange_file f WHERE f.session_id = s.id AND f.unpacked_from IS NULL) AS bytes`;

export async function listExchanges(db: Database, query: { status?: string | undefined; limit?: number | undefined } = {}): Promise<ExchangeSummary[]> {
  const rows = await db.query<SessionRow>(
    `${SUMMARY_SQL} FROM onec_exchange_session s WHERE ($1::text IS NULL OR s.status = $1) ORDER BY s.created_at DESC, s.id LIMIT $2`,
    [query.status ?? null, query.limit ?? 50],
  );
  return rows.map(summaryOf);
}

export async function getExchange(db: Database, id: string): Promise<ExchangeDetail> {
  const [row] = await db.query<SessionRow>(`${SUMMARY_SQL}, s.steps FROM onec_exchange_session s WHERE s.id = $1`, [id]);
  if (!row) throw new HubError('not_found', `1C exchange ${id} does not exist.`);
  const files = await db.query<{
    id: string;
    name: string;
    size: string;
    chunks: number;
    status: string;
    position: number;
    counts: Record<string, number>;
    error: string | null;
    unpacked_from: string | null;
    bytes_purged_at: Date | null;
    bytes_archive: string | null;
  }>(
    `SELECT id, name, size, chunks, status, position, counts, error, unpacked_from, bytes_purged_at, bytes_archive FROM onec_exchange_file WHERE session_id = $1 ORDER BY created_at, name`,
    [id],
  );
  return {
    ...summaryOf(row),
    steps: row.steps ?? [],
    fileList: files.map((f) => ({ id: f.id, name: f.name, size: Number(f.size), chunks: f.chunks, status: f.status, position: f.position, counts: f.counts ?? {}, error: f.error, unpackedFrom: f.unpacked_from, bytesPurgedAt: iso(f.bytes_purged_at), bytesArchive: f.bytes_archive })),
  };
}
