import type { Database } from '../core/db/database.ts';
import type { AuthPolicy, Authenticator } from '../core/identity/authenticator.ts';
import type { OnecExchange } from '../core/onec/onec-exchange.ts';
import type { OnecExchangePorts } from '../core/onec/ports.ts';
import type { ConnectorCatalog, HubActions } from '../core/ports.ts';

/** What the composition root hands the API. */
export interface AppDeps {
  db: Database;
  catalog: ConnectorCatalog;
  actions: HubActions;
  /** fastify's logger option: false (default) for none, true or pino options to log. */
  logger?: boolean | object;
  /** Largest webhook body accepted, in bytes (default 10 MB); larger ones get 413. */
  webhookBodyLimit?: number;
  /** Sign-in, sessions, cookies and cross-origin settings; defaults suit a hub on one host. */
  security?: SecuritySettings;
  /** The 1C exchange's reader, catalogue and writer (core/onec/ports.ts; the CLI wires jobs/onec-exchange.ts's). An app built without them (tests) answers /1c/exchange with a failure naming what is missing. */
  onec?: OnecExchangeSetup | undefined;
  /** The built web app served at / (default web/dist). */
  webDist?: string | undefined;
}

export interface OnecExchangeSetup {
  ports: OnecExchangePorts;
  /** Records per chunk handed to the catalogue (500). */
  batchSize?: number | undefined;
  /** At most this many records per import call (tests). */
  recordBudget?: number | undefined;
}

export interface SecuritySettings {
  /** Session lifetimes and sign-in throttling. */
  policy?: AuthPolicy | undefined;
  /** The session cookie's Secure flag: 'auto' sets it on HTTPS requests (default). */
  cookieSecure?: boolean | 'auto' | undefined;
  /** Origins (https://shop.example) allowed to call the API from a browser; none by default. */
  corsOrigins?: readonly string[] | undefined;
  /** fastify's trustProxy: the client address (throttling, audit) from X-Forwarded-For behind these proxies. */
  trustProxy?: boolean | string | string[] | undefined;
  /** The time, for tests of expiry; the real clock otherwise. */
  clock?: (() => Date) | undefined;
}

/** What every route plugin receives: the deps and the one authenticator of the app. */
export interface RouteDeps extends AppDeps {
  authenticator: Authenticator;
  /** The 1C exchange, when `onec` was given. */
  onecExchange?: OnecExchange | undefined;
}
