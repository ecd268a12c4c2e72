import type { Database } from '../db/database.ts';
import type { AccountingSyncView } from '../model/settlements.ts';

/**
 * The record of every sync with the accounting system (dealers or settlements), like a channel's
 * sync runs: what was read and stored, and each failure in words, visible to ops
 * (GET /v1/accounting/syncs, `hub 1c syncs`). A sync never fails silently: a source that refuses is a
 * failed run with its message, a record that cannot be read is a failed count with its reason.
 */
export type AccountingSyncKind = 'dealers' | 'settlements';
export type AccountingSyncTrigger = 'schedule' | 'manual' | 'cli';

export interface AccountingSyncProblem {
  dealer?: string | undefined;
  code: string;
  message: string;
}

export interface AccountingSyncCounts {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  documents: number;
}

export async function startAccountingSync(
  db: Database,
  run: { kind: AccountingSyncKind; source: string; trigger: AccountingSyncTrigger; from?: string | undefined; to?: string | undefined; requestedBy?: string | undefined },
): Promise<string> {
  const row = await db.prisma.accountingSync.create({
    data: {
      kind: run.kind,
      source: run.source,
      trigger: run.trigger,
      status: 'running',
      periodFrom: run.from ? new Date(`${run.from}T00:00:00Z`) : null,
      periodTo: run.to ? new Date(`${run.to}T00:00:00Z`) : null,
      requestedBy: run.requestedBy ?? null,
    },
  });
  return row.id;
}

export async function finishAccountingSync(
  db: Database,
  id: string,
  outcome: { counts: AccountingSyncCounts; problems: AccountingSyncProblem[]; failure?: { code: string; message: string } | undefined },
): Promise<AccountingSyncView> {
  const { counts, problems, failure } = outcome;
  const status = failure ? 'failed' : counts.failed > 0 ? 'partial' : 'succeeded';
  await db.prisma.accountingSync.update({
    where: { id },
    data: {
      status,
      finishedAt: new Date(),
      ...counts,
      errorCode: failure?.code ?? null,
      error: failure?.message ?? null,
      // Bounded: a 1C with thousands of broken counterparties must not make a row of megabytes.
      errors: problems.slice(0, 500).map((p) => ({ ...(p.dealer !== undefined && { dealer: p.dealer }), code: p.code, message: p.message })),
    },
  });
  return getAccountingSync(db, id);
}

export async function getAccountingSync(db: Database, id: string): Promise<AccountingSyncView> {
  const row = await db.prisma.accountingSync.findUniqueOrThrow({ where: { id } });
  return view(row);
}

export async function listAccountingSyncs(db: Database, options: { limit?: number | undefined } = {}): Promise<AccountingSyncView[]> {
  const rows = await db.prisma.accountingSync.findMany({ orderBy: { startedAt: 'desc' }, take: options.limit ?? 50 });
  return rows.map(view);
}

type Row = Awaited<ReturnType<Database['prisma']['accountingSync']['findUniqueOrThrow']>>;

function view(row: Row): AccountingSyncView {
  return {
    id: row.id,
    kind: row.kind,
    source: row.source,
    trigger: row.trigger,
    status: row.status,
    from: row.periodFrom ? row.periodFrom.toISOString().slice(0, 10) : null,
    to: row.periodTo ? row.periodTo.toISOString().slice(0, 10) : null,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    received: row.received,
    created: row.created,
    updated: row.updated,
    unchanged: row.unchanged,
    failed: row.failed,
    documents: row.documents,
    errorCode: row.errorCode,
    error: row.error,
    errors: (row.errors as AccountingSyncView['errors']) ?? [],
    requestedBy: row.requestedBy,
  };
}
