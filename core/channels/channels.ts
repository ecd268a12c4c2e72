import type { Database } from '../db/database.ts';
import type { Channel } from '../db/generated/client.ts';
import { HubError } from '../errors.ts';
import type { ConnectorCatalog } from '../ports.ts';
import { assertValid } from '../model/validate.ts';
import { Value } from '@sinclair/typebox/value';
import { CHANNEL_KIND_PATTERN } from './channel-kinds.ts';
import { validateCron } from './cron.ts';
import { validateReconcileSchedule } from './reconciliation.ts';
import { installedSecretKeyring, openConfigSecrets, sealConfigSecrets, type SecretKeyring } from '../secrets/secret-box.ts';
import { writeBackSwitchedOn } from '../outbound/status-writeback.ts';

export const REDACTED = '********';

export interface NewChannel {
  name: string;
  connectorType: string;
  kind?: string | undefined;
  config: Record<string, unknown>;
  mapping?: Record<string, unknown> | undefined;
  /** Ops' own labels to segment sales further. */
  labels?: string[] | undefined;
  enabled?: boolean | undefined;
  syncSchedule?: string | undefined;
  /** Cron of the channel's reconciliation, or "off"; null: the hub's default (daily, DEFAULT_RECONCILE_SCHEDULE). */
  reconcileSchedule?: string | null | undefined;
  /** How many days back a reconciliation compares (1–365). */
  reconcileWindowDays?: number | undefined;
}

export type ChannelChanges = Partial<Omit<NewChannel, 'connectorType'>>;

/** A channel as shown outside the hub: secrets replaced by a marker. */
export interface PublicChannel {
  id: string;
  name: string;
  kind: string;
  connectorType: string;
  config: Record<string, unknown>;
  mapping: Record<string, unknown>;
  labels: string[];
  enabled: boolean;
  syncSchedule: string;
  /** Null: the hub's default (daily at 03:17 UTC); "off": none. */
  reconcileSchedule: string | null;
  reconcileWindowDays: number;
  syncState: unknown;
  createdAt: string;
  updatedAt: string;
}

export class ChannelService {
  constructor(
    private readonly db: Database,
    private readonly catalog: ConnectorCatalog,
    /** Encrypts the secret fields on every write; the process's installed keyring by default (core/secrets/secret-box.ts). */
    private readonly keyring?: SecretKeyring | undefined,
  ) {}

  async create(input: NewChannel): Promise<Channel> {
    const connector = this.connector(input.connectorType);
    const config = this.sealed(input.connectorType, this.validConfig(input.connectorType, input.config));
    const kind = input.kind ?? connector.channelKind;
    this.assertKind(kind);
    if (input.syncSchedule) validateCron(input.syncSchedule);
    validateReconcileSettings(input);
    return this.db.prisma.channel.create({
      data: {
        name: input.name,
        connectorType: input.connectorType,
        kind,
        config: config as object,
        mapping: this.validMapping(input.connectorType, input.mapping ?? {}) as object,
        labels: input.labels ?? [],
        enabled: input.enabled ?? true,
        ...(input.syncSchedule && { syncSchedule: input.syncSchedule }),
        ...(input.reconcileSchedule !== undefined && { reconcileSchedule: input.reconcileSchedule }),
        ...(input.reconcileWindowDays !== undefined && { reconcileWindowDays: input.reconcileWindowDays }),
      },
    }).catch(nameClash(input.name));
  }

  async update(id: string, changes: ChannelChanges): Promise<Channel> {
    const channel = await this.get(id);
    let config: Record<string, unknown> | undefined;
    if (changes.config) {
      // Secrets left out or sent back redacted keep their stored value (decrypted to be checked, encrypted again);
      // only those kept are decrypted, so credentials entered anew replace ones no configured key can read.
      const stored = channel.config as Record<string, unknown>;
      const merged: Record<string, unknown> = { ...changes.config };
      const secretFields = this.connector(channel.connectorType).secretFields;
      const kept: string[] = [];
      for (const field of secretFields) {
        if (merged[field] !== undefined && merged[field] !== REDACTED) continue;
        if (stored[field] === undefined) {
          merged[field] = undefined;
          continue;
        }
        const opened = openConfigSecrets({ [field]: stored[field] }, this.keyring ?? installedSecretKeyring(), `Channel "${channel.name}" config`) as Record<string, unknown>;
        merged[field] = opened[field];
        kept.push(field);
      }
      config = this.sealed(channel.connectorType, this.validConfig(channel.connectorType, merged));
      const movedTo = ENDPOINT_FIELDS.find((f) => merged[f] !== undefined && merged[f] !== stored[f]);
      if (movedTo && kept.length > 0) {
        // Kept secrets would be sent to a host they were never meant for.
        throw new HubError('invalid_data', `Changing config.${movedTo} needs the secrets again: send config.${kept[0]} too.`, { field: `config.${kept[0]}` });
      }
    }
    if (changes.kind) this.assertKind(changes.kind);
    if (changes.syncSchedule) validateCron(changes.syncSchedule);
    validateReconcileSettings(changes);
    return this.db.prisma.channel.update({
      where: { id },
      data: {
        ...(changes.name !== undefined && { name: changes.name }),
        ...(changes.kind !== undefined && { kind: changes.kind }),
        ...(config && { config: config as object }),
        ...(changes.mapping !== undefined && { mapping: this.validMapping(channel.connectorType, changes.mapping) as object }),
        ...(changes.labels !== undefined && { labels: changes.labels }),
        ...(changes.enabled !== undefined && { enabled: changes.enabled }),
        ...(changes.syncSchedule !== undefined && { syncSchedule: changes.syncSchedule }),
        ...(changes.reconcileSchedule !== undefined && { reconcileSchedule: changes.reconcileSchedule }),
        ...(changes.reconcileWindowDays !== undefined && { reconcileWindowDays: changes.reconcileWindowDays }),
      },
    }).catch(nameClash(changes.name ?? channel.name));
  }

  async get(id: string): Promise<Channel> {
    const channel = await this.db.prisma.channel.findUnique({ where: { id } });
    if (!channel) throw new HubError('not_found', `Channel ${id} does not exist.`);
    return channel;
  }

  /** By id or by name, for the CLI. */
  async find(idOrName: string): Promise<Channel> {
    const channel = await this.db.prisma.channel.findFirst({ where: { OR: [{ name: idOrName }, ...(isUuid(idOrName) ? [{ id: idOrName }] : [])] } });
    if (!channel) throw new HubError('not_found', `Channel "${idOrName}" does not exist.`);
    return channel;
  }

  list(filter: { enabled?: boolean } = {}): Promise<Channel[]> {
    return this.db.prisma.channel.findMany({ where: filter, orderBy: { name: 'asc' } });
  }

  toPublic(channel: Channel): PublicChannel {
    const secrets = this.catalog.get(channel.connectorType)?.secretFields ?? [];
    const config = { ...(channel.config as Record<string, unknown>) };
    for (const field of secrets) if (config[field] !== undefined) config[field] = REDACTED;
    return {
      id: channel.id,
      name: channel.name,
      kind: channel.kind,
      connectorType: channel.connectorType,
      config,
      mapping: channel.mapping as Record<string, unknown>,
      labels: channel.labels,
      enabled: channel.enabled,
      syncSchedule: channel.syncSchedule,
      reconcileSchedule: channel.reconcileSchedule,
      reconcileWindowDays: channel.reconcileWindowDays,
      syncState: channel.syncState,
      createdAt: channel.createdAt.toISOString(),
      updatedAt: channel.updatedAt.toISOString(),
    };
  }

  private connector(type: string) {
    const connector = this.catalog.get(type);
    if (!connector) {
      const known = this.catalog.list().map((c) => c.type).join(', ');
      throw new HubError('invalid_data', `Unknown connector type "${type}" (known: ${known}).`, { field: 'connectorType' });
    }
    return connector;
  }

  /** The config as stored: its secret fields encrypted (plain text only when no keyring is installed). */
  private sealed(type: string, config: Record<string, unknown>): Record<string, unknown> {
    return sealConfigSecrets(config, this.connector(type).secretFields, this.keyring ?? installedSecretKeyring());
  }

  private validConfig(type: string, config: Record<string, unknown>): Record<string, unknown> {
    const spec = this.connector(type).spec;
    // Defaults from the spec are written out, so the stored config says what is in force.
    const withDefaults = Value.Default(spec, structuredClone(config)) as Record<string, unknown>;
    try {
      return assertValid(spec, withDefaults, `${type} config`) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof HubError && error.field) {
        throw new HubError('invalid_data', error.message, { field: `config.${error.field}` });
      }
      throw error;
    }
  }

  /** Mapping overrides (e.g. a status map) must fit the mapping's own schema, or they would be ignored silently. */
  private validMapping(type: string, mapping: Record<string, unknown>): Record<string, unknown> {
    if (writeBackSwitchedOn(mapping) && !this.connector(type).canWriteStatus) {
      throw new HubError('invalid_data', `The ${type} connector cannot write order statuses back to its channel; status write-back cannot be switched on.`, { field: 'mapping.statusWriteBack' });
    }
    const schema = this.connector(type).mappingOptions;
    if (!schema) return mapping;
    try {
      return assertValid(schema, mapping, `${type} mapping options`) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof HubError && error.field) {
        throw new HubError('invalid_data', error.message, { field: error.field === '(root)' ? 'mapping' : `mapping.${error.field}` });
      }
      throw error;
    }
  }

  private assertKind(kind: string): void {
    if (!new RegExp(CHANNEL_KIND_PATTERN).test(kind)) {
      throw new HubError('invalid_data', `Channel kind "${kind}" must be a lower-case word (webshop, edi, pos, manual, erp or your own).`, { field: 'kind' });
    }
  }
}

/** Config fields that say where a channel's requests go. */
const ENDPOINT_FIELDS = ['url', 'baseUrl', 'host', 'shopName', 'endpoint'];

/** The unique index on name is the guard (two creates can race past any check made first). */
function nameClash(name: string) {
  return (error: unknown): never => {
    if ((error as { code?: string })?.code === 'P2002') {
      throw new HubError('conflict', `A channel named "${name}" already exists.`, { field: 'name' });
    }
    throw error;
  };
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

function validateReconcileSettings(input: { reconcileSchedule?: string | null | undefined; reconcileWindowDays?: number | undefined }): void {
  if (input.reconcileSchedule) validateReconcileSchedule(input.reconcileSchedule);
  const days = input.reconcileWindowDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 365)) {
    throw new HubError('invalid_data', `reconcileWindowDays must be a whole number of days from 1 to 365, got ${days}.`, { field: 'reconcileWindowDays' });
  }
}
