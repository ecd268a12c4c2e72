import type { CommerceMlChunk, CommerceMlPackage, CommerceMlProblem, OrderForOneC } from '../model/commerceml.ts';

/**
 * What the exchange with 1C needs from outside core/onec, injected where the exchange is built
 * (the composition root wires the streaming reader and writer of mappings/commerceml and the
 * catalogue service of core/catalogue), so the protocol does not depend on how XML is read.
 */

export interface ReadOptions {
  /** Records (products, offers, documents) per chunk. */
  batchSize: number;
  /** Records already applied by an earlier step: the reader reads past them without yielding them. */
  skipRecords: number;
}

/** Reads a stored CommerceML file, streamed chunk by chunk as it was received. */
export interface CommerceMlReader {
  read(source: AsyncIterable<Buffer>, options: ReadOptions): AsyncGenerator<CommerceMlChunk>;
}

export interface CatalogueImportContext {
  sessionId: string;
  fileId: string;
  fileName: string;
  /** When this file's import began (kept across a resumed import). */
  startedAt: Date;
  /** The file's header, once read. */
  package: CommerceMlPackage | undefined;
}

/** Counts of what a chunk did (created, updated, prices, stock…), summed on the file and session. */
export type ImportCounts = Record<string, number>;

/** What the catalogue did with a chunk: counts for the log, and records it could not store (listed on the file). */
export interface CatalogueApplied {
  counts: ImportCounts;
  problems?: CommerceMlProblem[] | undefined;
}

/** Where catalogue and offers chunks go. Applying a chunk again must be harmless (upserts by 1C Ид). */
export interface CatalogueSink {
  apply(chunk: CommerceMlChunk, context: CatalogueImportContext): Promise<CatalogueApplied>;
  /**
   * A full import.xml (СодержитТолькоИзменения=false) has been read: the catalogue's products no file
   * mentioned since startedAt (the exchange session's start, so every import file of the session counts) are gone.
   */
  finishSnapshot(catalogueId: string, startedAt: Date): Promise<ImportCounts>;
}

/** Writes the orders document answered to sale&mode=query. */
export interface OrdersDocumentWriter {
  write(orders: readonly OrderForOneC[], options: { profile: '2.05' | '2.08'; encoding: 'windows-1251' | 'utf-8' }): Buffer;
}

export interface OnecExchangePorts {
  reader: CommerceMlReader;
  catalogue: CatalogueSink;
  writer: OrdersDocumentWriter;
}
