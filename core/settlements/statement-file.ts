import type { Database } from '../db/database.ts';
import { SettlementService } from './settlement-service.ts';
import { buildStatement } from './statement.ts';
import { statementCsv } from './statement-csv.ts';
import { statementPdf } from './statement-pdf.ts';

export const STATEMENT_FORMATS = {
  csv: { contentType: 'text/csv; charset=utf-8', render: async (statement: Parameters<typeof statementCsv>[0]) => statementCsv(statement) },
  pdf: { contentType: 'application/pdf', render: statementPdf },
} as const;
export type StatementFormat = keyof typeof STATEMENT_FORMATS;

export interface StatementFile {
  title: string;
  /** The file's name with its extension. */
  fileName: string;
  contentType: string;
  bytes: Buffer;
}

/** A dealer's reconciliation statement (акт сверки) for a period as a file: what the API serves and the CLI writes. */
export async function statementFile(db: Database, dealerCode: string, period: { from: string; to: string }, format: StatementFormat, supplier: string | undefined): Promise<StatementFile> {
  const statement = buildStatement(await new SettlementService(db).forPeriod(dealerCode, period.from, period.to), { supplier });
  const { contentType, render } = STATEMENT_FORMATS[format];
  return { title: statement.title, fileName: `${statement.fileName}.${format}`, contentType, bytes: await render(statement) };
}
