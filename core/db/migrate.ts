import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, SqlSession } from './database.ts';
import { HubError } from '../errors.ts';

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

/**
 * Applies prisma/migrations/<stamp>_<name>/migration.sql in order. Bookkeeping uses Prisma's own
 * `_prisma_migrations` table and checksum (sha256 of the file), so a machine where Prisma Migrate
 * runs sees the same history. An applied migration whose file changed is refused, never re-run.
 */
export async function migrate(db: Database, dir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationResult> {
  const migrations = await readMigrations(dir);
  return db.withSession((session) => applyMigrations(session, migrations));
}

async function applyMigrations(db: SqlSession, migrations: MigrationFile[]): Promise<MigrationResult> {
  // One migrator at a time across processes (several workers may start together).
  await db.execScript(`SELECT pg_advisory_lock(72707001)`);
  try {
    return await applyUnderLock(db, migrations);
  } finally {
    await db.execScript(`SELECT pg_advisory_unlock(72707001)`);
  }
}

async function applyUnderLock(db: SqlSession, migrations: MigrationFile[]): Promise<MigrationResult> {
  await db.execScript(`
    CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    );`);
  const result: MigrationResult = { applied: [], alreadyApplied: [] };
  const rows = await db.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
  );
  const applied = new Map(rows.map((r) => [r.migration_name, r]));
  for (const migration of migrations) {
    const row = applied.get(migration.name);
    if (row) {
      if (!row.finished_at) {
        throw new HubError('conflict', `Migration ${migration.name} started earlier but never finished; repair the database by hand.`);
      }
      if (row.checksum !== migration.checksum) {
        throw new HubError(
          'conflict',
          `Migration ${migration.name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${migration.checksum.slice(0, 12)}… on disk). Add a new migration instead of editing an applied one.`,
        );
      }
      result.alreadyApplied.push(migration.name);
      continue;
    }
    await db.execScript(
      `BEGIN;\n${migration.sql}\n;INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('${randomUUID()}', '${migration.checksum}', now(), '${migration.name.replace(/'/g, "''")}', 1);\nCOMMIT;`,
    ).catch(async (error: unknown) => {
      await db.execScript('ROLLBACK').catch(() => undefined);
      throw new HubError('invalid_data', `Migration ${migration.name} failed: ${(error as Error).message}`);
    });
    result.applied.push(migration.name);
  }
  return result;
}

interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}
