import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../core/db/database.ts';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../core/db/migrate.ts';
import { createTestPostgres } from '../helpers/databases.ts';

describe('hub migrate', () => {
  it('applies every migration once; a re-run applies nothing', async () => {
    const db = await openDatabase({});
    const first = await migrate(db);
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await migrate(db);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
    const rows = await db.query<{ migration_name: string; checksum: string }>(`SELECT migration_name, checksum FROM "_prisma_migrations"`);
    expect(rows.map((r) => r.migration_name)).toEqual(first.applied);
    expect(rows[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    await db.close();
  });

  it('refuses a migration that was changed after it was applied, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orderhub-migrations-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    const t = await createTestPostgres();
    try {
      const file = join(dir, '20261123000000_init', 'migration.sql');
      await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited later\n`);
      await expect(migrate(t.db, dir)).rejects.toThrow(/20261123000000_init was changed after it was applied/);
    } finally {
      await t.drop();
    }
  });

  it('applies a new migration added later, and only that one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orderhub-migrations-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    const db = await openDatabase({});
    await migrate(db, dir);
    await cp(join(dir, '20261123000000_init'), join(dir, '29991231000000_extra'), { recursive: true });
    await writeFile(join(dir, '29991231000000_extra', 'migration.sql'), 'CREATE TABLE "extra" ("id" TEXT PRIMARY KEY);');
    const result = await migrate(db, dir);
    expect(result.applied).toEqual(['29991231000000_extra']);
    await db.close();
  });

  it('leaves nothing half-applied when a migration fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orderhub-migrations-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    await cp(join(dir, '20261123000000_init'), join(dir, '29991231000000_broken'), { recursive: true });
    await writeFile(join(dir, '29991231000000_broken', 'migration.sql'), 'CREATE TABLE "half" ("id" TEXT); SELECT nonsense_function();');
    const t = await createTestPostgres();
    try {
      await expect(migrate(t.db, dir)).rejects.toThrow(/29991231000000_broken failed/);
      const tables = await t.db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half'`);
      expect(tables).toEqual([]);
      const recorded = await t.db.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29991231000000_broken'`);
      expect(recorded).toEqual([]);
    } finally {
      await t.drop();
    }
  });
});

describe('hub migrate from several processes at once', () => {
  it('applies each migration exactly once while the others wait', async () => {
    const t = await createTestPostgres();
    try {
      // A fresh database: drop what createTestPostgres applied, then race four migrators.
      await t.db.execScript('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      const migrators = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ url: t.url, poolSize: 2 })));
      const results = await Promise.all(migrators.map((db) => migrate(db)));
      await Promise.all(migrators.map((db) => db.close()));
      const all = (await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
      expect(results.flatMap((r) => r.applied).sort()).toEqual(all);
      expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
      const rows = await t.db.query(`SELECT migration_name FROM "_prisma_migrations"`);
      expect(rows).toHaveLength(all.length);
    } finally {
      await t.drop();
    }
  });
});
