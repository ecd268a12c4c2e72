import { PrismaClient } from './generated/client.ts';

/**
 * The hub's database: a Prisma client plus a raw SQL executor for what Prisma cannot do
 * (multi-statement migrations). Real PostgreSQL when a URL is given, embedded PGlite otherwise.
 */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly prisma: PrismaClient;
  /** Runs a script that may hold several statements, outside any Prisma transaction. */
  execScript(sql: string): Promise<void>;
  /** Runs one parameterised query and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs work on one dedicated connection (session-level advisory locks and explicit BEGIN/COMMIT
   * need the same session for every statement; a pool would spread them over several).
   */
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface SqlSession {
  execScript(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface DatabaseOptions {
  /** postgres:// URL; when absent the embedded PGlite database is used. */
  url?: string | undefined;
  /** PGlite data directory; `memory://` (or undefined) keeps it in memory. */
  dataDir?: string | undefined;
  /** Pool size for PostgreSQL. */
  poolSize?: number | undefined;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.poolSize) : openPglite(options.dataDir);
}

async function openPostgres(url: string, poolSize = 10): Promise<Database> {
  const { default: pg } = await import('pg');
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: 'postgres',
    prisma,
    async execScript(sql) {
      // The simple query protocol (no parameters) accepts several statements at once.
      await pool.query(sql);
    },
    async query(sql, params) {
      const result = await pool.query(sql, params as unknown[]);
      return result.rows;
    },
    async withSession(work) {
      const client = await pool.connect();
      // A connection lost while checked out (the server went away, e.g. mid-upload) is an 'error'
      // event on the client besides the failed query; the pool listens only while it is idle, and
      // an unheard 'error' event would crash the process. The work sees the failure in its query.
      let lost: Error | undefined;
      const onLost = (error: Error) => {
        lost = error;
      };
      client.on('error', onLost);
      try {
        return await work({
          execScript: async (sql) => void (await client.query(sql)),
          query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
        });
      } finally {
        client.removeListener('error', onLost);
        // Released with its error, the broken connection is dropped rather than handed out again.
        client.release(lost);
      }
    },
    async close() {
      await prisma.$disconnect();
      // pool.end() resolves before its sockets are closed, and Prisma's listener is gone by now: a
      // server that drops them meanwhile (DROP DATABASE ... WITH (FORCE) in tests) must not crash the process.
      pool.on('error', () => undefined);
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PrismaPGlite } = await import('pglite-prisma-adapter');
  const pglite = dataDir && dataDir !== 'memory://' ? new PGlite(dataDir) : new PGlite();
  await pglite.waitReady;
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: 'pglite',
    prisma,
    async execScript(sql) {
      await pglite.exec(sql);
    },
    async query(sql, params) {
      const result = await pglite.query(sql, params as unknown[]);
      return result.rows as never[];
    },
    withSession(work) {
      // PGlite is a single session already.
      return work({
        execScript: async (sql) => void (await pglite.exec(sql)),
        query: async (sql, params) => (await pglite.query(sql, params as unknown[])).rows as never[],
      });
    },
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
