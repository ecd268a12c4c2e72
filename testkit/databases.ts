import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../core/db/database.ts';
import { migrate } from '../core/db/migrate.ts';

/** Admin connection used to create one throw-away database per test file. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_TEST_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  db: Database;
  /** URL of the fresh database (for a second connection, a worker, the CLI). */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * A freshly migrated database on the real PostgreSQL server. PostgreSQL is a required part of the
 * test suite: when it is not reachable the test fails with the reason, it never skips.
 */
export async function createTestPostgres(options: { poolSize?: number; adminUrl?: string } = {}): Promise<TestDatabase> {
  const adminUrl = options.adminUrl ?? POSTGRES_ADMIN_URL;
  const name = `orderhub_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${adminUrl} (${(error as Error).message}); start it (see README, Testing).`);
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const db = await openDatabase({ url, poolSize: options.poolSize });
  await migrate(db);
  return {
    db,
    url,
    async drop() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

/** A freshly migrated in-memory PGlite database: the embedded runtime. */
export async function createTestPglite(): Promise<TestDatabase> {
  const db = await openDatabase({});
  await migrate(db);
  return { db, url: undefined, drop: () => db.close() };
}

export const DATABASE_KINDS = [
  ['PostgreSQL', createTestPostgres],
  ['PGlite', createTestPglite],
] as const;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
