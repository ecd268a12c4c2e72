import type { CommerceMlChunk, CommerceMlOrderDocument, CommerceMlPackage } from '../model/commerceml.ts';

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
  /** When this file's import began (a full snapshot deactivates what it did not touch since). */
  startedAt: Date;
  /** The file's header, once read. */
  package: CommerceMlPackage | undefined;
}

/** Counts of what a chunk did (created, updated, prices, stock…), summed on the file and session. */
export type ImportCounts = Record<string, number>;

/** Where catalogue and offers chunks go. Applying a chunk again must be harmless (upserts by 1C Ид). */
export interface CatalogueSink {
  apply(chunk: CommerceMlChunk, context: CatalogueImportContext): Promise<ImportCounts>;
  /** A full snapshot (СодержитТолькоИзменения=false) has ended: what it did not mention since startedAt is gone. */
  finishSnapshot(catalogueId: string, startedAt: Date): Promise<ImportCounts>;
}

/** Writes the orders document answered to sale&mode=query. */
export interface OrdersDocumentWriter {
  write(orders: readonly CommerceMlOrderDocument[], options: { profile: '2.05' | '2.08'; encoding: 'windows-1251' | 'utf-8' }): Buffer;
}

export interface OnecExchangePorts {
  reader: CommerceMlReader;
  catalogue: CatalogueSink;
  writer: OrdersDocumentWriter;
}
