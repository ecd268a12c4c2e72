import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import { assertValid } from '../model/validate.ts';

/**
 * The region hierarchy (country → region → city, or finer), kept as a materialised path of codes:
 * "/RU/RU-MOW/RU-MOW-ZEL/". "Is X inside Y" is then one prefix test, and "everything under Y" one
 * indexed range, which exclusivity and (later) dealer region matching rely on.
 *
 * Invariant: every region's path is its parent's path + its own code + "/" (a root's is "/CODE/").
 * Loads keep it: moving a region moves its whole subtree.
 */

export const RegionInputSchema = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^/\\s]+$', description: 'stable code, e.g. RU-MOW' }),
    name: Type.String({ minLength: 1, maxLength: 300 }),
    level: Type.String({ minLength: 1, maxLength: 50, description: 'country | region | city (or finer)' }),
    parentCode: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], { description: 'absent or null: a root (a country)' })),
  },
  { additionalProperties: false },
);
export type RegionInput = Static<typeof RegionInputSchema>;

export const RegionTreeInputSchema = Type.Array(RegionInputSchema, { maxItems: 100_000 });

export interface RegionView {
  id: string;
  code: string;
  name: string;
  level: string;
  parentCode: string | null;
  path: string;
  createdAt: string;
}

export interface RegionLoadSummary {
  /** Regions in the load. */
  received: number;
  created: number;
  /** Regions of the load whose name, level or parent changed. */
  updated: number;
  /** Regions of the load left exactly as they were. */
  unchanged: number;
  /** Regions (in the load or not) whose path changed only because an ancestor moved. */
  descendantsMoved: number;
}

interface RegionRow {
  id: string;
  code: string;
  name: string;
  level: string;
  parent_id: string | null;
  path: string;
  created_at: Date;
}

/** Serialises tree loads: paths of a subtree are computed from a snapshot of the whole tree. */
const TREE_LOCK = 7_100_401;

export class RegionService {
  constructor(private readonly db: Database) {}

  /**
   * Loads regions (a whole tree or part of one), idempotently: upsert by code, the parent by code
   * (in the load or already stored; absent = a root). Every region of the load gets the parent the
   * load gives it, so a region whose parent changed moves with its whole subtree. Loading the same
   * regions again changes nothing.
   */
  async load(input: unknown): Promise<RegionLoadSummary> {
    const regions = assertValid(RegionTreeInputSchema, input, 'regions');
    const seen = new Set<string>();
    regions.forEach((region, index) => {
      if (seen.has(region.code)) throw new HubError('invalid_data', `regions: ${index}.code: ${region.code} appears twice in the load.`, { field: `${index}.code` });
      seen.add(region.code);
      if (region.parentCode === region.code) throw new HubError('invalid_data', `regions: ${index}.parentCode: ${region.code} cannot be its own parent.`, { field: `${index}.parentCode` });
    });

    return this.db.prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${TREE_LOCK})`);
        // The whole tree: a move needs every descendant, and the table holds places, not facts (thousands of rows).
        const rows = await tx.$queryRawUnsafe<RegionRow[]>(`SELECT id, code, name, level, parent_id, path, created_at FROM region`);
        const byId = new Map(rows.map((r) => [r.id, r]));
        const stored = new Map(rows.map((r) => [r.code, r]));

        // The tree after the load, by code.
        const next = new Map<string, { id: string; name: string; level: string; parentCode: string | null }>();
        for (const row of rows) next.set(row.code, { id: row.id, name: row.name, level: row.level, parentCode: row.parent_id ? byId.get(row.parent_id)!.code : null });
        const loaded = new Set<string>();
        regions.forEach((region, index) => {
          const parentCode = region.parentCode ?? null;
          if (parentCode !== null && !seen.has(parentCode) && !stored.has(parentCode)) {
            throw new HubError('invalid_data', `regions: ${index}.parentCode: region ${parentCode} (parent of ${region.code}) is neither in the load nor stored.`, { field: `${index}.parentCode` });
          }
          next.set(region.code, { id: stored.get(region.code)?.id ?? randomUUID(), name: region.name, level: region.level, parentCode });
          loaded.add(region.code);
        });

        const paths = new Map<string, string>();
        const pathOf = (code: string, trail: string[] = []): string => {
          const known = paths.get(code);
          if (known) return known;
          if (trail.includes(code)) throw new HubError('invalid_data', `regions: the load makes a cycle: ${[...trail.slice(trail.indexOf(code)), code].join(' → ')}.`);
          const node = next.get(code)!;
          const path = `${node.parentCode === null ? '/' : pathOf(node.parentCode, [...trail, code])}${code}/`;
          paths.set(code, path);
          return path;
        };

        const inserts: { id: string; code: string; name: string; level: string; parentId: string | null; path: string }[] = [];
        const updates: { id: string; name: string; level: string; parentId: string | null; path: string }[] = [];
        let updated = 0;
        let descendantsMoved = 0;
        let loadedMovedOnly = 0;
        for (const [code, node] of next) {
          const path = pathOf(code);
          const parentId = node.parentCode === null ? null : next.get(node.parentCode)!.id;
          const before = stored.get(code);
          if (!before) {
            inserts.push({ id: node.id, code, name: node.name, level: node.level, parentId, path });
            continue;
          }
          const ownChange = before.name !== node.name || before.level !== node.level || before.parent_id !== parentId;
          if (!ownChange && before.path === path) continue;
          updates.push({ id: node.id, name: node.name, level: node.level, parentId, path });
          if (ownChange) updated += 1;
          else {
            descendantsMoved += 1;
            if (loaded.has(code)) loadedMovedOnly += 1;
          }
        }

        if (inserts.length > 0) {
          // Parents first (shorter paths), though one statement checks its foreign keys at its end anyway.
          inserts.sort((a, b) => a.path.length - b.path.length);
          await tx.$executeRawUnsafe(
            `INSERT INTO region (id, code, name, level, parent_id, path)
             SELECT x.id, x.code, x.name, x.level, x.parent_id, x.path
               FROM jsonb_to_recordset($1::jsonb) AS x(id text, code text, name text, level text, parent_id text, path text)`,
            JSON.stringify(inserts.map((r) => ({ id: r.id, code: r.code, name: r.name, level: r.level, parent_id: r.parentId, path: r.path }))),
          );
        }
        if (updates.length > 0) {
          await tx.$executeRawUnsafe(
            `UPDATE region AS r SET name = x.name, level = x.level, parent_id = x.parent_id, path = x.path
               FROM jsonb_to_recordset($1::jsonb) AS x(id text, name text, level text, parent_id text, path text)
              WHERE r.id = x.id`,
            JSON.stringify(updates.map((r) => ({ id: r.id, name: r.name, level: r.level, parent_id: r.parentId, path: r.path }))),
          );
        }
        const created = inserts.length;
        return { received: regions.length, created, updated, unchanged: loaded.size - created - updated - loadedMovedOnly, descendantsMoved };
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
  }

  async get(code: string): Promise<RegionView> {
    const [region] = await this.select(`WHERE r.code = $1`, [code]);
    if (!region) throw new HubError('not_found', `Region ${code} does not exist.`);
    return region;
  }

  /** Every region in tree order (depth first, by code), or only a region and what lies under it. */
  async list(filter: { under?: string | undefined } = {}): Promise<RegionView[]> {
    if (!filter.under) return this.select('', []);
    const root = await this.get(filter.under);
    return this.select(`WHERE starts_with(r.path, $1)`, [root.path]);
  }

  /** The region and its ancestors, root first ("RU-MOW-ZEL" → RU, RU-MOW, RU-MOW-ZEL). */
  async regionChain(code: string): Promise<RegionView[]> {
    const region = await this.get(code);
    const codes = codesOfPath(region.path);
    const chain = await this.select(`WHERE r.code = ANY($1::text[])`, [codes]);
    return chain.sort((a, b) => a.path.length - b.path.length);
  }

  /** True when `childCode` is `ancestorCode` or lies anywhere below it. */
  async isWithin(childCode: string, ancestorCode: string): Promise<boolean> {
    const rows = await this.db.query<{ code: string; path: string }>(`SELECT code, path FROM region WHERE code = ANY($1::text[])`, [[childCode, ancestorCode]]);
    const child = rows.find((r) => r.code === childCode);
    const ancestor = rows.find((r) => r.code === ancestorCode);
    if (!child) throw new HubError('not_found', `Region ${childCode} does not exist.`);
    if (!ancestor) throw new HubError('not_found', `Region ${ancestorCode} does not exist.`);
    return child.path.startsWith(ancestor.path);
  }

  private async select(where: string, params: unknown[]): Promise<RegionView[]> {
    const rows = await this.db.query<RegionRow & { parent_code: string | null }>(
      `SELECT r.id, r.code, r.name, r.level, r.path, r.created_at, p.code AS parent_code
         FROM region r LEFT JOIN region p ON p.id = r.parent_id ${where}
        ORDER BY r.path COLLATE "C"`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      code: r.code,
      name: r.name,
      level: r.level,
      parentCode: r.parent_code,
      path: r.path,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }
}

/** The codes of a materialised path, root first: "/RU/RU-MOW/" → ["RU", "RU-MOW"]. */
export function codesOfPath(path: string): string[] {
  return path.split('/').filter(Boolean);
}

/** The paths of every ancestor of a path and of the path itself, root first. */
export function ancestorPaths(path: string): string[] {
  const codes = codesOfPath(path);
  return codes.map((_, i) => `/${codes.slice(0, i + 1).join('/')}/`);
}
