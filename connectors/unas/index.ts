import type { CheckReport, ConnectorDefinition } from '../_kit/definition.ts';
import { ConnectorError } from '../_kit/connector-error.ts';
import { parseXmlBytes, xmlChild, xmlList } from '../_kit/xml.ts';
import { UnasBannedError, UnasClient, type UnasHttpOptions } from './client.ts';
import {
  UNAS_SECRET_FIELDS,
  UnasConfigSchema,
  UnasCustomConfigSchema,
  resolveUnasConfig,
  type UnasConfig,
  type UnasCustomConfig,
  type UnasState,
} from './spec.ts';
import { listUnasOrders } from './streams/reconcile.ts';
import { pullOrders } from './streams/orders.ts';

export type { UnasConfig, UnasCustomConfig, UnasState } from './spec.ts';
export { UNAS_DEFAULT_BASE_URL, UnasConfigSchema, UnasCustomConfigSchema, UnasStateSchema } from './spec.ts';
export { UnasBannedError, resetUnasAuthCache } from './client.ts';

export interface UnasConnectorOptions {
  /** Test seams (sleep, random, clock) and backoff tuning for the HTTP client. */
  http?: UnasHttpOptions;
}

type Variant = 'unas' | 'custom';

function describe(variant: Variant, baseUrl: string): string {
  return variant === 'unas' ? `UNAS (${baseUrl})` : `the custom Unas-compatible API at ${baseUrl}`;
}

async function check(variant: Variant, config: UnasConfig | UnasCustomConfig, http: UnasHttpOptions, signal?: AbortSignal): Promise<CheckReport> {
  let where = variant === 'unas' ? 'UNAS' : 'the custom API';
  try {
    if (config?.baseUrl !== undefined || variant === 'custom') {
      const url = config?.baseUrl;
      if (typeof url !== 'string' || !URL.canParse(url) || !/^https?:\/\//i.test(url)) {
        return { ok: false, message: `The API base URL "${String(url)}" is not an http(s) URL.` };
      }
    }
    if (!config?.apiKey) return { ok: false, message: 'The API key is required (UNAS admin › Beállítások › Külső kapcsolatok › API kapcsolat).' };
    const resolved = resolveUnasConfig(config);
    where = describe(variant, resolved.baseUrl);
    const client = new UnasClient(resolved, http, variant === 'unas' ? 'UNAS' : 'Custom Unas API');
    // Log in first so a refused key is told apart from a missing getOrder permission.
    await client.authenticate(signal);
    const response = await client.getOrders({ limitNum: 1 }, { signal, maxAttempts: Math.min(2, resolved.maxAttempts) });
    const parsed = parseXmlBytes(response.bytes, { contentType: response.contentType });
    if (!parsed.ok) {
      return { ok: false, message: `${where} answered getOrder with something that is not usable XML: ${parsed.message}`, details: { status: response.status } };
    }
    if (parsed.root !== 'Orders') {
      return { ok: false, message: `${where} answered getOrder with <${parsed.root}> instead of <Orders>.`, details: { status: response.status } };
    }
    const seen = xmlList(xmlChild(parsed.value, 'Order')).length;
    return {
      ok: true,
      message: `Connected to ${where}: logged in and getOrder works (${seen === 0 ? 'no orders yet' : 'orders visible'}; charset ${parsed.decoded.encoding}).`,
      details: { encoding: parsed.decoded.encoding },
    };
  } catch (error) {
    if (error instanceof UnasBannedError) {
      return {
        ok: false,
        message: `${where} has banned this IP${error.bannedUntil ? ` until ${error.bannedUntil.toISOString()}` : ''}: ${error.message}`,
        details: { status: error.status, code: error.code, bannedUntil: error.bannedUntil?.toISOString() },
      };
    }
    if (error instanceof ConnectorError) {
      if (error.code === 'unauthorized') {
        return {
          ok: false,
          message: `${where} refused the API key: check the key and that it has the getOrder permission (and the hub's IP if the key is IP-restricted). ${error.message}`,
          details: { status: error.status, code: error.code },
        };
      }
      if (error.code === 'upstream_unavailable') {
        return { ok: false, message: `Could not reach ${where}: ${error.message}`, details: { status: error.status, code: error.code } };
      }
      return { ok: false, message: `${where} refused the request: ${error.message}`, details: { status: error.status, code: error.code } };
    }
    return { ok: false, message: `Checking ${where} failed: ${(error as Error)?.message ?? String(error)}` };
  }
}

function build(variant: Variant, options: UnasConnectorOptions): ConnectorDefinition<any, UnasState> {
  const http = options.http ?? {};
  const service = variant === 'unas' ? 'UNAS' : 'Custom Unas API';
  return {
    type: variant === 'unas' ? 'unas' : 'unas-custom',
    title: variant === 'unas' ? 'UNAS' : 'Custom API based on the Unas API',
    channelKind: 'webshop',
    spec: variant === 'unas' ? UnasConfigSchema : UnasCustomConfigSchema,
    secretFields: UNAS_SECRET_FIELDS,
    check: (config, callOptions) => check(variant, config, http, callOptions?.signal),
    // The call budget, a ban's hold and the status list stay: only the cursor moves.
    resetCursor(state, since) {
      const { modifiedAfter: _cursor, ...kept } = state ?? {};
      return since ? { ...kept, modifiedAfter: since.toISOString() } : kept;
    },
    listOrders(config, window, listOptions) {
      const resolved = resolveUnasConfig(config);
      return listUnasOrders(new UnasClient(resolved, http, service), resolved, window, listOptions?.state, listOptions?.signal);
    },
    pull(config, state, pullOptions) {
      const resolved = resolveUnasConfig(config);
      return pullOrders(new UnasClient(resolved, http, service), resolved, state, pullOptions);
    },
    // Needs the API key's setOrder permission (UNAS admin › API kapcsolat); without it UNAS answers 400.
    async writeStatus(config, update, callOptions) {
      const client = new UnasClient(resolveUnasConfig(config), http, service);
      const { response, status } = await client.setOrderStatus(update.externalId, update.status, callOptions?.signal);
      return { target: response.url, statusNow: status === 'ok' ? update.status : undefined };
    },
  };
}

/** Builds the UNAS definition; tests inject `http.sleep` etc., production uses `unasConnector`. */
export function createUnasConnector(options: UnasConnectorOptions = {}): ConnectorDefinition<UnasConfig, UnasState> {
  return build('unas', options);
}

/** The same XML contract against any `baseUrl` (shops that implement the Unas API themselves). */
export function createUnasCustomConnector(options: UnasConnectorOptions = {}): ConnectorDefinition<UnasCustomConfig, UnasState> {
  return build('custom', options);
}

export const unasConnector: ConnectorDefinition<UnasConfig, UnasState> = createUnasConnector();
export const unasCustomConnector: ConnectorDefinition<UnasCustomConfig, UnasState> = createUnasCustomConnector();
