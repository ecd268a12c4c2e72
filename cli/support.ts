import { readFile } from 'node:fs/promises';
import { isDatabaseOutage } from '../core/db/sql-errors.ts';
import { isHubError } from '../core/errors.ts';
import type { SecuritySettings } from '../api/deps.ts';
import { DEFAULT_THROTTLE_POLICY } from '../core/identity/login-throttle.ts';
import { loadConfig, type HubConfig } from '../jobs/config.ts';
import { createHub, type Hub, type HubOptions } from '../jobs/hub.ts';
import { cliActor } from '../core/audit/actor.ts';
import { recordAudit } from '../core/audit/audit-log.ts';
import type { Database } from '../core/db/database.ts';

/** What every `hub` command shares: a hub for the length of the command, tables, failures. */

export async function withHub(fn: (hub: Hub) => Promise<void>, options: HubOptions = {}): Promise<void> {
  const config = loadConfig();
  const hub = await createHub(config, { workers: false, schedules: false, ...options });
  try {
    await fn(hub);
  } finally {
    await hub.close();
  }
}

export function printTable(headers: string[], rows: string[][], alignRight: boolean[] = []): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (alignRight[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  for (const row of rows) console.log(line(row));
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  return fail(`${what} must be a JSON object, e.g. '{"url":"https://shop.example.hu"}'.`);
}

export class CliFailure extends Error {}

export function fail(message: string): never {
  throw new CliFailure(message);
}

export function errorMessage(error: unknown): string {
  if (error instanceof CliFailure || isHubError(error)) return error.message;
  if (isDatabaseOutage(error)) {
    return `Cannot reach the database (${outageReason(error)}): is PostgreSQL running and DATABASE_URL right? Nothing was changed; try again once it answers.`;
  }
  const code = (error as { code?: string })?.code;
  if (code === 'P2021' || /relation "?\w+"? does not exist/.test(String((error as Error)?.message))) {
    return 'The database has no hub tables yet: run `hub migrate` first.';
  }
  return (error as Error)?.message ?? String(error);
}

/** Prisma driver adapters' outage kinds, in words. */
const ADAPTER_OUTAGES: Record<string, string> = {
  DatabaseNotReachable: 'nothing answers at its address',
  ConnectionClosed: 'the connection was closed',
  SocketTimeout: 'it did not answer in time',
  TooManyConnections: 'it has too many connections',
  TlsConnectionError: 'the TLS connection failed',
};

/** What went wrong with the connection, in a few words (the driver's code or its first line). */
function outageReason(error: unknown): string {
  for (let e = error as { code?: unknown; cause?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } } | undefined, depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code === 'ECONNREFUSED' ? 'connection refused' : e.code;
    if (e.code === '57P01') return 'the server was shut down';
    const kind = e.meta?.driverAdapterError?.cause?.kind;
    if (typeof kind === 'string') return ADAPTER_OUTAGES[kind] ?? kind;
  }
  const line = String((error as Error)?.message ?? error).split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('Invalid `') && !l.startsWith('→'));
  return /Connection terminated/i.test(line ?? '') ? 'the connection was closed' : (line?.slice(0, 120) ?? 'no answer');
}

/** Reads a JSON file, failing with the file's name and the reason. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return fail(`Cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return fail(`${file} is not JSON: ${(error as Error).message}`);
  }
}

/** The array itself, or the array under `key` of an object. */
export function listIn(value: unknown, key: string, file: string): unknown[] {
  if (Array.isArray(value)) return value;
  const inner = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  if (Array.isArray(inner)) return inner;
  return fail(`${file} must hold a JSON array, or an object with a "${key}" array.`);
}

/** A commander parser for a whole number. */
export function integer(option: string): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) fail(`${option} must be a whole number, got "${value}".`);
    return Number.parseInt(value, 10);
  };
}

export function positiveInteger(option: string): (value: string) => number {
  return (value) => {
    const n = integer(option)(value);
    if (n < 1) fail(`${option} must be at least 1, got ${n}.`);
    return n;
  };
}

/** Who a CLI change is recorded as when --by is not given. */
/** Who the CLI records as having acted: the OS user (cli:<user>), unless a command is told on whose behalf. */
export function defaultUser(): string {
  return cliActor().login;
}

/**
 * Records a configuration change made from the CLI in the audit log, as the OS user, beside the
 * same entries the API writes (users and tokens are audited by core itself).
 */
export async function auditCli(db: Database, change: { action: string; target: { type: string; id: string }; before?: unknown; after?: unknown; details?: unknown }): Promise<void> {
  await recordAudit(db.prisma, cliActor(), { kind: 'change', ...change });
}

export function when(iso: string | null): string {
  return iso ? iso.slice(0, 19).replace('T', ' ') : '';
}

/** The API's sign-in and browser settings from the environment (HUB_SESSION_*, HUB_LOGIN_*, HUB_COOKIE_SECURE, HUB_CORS_ORIGINS, HUB_TRUST_PROXY). */
export function securityOf(config: HubConfig): SecuritySettings {
  const s = config.security;
  return {
    policy: {
      session: { idleMinutes: s.sessionIdleMinutes, maxHours: s.sessionMaxHours },
      throttle: { ...DEFAULT_THROTTLE_POLICY, loginFailures: s.loginMaxFailures, lockMinutes: s.loginLockMinutes },
    },
    cookieSecure: s.cookieSecure,
    corsOrigins: s.corsOrigins,
    trustProxy: s.trustProxy,
  };
}

/** Said at start while nobody can sign in: how to make the first admin. */
export const FIRST_ADMIN_HINT = [
  'No admin yet: nobody can sign in, and every /v1 route answers 401. Create the first admin:',
  '  printf %s "a long password" | npx hub users add admin --role admin --password-stdin',
  'then sign in with POST /v1/auth/login, or make a token: npx hub tokens create admin --name my-script',
].join('\n');
