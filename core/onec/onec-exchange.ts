import { Value } from '@sinclair/typebox/value';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import type { Principal } from '../identity/principal.ts';
import type { CommerceMlChunk, CommerceMlPackage } from '../model/commerceml.ts';
import { ONEC_EXCHANGE_CONNECTOR, OnecExchangeSettingsSchema, type OnecExchangeSettings } from '../model/onec-exchange.ts';
import { assertValid } from '../model/validate.ts';
import type { OrderLifecycle } from '../flows/order-lifecycle.ts';
import { exchangeFileName } from './exchange-paths.ts';
import { ExchangeStore, sessidOf, type ExchangeFile, type ExchangeSession, type ExchangeType } from './exchange-store.ts';
import type { ImportCounts, OnecExchangePorts } from './ports.ts';
import { SaleExchange } from './sale-exchange.ts';
import { isZip, unpackZip } from './zip-package.ts';

/**
 * The CommerceML 2 exchange ("обмен с сайтом") as 1C drives it, protocol first and transport-free:
 * the API turns each call into one of these methods and their answers into text lines.
 *
 *   checkauth (HTTP Basic) → init → file… → import… (progress… success)          type=catalog
 *   checkauth → init → query → success → file… → import…                        type=sale
 *
 * Everything an exchange holds is in PostgreSQL (sessions, files as chunks, positions), so any API
 * replica can answer any call, and an import cut short by a crash or a restart goes on from the
 * position the last finished batch left.
 */

export const EXCHANGE_COOKIE = 'hub_1c_exchange';

/** An answer of the protocol: `success`, `progress` or `failure` lines, or a document (sale&mode=query). */
export type ExchangeAnswer = { kind: 'lines'; lines: string[] } | { kind: 'document'; bytes: Buffer };

export interface OnecExchangeOptions {
  clock?: (() => Date) | undefined;
  /** Records per chunk handed to the catalogue. */
  batchSize?: number | undefined;
  /** At most this many records per import call (tests; unlimited by default: the time budget decides). */
  recordBudget?: number | undefined;
  lifecycle: OrderLifecycle;
}

export class OnecExchange {
  readonly store: ExchangeStore;
  private readonly clock: () => Date;
  private readonly sale: SaleExchange;

  constructor(
    private readonly db: Database,
    private readonly ports: OnecExchangePorts,
    private readonly options: OnecExchangeOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.store = new ExchangeStore(db, this.clock);
    this.sale = new SaleExchange(db, ports, options.lifecycle, this.store, () => this.settings());
  }

  /** The hub's 1C channel and its settings (defaults without one). */
  async settings(): Promise<{ channelId: string | null; settings: OnecExchangeSettings }> {
    const [row] = await this.db.query<{ id: string; config: unknown }>(
      `SELECT id, config FROM channel WHERE connector_type = $1 AND enabled ORDER BY created_at LIMIT 1`,
      [ONEC_EXCHANGE_CONNECTOR],
    );
    const settings = assertValid(OnecExchangeSettingsSchema, Value.Default(OnecExchangeSettingsSchema, structuredClone(row?.config ?? {})), '1C channel config');
    return { channelId: row?.id ?? null, settings };
  }

  /** mode=checkauth: the caller proved itself with HTTP Basic; a new exchange session. */
  async checkauth(principal: Principal, type: ExchangeType): Promise<{ lines: string[]; secret: string; session: ExchangeSession }> {
    const { channelId, settings } = await this.settings();
    const { session, secret } = await this.store.open(principal, type, channelId, settings.sessionMinutes);
    await this.store.logStep(session.id, { mode: 'checkauth', answer: 'success', ms: 0, at: this.clock().toISOString() });
    const timestamp = Math.floor(this.clock().getTime() / 1000);
    return { lines: ['success', EXCHANGE_COOKIE, secret, `sessid=${sessidOf(secret)}`, `timestamp=${timestamp}`], secret, session };
  }

  /** The session a later call's cookie names; its sessid, when sent, must be the session's. */
  async sessionOf(secret: string | undefined, sessid: string | undefined): Promise<{ session: ExchangeSession; principal: Principal }> {
    if (!secret) throw new HubError('unauthorized', 'No exchange session cookie: start with mode=checkauth.');
    const { settings } = await this.settings();
    const resolved = await this.store.resolve(secret, settings.sessionMinutes);
    if (!resolved) throw new HubError('unauthorized', 'The exchange session is unknown or has ended: start again with mode=checkauth.');
    if (sessid !== undefined && sessid !== sessidOf(secret)) throw new HubError('unauthorized', 'Ошибка проверки источника запроса: sessid does not match the session.');
    return resolved;
  }

  /** mode=init; `secret` is the session cookie's (its sessid is repeated for the sale component's 2.09 handshake). */
  async init(session: ExchangeSession, version: string | undefined, secret: string): Promise<string[]> {
    const { settings } = await this.settings();
    const lines = [`zip=${settings.zip ? 'yes' : 'no'}`, `file_limit=${settings.fileLimit}`];
    if (session.type === 'sale' && version !== undefined) lines.push(`sessid=${sessidOf(secret)}`, 'version=2.09');
    return lines;
  }

  /** mode=file: appends the chunk to the session's file (made on its first chunk). */
  async file(session: ExchangeSession, filename: string | undefined, body: Buffer): Promise<string[]> {
    const verdict = exchangeFileName(filename);
    if (!verdict.ok) throw new HubError('invalid_data', `The file was refused: ${verdict.reason}.`);
    const { settings } = await this.settings();
    if (body.byteLength > settings.fileLimit) throw new HubError('invalid_data', `The chunk has ${body.byteLength} bytes, more than file_limit=${settings.fileLimit}.`);
    const existing = await this.store.file(session.id, verdict.name);
    if (existing && existing.status !== 'received') throw new HubError('conflict', `${verdict.name} is already ${existing.status} in this exchange; start a new exchange to send it again.`);
    const file = await this.store.appendChunk(session.id, verdict.name, body);
    return ['success', `${file.name}: ${file.size} bytes in ${file.chunks} chunk(s)`];
  }

  /**
   * mode=import: one bounded slice of the file's import. Archives the session received are unpacked
   * first (zip=yes). Catalogue files go to the catalogue; a sale exchange's files are order changes.
   */
  async import(session: ExchangeSession, filename: string | undefined, budget: { stepSeconds?: number } = {}): Promise<string[]> {
    const verdict = exchangeFileName(filename);
    if (!verdict.ok) throw new HubError('invalid_data', `The file was refused: ${verdict.reason}.`);
    const { settings } = await this.settings();
    await this.unpackArchives(session, settings);
    const file = await this.store.file(session.id, verdict.name);
    if (!file) throw new HubError('not_found', `${verdict.name} was not received in this exchange (send it with mode=file first).`);
    return this.importFile(session.id, session.type, file, budget.stepSeconds ?? settings.stepSeconds);
  }

  /** `hub 1c reimport <fileId>`: reads a stored file again from its start (after a fix), all in one go. */
  async reimport(fileId: string): Promise<string[]> {
    const file = await this.store.reimportableFile(fileId);
    const [session] = await this.db.query<{ type: ExchangeType }>(`SELECT type FROM onec_exchange_session WHERE id = $1`, [file.sessionId]);
    await this.db.query(`UPDATE onec_exchange_file SET status = 'received', position = 0, counts = '{}'::jsonb, error = NULL, import_started_at = NULL, imported_at = NULL WHERE id = $1`, [fileId]);
    for (;;) {
      const answer = await this.importFile(file.sessionId, session!.type, { ...file, status: 'received', position: 0, importStartedAt: null }, 600);
      if (answer[0] !== 'progress') return answer;
    }
  }

  /** sale&mode=query: the orders document, with the encoding it was written in (for its Content-Type). */
  async query(session: ExchangeSession): Promise<{ document: Buffer; encoding: OnecExchangeSettings['encoding'] }> {
    const { settings } = await this.settings();
    return { document: await this.sale.query(session, settings), encoding: settings.encoding };
  }

  /** sale&mode=success: the orders of this session's answer are 1C's now. */
  async success(session: ExchangeSession): Promise<string[]> {
    const marked = session.type === 'sale' ? await this.sale.confirm(session) : 0;
    await this.store.finish(session.id, 'succeeded');
    return ['success', ...(session.type === 'sale' ? [`${marked} order(s) marked as exported`] : [])];
  }

  private async unpackArchives(session: ExchangeSession, settings: OnecExchangeSettings): Promise<void> {
    for (const file of await this.store.files(session.id)) {
      if (file.status !== 'received' || file.unpackedFrom) continue;
      const head = (await this.store.chunksOf(file.id).next()).value as Buffer | undefined;
      if (!head || !isZip(head)) continue;
      try {
        const entries = await unpackZip(
          this.store.chunksOf(file.id),
          file.size,
          { maxUnpackedBytes: settings.maxUnpackedBytes, maxRatio: settings.maxZipRatio },
          async (name, bytes) => {
            // Stored in file_limit-sized chunks like anything 1C sends.
            for (let at = 0; at === 0 || at < bytes.byteLength; at += settings.fileLimit) {
              await this.store.appendChunk(session.id, name, bytes.subarray(at, at + settings.fileLimit), file.id);
            }
          },
          settings.fileLimit,
        );
        await this.store.updateFile(file.id, { status: 'unpacked', addCounts: { entries } });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // Nothing of a refused archive stays as a file of the session: the archive itself is kept.
        await this.store.discardUnpacked(file.id);
        await this.store.updateFile(file.id, { status: 'failed', error: message });
        await this.store.finish(session.id, 'failed', `${file.name}: ${message}`);
        throw new HubError('invalid_data', `${file.name}: ${message}`);
      }
    }
  }

  private async importFile(sessionId: string, type: ExchangeType, file: ExchangeFile, stepSeconds: number): Promise<string[]> {
    if (file.status === 'imported') return ['success', `${file.name} is imported: ${describe(file.counts)}`];
    if (file.status === 'unpacked') return ['success', `${file.name} was unpacked`];
    // One slice per file at a time, across replicas: 1C retries a call that timed out while the first still runs.
    const locked = await this.withFileLock(file.id, async () => {
      const current = (await this.store.fileById(file.id))!;
      if (current.status === 'imported') return ['success', `${current.name} is imported: ${describe(current.counts)}`];
      try {
        return await this.slice(sessionId, type, current, stepSeconds);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await this.store.updateFile(file.id, { status: 'failed', error: message });
        await this.store.finish(sessionId, 'failed', `${current.name}: ${message}`);
        throw new HubError('invalid_data', `${current.name}: ${message}`);
      }
    });
    return locked ?? ['progress', `${file.name}: the previous step is still running`];
  }

  private async slice(sessionId: string, type: ExchangeType, file: ExchangeFile, stepSeconds: number): Promise<string[]> {
    // A file that failed and is imported again starts with a clean error; problems found on the way are appended to it.
    await this.store.updateFile(file.id, { status: 'importing', startedImport: true, ...(file.status === 'failed' && { error: null }) });
    const startedAt = file.importStartedAt ?? this.clock();
    const deadline = this.clock().getTime() + stepSeconds * 1000;
    const context = { sessionId, fileId: file.id, fileName: file.name, startedAt, package: (file.package ?? undefined) as unknown as CommerceMlPackage | undefined };
    let position = file.position;
    let records = 0;
    const total: ImportCounts = {};
    const reader = this.ports.reader.read(this.store.chunksOf(file.id), { batchSize: this.options.batchSize ?? 500, skipRecords: position });
    try {
      for await (const chunk of reader) {
        if (chunk.kind === 'package') {
          context.package = chunk;
          if (!file.package) await this.store.updateFile(file.id, { package: chunk });
          continue;
        }
        let counts: ImportCounts;
        if (type === 'sale') counts = await this.sale.apply(chunk, context);
        else {
          const applied = await this.ports.catalogue.apply(chunk, context);
          counts = applied.counts;
          await this.store.addProblems(file.id, (applied.problems ?? []).map((p) => `${p.ref}: ${p.message}`));
        }
        const done = recordsOf(chunk);
        if (done === undefined) continue;
        // The position moves only after the sink has the batch: a crash repeats at most this batch.
        position = done.position + done.count;
        records += done.count;
        add(total, counts);
        await this.store.updateFile(file.id, { position, addCounts: counts });
        await this.store.addCounts(sessionId, counts);
        const budgetSpent = this.clock().getTime() >= deadline || (this.options.recordBudget !== undefined && records >= this.options.recordBudget);
        if (budgetSpent) return ['progress', `${file.name}: ${position} record(s) read, ${describe(total)} in this step`];
      }
    } finally {
      await reader.return(undefined);
    }
    const pkg = context.package;
    // Only a full import.xml says which products exist: offers never deactivate products by absence.
    // The session's start, not the file's: 1C may split one snapshot into import0_1.xml, import0_2.xml….
    if (type === 'catalog' && pkg && !pkg.onlyChanges && pkg.document === 'import' && pkg.catalogueId) {
      const counts = await this.ports.catalogue.finishSnapshot(pkg.catalogueId, await this.store.sessionStart(sessionId));
      add(total, counts);
      await this.store.updateFile(file.id, { addCounts: counts });
      await this.store.addCounts(sessionId, counts);
    }
    await this.store.updateFile(file.id, { status: 'imported', imported: true });
    // A catalogue exchange ends with its last import (1C sends no mode=success for it); a later failure still marks it failed.
    if (type === 'catalog') await this.store.finish(sessionId, 'succeeded', undefined, { unlessFailed: true });
    const finished = (await this.store.fileById(file.id))!;
    return ['success', `${file.name}: ${finished.position} record(s); ${describe(finished.counts)}`];
  }

  /** Files this process is importing: PGlite's one session would take the advisory lock twice. */
  private readonly importing = new Set<string>();

  private async withFileLock<T>(fileId: string, work: () => Promise<T>): Promise<T | undefined> {
    if (this.importing.has(fileId)) return undefined;
    this.importing.add(fileId);
    try {
      return await this.withAdvisoryLock(fileId, work);
    } finally {
      this.importing.delete(fileId);
    }
  }

  private async withAdvisoryLock<T>(fileId: string, work: () => Promise<T>): Promise<T | undefined> {
    return this.db.withSession(async (session) => {
      const [row] = await session.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtext('onec_file'), hashtext($1)) AS locked`, [fileId]);
      if (!row?.locked) return undefined;
      try {
        return await work();
      } finally {
        await session.query(`SELECT pg_advisory_unlock(hashtext('onec_file'), hashtext($1))`, [fileId]);
      }
    });
  }
}

function recordsOf(chunk: CommerceMlChunk): { position: number; count: number } | undefined {
  switch (chunk.kind) {
    case 'products':
      return { position: chunk.position, count: chunk.records ?? chunk.products.length };
    case 'offers':
      return { position: chunk.position, count: chunk.records ?? chunk.offers.length };
    case 'documents':
      return { position: chunk.position, count: chunk.records ?? chunk.documents.length };
    default:
      return undefined;
  }
}

function add(into: ImportCounts, counts: ImportCounts): void {
  for (const [key, value] of Object.entries(counts)) into[key] = (into[key] ?? 0) + value;
}

function describe(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : 'nothing to do';
}
