import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { PRINCIPAL_COLUMNS, PRINCIPAL_JOINS, principalFromRow, type Principal, type PrincipalRow } from '../identity/principal.ts';
import { digest, newSecret } from '../identity/secrets.ts';
import { HubError } from '../errors.ts';
import { createHmac } from 'node:crypto';

/**
 * Exchange sessions and the files 1C sent in them, in PostgreSQL: consecutive calls of one exchange
 * may reach different API replicas, and a replica may restart between two of them.
 */

export type ExchangeType = 'catalog' | 'sale';

export interface ExchangeSession {
  id: string;
  userId: string;
  login: string;
  type: ExchangeType;
  status: string;
  createdAt: Date;
}

export interface ExchangeFile {
  id: string;
  sessionId: string;
  name: string;
  size: number;
  chunks: number;
  status: 'received' | 'importing' | 'imported' | 'failed' | 'unpacked';
  position: number;
  counts: Record<string, number>;
  package: Record<string, unknown> | null;
  error: string | null;
  unpackedFrom: string | null;
  importStartedAt: Date | null;
  /** Retention exported the bytes to `bytesArchive` and deleted them (the row stays for the log). */
  bytesPurgedAt: Date | null;
  bytesArchive: string | null;
}

export interface ExchangeStep {
  mode: string;
  filename?: string | undefined;
  answer: string;
  ms: number;
  at: string;
}

/** sessid: derived from the cookie's secret, so it needs no storage and cannot be made without the cookie. */
export function sessidOf(secret: string): string {
  return createHmac('sha256', secret).update('orderhub 1c sessid').digest('hex').slice(0, 32);
}

interface FileRow {
  id: string;
  session_id: string;
  name: string;
  size: string | number;
  chunks: number;
  status: ExchangeFile['status'];
  position: number;
  counts: Record<string, number>;
  package: Record<string, unknown> | null;
  error: string | null;
  unpacked_from: string | null;
  import_started_at: Date | null;
  bytes_purged_at: Date | null;
  bytes_archive: string | null;
}

function fileOf(row: FileRow): ExchangeFile {
  return {
    id: row.id,
    sessionId: row.session_id,
    name: row.name,
    size: Number(row.size),
    chunks: row.chunks,
    status: row.status,
    position: row.position,
    counts: row.counts ?? {},
    package: row.package,
    error: row.error,
    unpackedFrom: row.unpacked_from,
    importStartedAt: row.import_started_at ? new Date(row.import_started_at) : null,
    bytesPurgedAt: row.bytes_purged_at ? new Date(row.bytes_purged_at) : null,
    bytesArchive: row.bytes_archive,
  };
}

const FILE_COLUMNS = `id, session_id, name, size, chunks, status, position, counts, package, error, unpacked_from, import_started_at, bytes_purged_at, bytes_archive`;

export class ExchangeStore {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async open(principal: Principal, type: ExchangeType, channelId: string | null, minutes: number): Promise<{ session: ExchangeSession; secret: string }> {
    const secret = newSecret();
    const now = this.clock();
    const id = randomUUID();
    await this.db.query(
      `INSERT INTO onec_exchange_session (id, secret_hash, user_id, login, type, channel_id, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $7::timestamptz, $8::timestamptz)`,
      [id, digest(secret), principal.userId, principal.login, type, channelId, now.toISOString(), new Date(now.getTime() + minutes * 60_000).toISOString()],
    );
    return { session: { id, userId: principal.userId, login: principal.login, type, status: 'open', createdAt: now }, secret };
  }

  /** The live session a cookie names, with its user as it is now (a disabled user's session is over), sliding its expiry. */
  async resolve(secret: string, minutes: number): Promise<{ session: ExchangeSession; principal: Principal } | undefined> {
    const now = this.clock();
    const [row] = await this.db.query<PrincipalRow & { id: string; type: ExchangeType; status: string; created_at: Date }>(
      `SELECT s.id, s.type, s.status, s.created_at, ${PRINCIPAL_COLUMNS}
         FROM onec_exchange_session s JOIN hub_user u ON u.id = s.user_id ${PRINCIPAL_JOINS}
        WHERE s.secret_hash = $1 AND s.expires_at > $2::timestamptz`,
      [digest(secret), now.toISOString()],
    );
    if (!row) return undefined;
    const principal = principalFromRow(row, 'basic', row.id);
    if (!principal) return undefined;
    await this.db.query(`UPDATE onec_exchange_session SET last_seen_at = $2::timestamptz, expires_at = $3::timestamptz WHERE id = $1`, [
      row.id,
      now.toISOString(),
      new Date(now.getTime() + minutes * 60_000).toISOString(),
    ]);
    return { session: { id: row.id, userId: row.user_id, login: row.login, type: row.type, status: row.status, createdAt: new Date(row.created_at) }, principal };
  }

  async logStep(sessionId: string, step: ExchangeStep): Promise<void> {
    await this.db.query(`UPDATE onec_exchange_session SET steps = steps || $2::jsonb WHERE id = $1`, [sessionId, JSON.stringify([step])]);
  }

  async addCounts(sessionId: string, counts: Record<string, number>): Promise<void> {
    if (Object.keys(counts).length === 0) return;
    await this.db.query(
      `UPDATE onec_exchange_session s SET counts = (
         SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
           SELECT k, sum(v)::int AS v FROM (
             SELECT key AS k, value::int AS v FROM jsonb_each_text(s.counts)
             UNION ALL SELECT key, value::int FROM jsonb_each_text($2::jsonb)) t GROUP BY k) a)
       WHERE id = $1`,
      [sessionId, JSON.stringify(counts)],
    );
  }

  async finish(sessionId: string, status: 'succeeded' | 'failed', error?: string, options: { unlessFailed?: boolean } = {}): Promise<void> {
    await this.db.query(
      `UPDATE onec_exchange_session SET status = $2, error = coalesce($3, error), finished_at = $4::timestamptz WHERE id = $1 AND NOT ($5::boolean AND status = 'failed')`,
      [sessionId, status, error ?? null, this.clock().toISOString(), options.unlessFailed ?? false],
    );
  }

  // ---- files --------------------------------------------------------------------------------------------------------

  /** Appends a chunk to the session's file of that name (made on its first chunk), as Bitrix's fopen(…, "ab") does. */
  async appendChunk(sessionId: string, name: string, bytes: Buffer, unpackedFrom: string | null = null): Promise<ExchangeFile> {
    return this.db.prisma.$transaction(async (tx) => {
      const now = this.clock().toISOString();
      await tx.$executeRawUnsafe(
        `INSERT INTO onec_exchange_file (id, session_id, name, unpacked_from, created_at, updated_at) VALUES ($1, $2, $3, $4, $5::timestamptz, $5::timestamptz)
         ON CONFLICT (session_id, name) DO NOTHING`,
        randomUUID(), sessionId, name, unpackedFrom, now,
      );
      // The row lock orders concurrent appends of one file (two replicas): each gets the next seq.
      const [row] = await tx.$queryRawUnsafe<FileRow[]>(
        `UPDATE onec_exchange_file SET chunks = chunks + 1, size = size + $3, updated_at = $4::timestamptz WHERE session_id = $1 AND name = $2 RETURNING ${FILE_COLUMNS}`,
        sessionId, name, bytes.byteLength, now,
      );
      await tx.$executeRawUnsafe(`INSERT INTO onec_exchange_file_chunk (file_id, seq, bytes) VALUES ($1, $2, $3)`, row!.id, row!.chunks, bytes);
      return fileOf(row!);
    });
  }

  /** Removes what was unpacked from an archive (a refused one). */
  async discardUnpacked(archiveId: string): Promise<void> {
    await this.db.query(`DELETE FROM onec_exchange_file WHERE unpacked_from = $1`, [archiveId]);
  }

  async file(sessionId: string, name: string): Promise<ExchangeFile | undefined> {
    const [row] = await this.db.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM onec_exchange_file WHERE session_id = $1 AND name = $2`, [sessionId, name]);
    return row && fileOf(row);
  }

  async fileById(id: string): Promise<ExchangeFile | undefined> {
    const [row] = await this.db.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM onec_exchange_file WHERE id = $1`, [id]);
    return row && fileOf(row);
  }

  /**
   * The file `hub 1c reimport` may read again: it exists and still has its bytes. One whose bytes
   * retention exported and deleted is refused saying so, and where they are.
   */
  async reimportableFile(fileId: string): Promise<ExchangeFile> {
    const file = await this.fileById(fileId);
    if (!file) throw new HubError('not_found', `Exchange file ${fileId} does not exist.`);
    if (file.bytesPurgedAt) {
      throw new HubError(
        'conflict',
        `Exchange file ${fileId} (${file.name}) cannot be read again: its bytes were purged by retention on ${file.bytesPurgedAt.toISOString()} ` +
          `(exported to ${file.bytesArchive ?? 'the archive'}, then deleted from the database). ` +
          `To import it, take its line from that archive (bytesBase64) and have 1C send the data again in a new exchange.`,
        { details: { reason: 'exchange_file_purged', archive: file.bytesArchive } },
      );
    }
    return file;
  }

  async files(sessionId: string): Promise<ExchangeFile[]> {
    const rows = await this.db.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM onec_exchange_file WHERE session_id = $1 ORDER BY created_at, name`, [sessionId]);
    return rows.map(fileOf);
  }

  /** The file's bytes chunk by chunk, one chunk in memory at a time. */
  async *chunksOf(fileId: string): AsyncGenerator<Buffer> {
    for (let seq = 1; ; seq++) {
      const [row] = await this.db.query<{ bytes: Buffer | Uint8Array }>(`SELECT bytes FROM onec_exchange_file_chunk WHERE file_id = $1 AND seq = $2`, [fileId, seq]);
      if (!row) return;
      yield Buffer.isBuffer(row.bytes) ? row.bytes : Buffer.from(row.bytes);
    }
  }

  async wholeFile(fileId: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this.chunksOf(fileId)) parts.push(chunk);
    return Buffer.concat(parts);
  }

  /** When the session began (checkauth). */
  async sessionStart(sessionId: string): Promise<Date> {
    const [row] = await this.db.query<{ created_at: Date }>(`SELECT created_at FROM onec_exchange_session WHERE id = $1`, [sessionId]);
    if (!row) throw new Error(`exchange session ${sessionId} does not exist`);
    return new Date(row.created_at);
  }

  /** Problems of an import (records not stored, orders not found…) appended to the file's error, which the log shows. */
  async addProblems(fileId: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db.query(`UPDATE onec_exchange_file SET error = left(coalesce(error || E'\\n', '') || $2, 20000) WHERE id = $1`, [fileId, lines.join('\n')]);
  }

  async updateFile(fileId: string, changes: { status?: ExchangeFile['status']; position?: number; addCounts?: Record<string, number>; package?: unknown; error?: string | null; startedImport?: boolean; imported?: boolean }): Promise<void> {
    const now = this.clock().toISOString();
    await this.db.query(
      `UPDATE onec_exchange_file SET
         status = coalesce($2, status),
         position = coalesce($3, position),
         counts = CASE WHEN $4::jsonb IS NULL THEN counts ELSE (
           SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
             SELECT k, sum(v)::int AS v FROM (
               SELECT key AS k, value::int AS v FROM jsonb_each_text(counts)
               UNION ALL SELECT key, value::int FROM jsonb_each_text($4::jsonb)) t GROUP BY k) a) END,
         package = coalesce($5::jsonb, package),
         error = CASE WHEN $6::boolean THEN $7 ELSE error END,
         import_started_at = CASE WHEN $8::boolean AND import_started_at IS NULL THEN $10::timestamptz ELSE import_started_at END,
         imported_at = CASE WHEN $9::boolean THEN $10::timestamptz ELSE imported_at END,
         updated_at = $10::timestamptz
       WHERE id = $1`,
      [
        fileId,
        changes.status ?? null,
        changes.position ?? null,
        changes.addCounts ? JSON.stringify(changes.addCounts) : null,
        changes.package === undefined ? null : JSON.stringify(changes.package),
        changes.error !== undefined,
        changes.error ?? null,
        changes.startedImport ?? false,
        changes.imported ?? false,
        now,
      ],
    );
  }
}
