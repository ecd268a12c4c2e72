import { randomUUID } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import type { Database } from '../db/database.ts';
import { sqlStateOf } from '../db/sql-errors.ts';
import { HubError } from '../errors.ts';
import { assertValid } from '../model/validate.ts';
import { dealersNamedIn, DistributionConfigSchema, regionsNamedIn, type DistributionConfig } from './distribution-config.ts';

/**
 * The manufacturer's strategy configurations, versioned: saving makes a new version (the highest is
 * in force), so every distribution records the version that decided it and the what-if replay can
 * run any of them. Until a first version is saved, distribution is off: orders are not offered to
 * anyone (turning it on is the manufacturer's decision, not a side effect of an upgrade).
 */

export interface ConfigVersionView {
  version: number;
  config: DistributionConfig;
  note: string | null;
  createdBy: string;
  createdAt: string;
}

export class DistributionConfigs {
  constructor(private readonly db: Database) {}

  /** The configuration in force, or undefined while distribution is off. */
  async active(): Promise<ConfigVersionView | undefined> {
    const [row] = await this.db.query<ConfigRow>(`SELECT version, config, note, created_by, created_at FROM distribution_config ORDER BY version DESC LIMIT 1`);
    return row ? toView(row) : undefined;
  }

  async get(version: number): Promise<ConfigVersionView> {
    const [row] = await this.db.query<ConfigRow>(`SELECT version, config, note, created_by, created_at FROM distribution_config WHERE version = $1`, [version]);
    if (!row) throw new HubError('not_found', `Distribution configuration version ${version} does not exist.`);
    return toView(row);
  }

  async list(): Promise<ConfigVersionView[]> {
    const rows = await this.db.query<ConfigRow>(`SELECT version, config, note, created_by, created_at FROM distribution_config ORDER BY version DESC`);
    return rows.map(toView);
  }

  /** Validates (schema, named dealers and regions exist, windows make sense) without saving. */
  async validate(input: unknown): Promise<DistributionConfig> {
    const config = assertValid(DistributionConfigSchema, Value.Default(DistributionConfigSchema, structuredClone(input)), 'config') as DistributionConfig;
    for (const [index, tier] of config.tiers.entries()) {
      if (tier.kind === 'base' && tier.delayMinutes >= tier.windowMinutes) {
        throw new HubError('invalid_data', `config: tiers.${index}: the delay (${tier.delayMinutes} min) must be shorter than the window (${tier.windowMinutes} min), or nobody but the priority dealers would ever see the order.`, { field: `tiers.${index}.delayMinutes` });
      }
      if (tier.kind === 'base_plus') {
        const percent = tier.quotas.filter((q) => q.unit === 'percent').reduce((sum, q) => sum + q.limit, 0);
        if (percent > 100) throw new HubError('invalid_data', `config: tiers.${index}: percentage quotas add up to ${percent}%, more than 100%.`, { field: `tiers.${index}.quotas` });
        const seen = new Set<string>();
        for (const q of tier.quotas) {
          if (seen.has(q.dealer)) throw new HubError('invalid_data', `config: tiers.${index}: dealer ${q.dealer} has two quotas.`, { field: `tiers.${index}.quotas` });
          seen.add(q.dealer);
        }
      }
    }
    if (config.settings.assortment.rule === 'share' && config.settings.assortment.minShare === undefined) {
      throw new HubError('invalid_data', 'config: settings.assortment: rule "share" needs minShare (0 < minShare <= 1).', { field: 'settings.assortment.minShare' });
    }
    try {
      new Intl.DateTimeFormat('en', { timeZone: config.settings.timeZone });
    } catch {
      throw new HubError('invalid_data', `config: settings.timeZone: ${config.settings.timeZone} is not an IANA time zone.`, { field: 'settings.timeZone' });
    }
    const named = dealersNamedIn(config);
    if (named.length > 0) {
      const found = new Set((await this.db.query<{ code: string }>(`SELECT code FROM dealer WHERE code = ANY($1::text[])`, [named])).map((r) => r.code));
      const missing = named.filter((c) => !found.has(c));
      if (missing.length > 0) throw new HubError('invalid_data', `config: unknown dealer${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`, { field: 'dealers', details: { missing } });
    }
    const regions = regionsNamedIn(config);
    if (regions.length > 0) {
      const found = new Set((await this.db.query<{ code: string }>(`SELECT code FROM region WHERE code = ANY($1::text[])`, [regions])).map((r) => r.code));
      const missing = regions.filter((c) => !found.has(c));
      if (missing.length > 0) throw new HubError('invalid_data', `config: unknown region${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`, { field: 'regions', details: { missing } });
    }
    return config;
  }

  /** Saves a new version; two saves at once get consecutive versions (the loser retries on the unique version). */
  async save(input: unknown, createdBy: string, note?: string | null): Promise<ConfigVersionView> {
    const config = await this.validate(input);
    for (let attempt = 0; ; attempt++) {
      try {
        const [row] = await this.db.query<ConfigRow>(
          `INSERT INTO distribution_config (id, version, config, note, created_by)
           SELECT $1, coalesce(max(version), 0) + 1, $2::jsonb, $3, $4 FROM distribution_config
           RETURNING version, config, note, created_by, created_at`,
          [randomUUID(), JSON.stringify(config), note ?? null, createdBy],
        );
        return toView(row!);
      } catch (error) {
        if (sqlStateOf(error) !== '23505' || attempt >= 5) throw error;
      }
    }
  }
}

interface ConfigRow {
  version: number;
  config: DistributionConfig;
  note: string | null;
  created_by: string;
  created_at: Date;
}

function toView(row: ConfigRow): ConfigVersionView {
  return { version: row.version, config: row.config, note: row.note, createdBy: row.created_by, createdAt: new Date(row.created_at).toISOString() };
}
