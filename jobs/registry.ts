import { Value } from '@sinclair/typebox/value';
import type { ConnectorDefinition } from '../connectors/_kit/definition.ts';
import { ediConnector } from '../connectors/edi/index.ts';
import { manualConnector } from '../connectors/manual/index.ts';
import { posConnector } from '../connectors/pos/index.ts';
import { shoprenterConnector } from '../connectors/shoprenter/index.ts';
import { unasConnector, unasCustomConnector } from '../connectors/unas/index.ts';
import { woocommerceConnector } from '../connectors/woocommerce/index.ts';
import { ediMapping } from '../mappings/edi/index.ts';
import { onecExchangeConnector, onecExchangeMapping } from './onec-exchange.ts';
import { manualMapping } from '../mappings/manual/index.ts';
import { posMapping } from '../mappings/pos/index.ts';
import { shoprenterMapping } from '../mappings/shoprenter/index.ts';
import { unasMapping } from '../mappings/unas/index.ts';
import { woocommerceMapping } from '../mappings/woocommerce/index.ts';
import { HubError } from '../core/errors.ts';
import { installedSecretKeyring, openConfigSecrets, type SecretKeyring } from '../core/secrets/secret-box.ts';
import type { ChannelMapping } from '../core/model/mapping.ts';
import { assertValid } from '../core/model/validate.ts';
import type { MappingLookup } from '../core/orders/payload-processing.ts';
import type { CatalogEntry, ConnectorCatalog } from '../core/ports.ts';

/** A connector with the mapping that reads its payloads. */
export interface ConnectorRegistration {
  connector: ConnectorDefinition;
  mapping: ChannelMapping;
}

export type { CatalogEntry } from '../core/ports.ts';

/** The connectors this hub knows. Add a source here: its connector plus its mapping. */
export function builtInRegistrations(): ConnectorRegistration[] {
  return [
    { connector: woocommerceConnector, mapping: woocommerceMapping },
    { connector: shoprenterConnector, mapping: shoprenterMapping },
    { connector: unasConnector, mapping: unasMapping },
    // Shops implementing the Unas XML contract themselves speak the same payloads.
    { connector: unasCustomConnector, mapping: unasMapping },
    { connector: ediConnector, mapping: ediMapping },
    { connector: posConnector, mapping: posMapping },
    { connector: manualConnector, mapping: manualMapping },
    { connector: onecExchangeConnector, mapping: onecExchangeMapping },
  ];
}

/**
 * A channel's stored config as its connector takes it: its encrypted secrets decrypted (the
 * installed keyring unless given one; core/secrets/secret-box.ts), the spec's defaults filled in (on
 * a copy), then checked once here, at the boundary; throws invalid_data naming `label` when it does
 * not fit or a secret cannot be decrypted. The only place a connector's config is made from the row.
 */
export function connectorConfig(connector: Pick<ConnectorDefinition, 'spec'>, stored: unknown, label = 'config', keyring: SecretKeyring | undefined = installedSecretKeyring()): unknown {
  const opened = openConfigSecrets(stored ?? {}, keyring, label);
  return assertValid(connector.spec, Value.Default(connector.spec, structuredClone(opened)), label);
}

/** Connector catalog (for core and the API) and mapping lookup (for payload processing). */
export class ConnectorRegistry implements ConnectorCatalog {
  readonly #entries = new Map<string, ConnectorRegistration>();

  constructor(registrations: readonly ConnectorRegistration[]) {
    for (const registration of registrations) {
      const type = registration.connector.type;
      if (this.#entries.has(type)) throw new HubError('conflict', `Connector type "${type}" is registered twice.`);
      this.#entries.set(type, registration);
    }
  }

  get(type: string): CatalogEntry | undefined {
    const registration = this.#entries.get(type);
    return registration ? describe(registration) : undefined;
  }

  list(): CatalogEntry[] {
    return [...this.#entries.values()].map(describe);
  }

  connector(type: string): ConnectorDefinition | undefined {
    return this.#entries.get(type)?.connector;
  }

  /** The connector of a channel, or not_found naming the known ones. */
  requireConnector(type: string): ConnectorDefinition {
    const connector = this.connector(type);
    if (!connector) {
      throw new HubError('not_found', `No connector of type "${type}" is installed (known: ${[...this.#entries.keys()].join(', ') || 'none'}).`);
    }
    return connector;
  }

  readonly mappingFor: MappingLookup = (connectorType) => this.#entries.get(connectorType)?.mapping;
}

export function createRegistry(extra: readonly ConnectorRegistration[] = []): ConnectorRegistry {
  return new ConnectorRegistry([...builtInRegistrations(), ...extra]);
}

function describe({ connector, mapping }: ConnectorRegistration): CatalogEntry {
  return {
    mappingOptions: mapping.optionsSchema,
    type: connector.type,
    title: connector.title,
    channelKind: connector.channelKind,
    spec: connector.spec,
    secretFields: connector.secretFields,
    canPull: !!connector.pull,
    canReceiveWebhooks: !!connector.webhook,
    canWriteStatus: !!connector.writeStatus && !!mapping.statusWriteBack,
  };
}
