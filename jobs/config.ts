import { join, resolve } from 'node:path';
import cron from 'node-cron';
import { HubError } from '../core/errors.ts';
import { SecretKeyring } from '../core/secrets/secret-box.ts';
import type { LogLevel } from './runtime/types.ts';
import { ONEC_PRESETS } from '../connectors/onec/presets.ts';

export type HubRole = 'all' | 'api' | 'worker';

/** The hub's settings, read from the environment once, at boot. */
export interface HubConfig {
  /** postgres:// URL; when absent the embedded PGlite database in `dataDir` is used. */
  databaseUrl: string | undefined;
  /** redis:// URL; when set, syncs run as BullMQ jobs, otherwise in-process. */
  redisUrl: string | undefined;
  /** Where the embedded database (and the demo) keep their files. */
  dataDir: string;
  port: number;
  host: string;
  /** `hub worker` serves /health/live, /health/ready and /metrics on this port (HOST) when set. */
  metricsPort: number | undefined;
  /** all: API + scheduler + workers; api: API + scheduler (needs REDIS_URL); worker: workers only. */
  role: HubRole;
  logLevel: LogLevel;
  /** Redis key prefix of the job queues. */
  queuePrefix: string;
  workerConcurrency: number;
  security: SecurityConfig;
  /** HUB_SECRET_KEYS (or HUB_SECRET_KEY): master keys of channel secrets, "kid:base64,…", the first encrypts. */
  secretKeys?: string | undefined;
  /** HUB_SYNC_LEASE_TTL_MS: a channel's sync lease length (renewed every third of it); default DEFAULT_LEASE_TTL_MS. */
  syncLeaseTtlMs?: number | undefined;
  /** No fallback key file: NODE_ENV=production or HUB_REQUIRE_SECRET_KEY=true (docs/ops/secrets.md). */
  requireSecretKey?: boolean | undefined;
  retention: RetentionConfig;
  /** Dealers and settlements from 1C (HUB_1C_*); undefined when no 1C source is configured. */
  onec?: OnecConfig | undefined;
}

/** Where the hub reads dealers and settlements from 1C (connectors/onec), and how. */
export interface OnecConfig {
  /** odata: the standard OData interface; soap: the OrderhubSettlements web service. */
  source: 'odata' | 'soap';
  /** HUB_1C_ODATA_URL: http(s)://<host>/<infobase>/odata/standard.odata/ */
  odataUrl: string | undefined;
  /** HUB_1C_SOAP_WSDL: 1C's …/ws/OrderhubSettlements.1cws?wsdl, or a file; the hub's own copy when unset. */
  soapWsdl: string | undefined;
  /** HUB_1C_SOAP_URL: where the web service answers (needed with the hub's own WSDL copy). */
  soapUrl: string | undefined;
  user: string;
  /** HUB_1C_PASSWORD: a secret; never logged, never in a job payload. */
  password: string;
  /** HUB_1C_PRESET: ut11 (default), unf, bp30. */
  preset: string;
  /** HUB_1C_OVERRIDES: JSON merged over the preset (entity sets, fields, the register). */
  overrides: unknown;
  /** HUB_1C_DEFAULT_REGION: the hub region of a new dealer whose 1C region matches none. */
  defaultRegion: string | undefined;
  /** HUB_1C_COMPANY_NAME: the manufacturer's name on reconciliation statements. */
  companyName: string | undefined;
  /** HUB_1C_SCHEDULE: cron of the automatic sync (dealers, then this month's settlements); none when unset. */
  schedule: string | undefined;
}

/** What retention keeps and for how long (jobs/processors/retention.ts); 0 days keeps for ever. */
export interface RetentionConfig {
  payloadDays: number;
  runDays: number;
  jobDays: number;
  /** Where payload bodies are exported before they are dropped. */
  archiveDir: string;
  /** When the daily retention job runs (cron). */
  schedule: string;
}

/** Sign-in and browser settings (api/deps.ts SecuritySettings, core/identity policies). */
export interface SecurityConfig {
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  loginMaxFailures: number;
  loginLockMinutes: number;
  cookieSecure: boolean | 'auto';
  corsOrigins: string[];
  trustProxy: boolean | string[];
}

const ROLES: readonly HubRole[] = ['all', 'api', 'worker'];
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Validates the environment and says everything that is wrong at once, naming the variable and
 * what it should look like (invalid_data), so a misconfigured deployment fails at boot.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw ? raw : undefined;
  };

  const databaseUrl = value('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a PostgreSQL URL like postgresql://user:password@host:5432/orderhub (leave it unset for the embedded database)');
  }
  const redisUrl = value('REDIS_URL');
  if (redisUrl && !/^rediss?:\/\/.+/.test(redisUrl)) {
    problems.push('REDIS_URL must be a Redis URL like redis://localhost:6379 (leave it unset to run syncs in-process)');
  }
  const port = integer(value('PORT') ?? '3000');
  if (port === undefined || port < 0 || port > 65535) problems.push(`PORT must be a port number 0–65535 (got "${value('PORT')}")`);
  const metricsPort = value('HUB_METRICS_PORT') === undefined ? undefined : integer(value('HUB_METRICS_PORT')!);
  if (value('HUB_METRICS_PORT') !== undefined && (metricsPort === undefined || metricsPort > 65535)) {
    problems.push(`HUB_METRICS_PORT must be a port number 0–65535 (got "${value('HUB_METRICS_PORT')}")`);
  }
  const role = (value('HUB_ROLE') ?? 'all') as HubRole;
  if (!ROLES.includes(role)) problems.push(`HUB_ROLE must be one of ${ROLES.join(', ')} (got "${role}")`);
  if (role !== 'all' && !redisUrl) problems.push(`HUB_ROLE=${role} splits API and workers over a queue, so it needs REDIS_URL`);
  const logLevel = (value('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  const concurrency = integer(value('HUB_WORKER_CONCURRENCY') ?? '4');
  if (concurrency === undefined || concurrency < 1) problems.push('HUB_WORKER_CONCURRENCY must be a whole number of at least 1');
  const queuePrefix = value('HUB_QUEUE_PREFIX') ?? 'orderhub';
  if (queuePrefix.includes(':')) problems.push('HUB_QUEUE_PREFIX must not contain ":"');

  const sessionIdleMinutes = integer(value('HUB_SESSION_IDLE_MINUTES') ?? '720');
  if (sessionIdleMinutes === undefined || sessionIdleMinutes < 1) problems.push('HUB_SESSION_IDLE_MINUTES must be a whole number of minutes, at least 1');
  const sessionMaxHours = integer(value('HUB_SESSION_MAX_HOURS') ?? '168');
  if (sessionMaxHours === undefined || sessionMaxHours < 1) problems.push('HUB_SESSION_MAX_HOURS must be a whole number of hours, at least 1');
  const loginMaxFailures = integer(value('HUB_LOGIN_MAX_FAILURES') ?? '5');
  if (loginMaxFailures === undefined || loginMaxFailures < 1) problems.push('HUB_LOGIN_MAX_FAILURES must be a whole number, at least 1');
  const loginLockMinutes = integer(value('HUB_LOGIN_LOCK_MINUTES') ?? '15');
  if (loginLockMinutes === undefined || loginLockMinutes < 1) problems.push('HUB_LOGIN_LOCK_MINUTES must be a whole number of minutes, at least 1');
  const cookieSecureText = (value('HUB_COOKIE_SECURE') ?? 'auto').toLowerCase();
  if (!['auto', 'true', 'false'].includes(cookieSecureText)) problems.push('HUB_COOKIE_SECURE must be auto (Secure on HTTPS requests), true or false');
  const corsOrigins = (value('HUB_CORS_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`HUB_CORS_ORIGINS lists origins like https://shop.example (no path), got "${origin}"`);
  }
  const trustProxyText = value('HUB_TRUST_PROXY') ?? 'false';
  const trustProxy = trustProxyText === 'true' ? true : trustProxyText === 'false' ? false : trustProxyText.split(',').map((a) => a.trim()).filter(Boolean);

  const days = (name: string, fallback: number): number => {
    const parsed = integer(value(name) ?? String(fallback));
    if (parsed === undefined) problems.push(`${name} must be a whole number of days (0 keeps for ever)`);
    return parsed ?? fallback;
  };
  const payloadDays = days('HUB_RETENTION_PAYLOAD_DAYS', 90);
  const runDays = days('HUB_RETENTION_RUN_DAYS', 90);
  const jobDays = days('HUB_RETENTION_JOB_DAYS', 14);
  const retentionSchedule = value('HUB_RETENTION_SCHEDULE') ?? '17 3 * * *';
  if (!cron.validate(retentionSchedule)) problems.push(`HUB_RETENTION_SCHEDULE must be a cron expression like "17 3 * * *" (got "${retentionSchedule}")`);
  const dataDir = resolve(value('HUB_DATA_DIR') ?? './data');
  const secretKeys = value('HUB_SECRET_KEYS') ?? value('HUB_SECRET_KEY');
  if (secretKeys) {
    try {
      SecretKeyring.parse(secretKeys, value('HUB_SECRET_KEYS') ? 'HUB_SECRET_KEYS' : 'HUB_SECRET_KEY');
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const leaseTtlText = value('HUB_SYNC_LEASE_TTL_MS');
  const syncLeaseTtlMs = leaseTtlText === undefined ? undefined : integer(leaseTtlText);
  if (leaseTtlText !== undefined && (syncLeaseTtlMs === undefined || syncLeaseTtlMs < 1000)) problems.push('HUB_SYNC_LEASE_TTL_MS must be a whole number of milliseconds, at least 1000');
  const requireSecretKey = value('NODE_ENV') === 'production' || value('HUB_REQUIRE_SECRET_KEY') === 'true';

  const onec = onecConfig(value, problems);

  if (problems.length > 0) {
    throw new HubError('invalid_data', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    databaseUrl,
    redisUrl,
    dataDir,
    port: port!,
    host: value('HOST') ?? '127.0.0.1',
    metricsPort,
    role,
    logLevel,
    queuePrefix,
    workerConcurrency: concurrency!,
    secretKeys,
    requireSecretKey,
    syncLeaseTtlMs,
    security: {
      sessionIdleMinutes: sessionIdleMinutes!,
      sessionMaxHours: sessionMaxHours!,
      loginMaxFailures: loginMaxFailures!,
      loginLockMinutes: loginLockMinutes!,
      cookieSecure: cookieSecureText === 'auto' ? 'auto' : cookieSecureText === 'true',
      corsOrigins,
      trustProxy,
    },
    retention: {
      payloadDays,
      runDays,
      jobDays,
      archiveDir: resolve(value('HUB_ARCHIVE_DIR') ?? join(dataDir, 'archive')),
      schedule: retentionSchedule,
    },
    onec,
  };
}

function onecConfig(value: (name: string) => string | undefined, problems: string[]): OnecConfig | undefined {
  const odataUrl = value('HUB_1C_ODATA_URL');
  const soapWsdl = value('HUB_1C_SOAP_WSDL');
  const soapUrl = value('HUB_1C_SOAP_URL');
  if (!odataUrl && !soapWsdl && !soapUrl) return undefined;
  const chosen = value('HUB_1C_SOURCE');
  if (chosen !== undefined && chosen !== 'odata' && chosen !== 'soap') problems.push(`HUB_1C_SOURCE must be odata or soap (got "${chosen}")`);
  const source = (chosen as 'odata' | 'soap' | undefined) ?? (odataUrl ? 'odata' : 'soap');
  if (odataUrl && !/^https?:\/\/.+\/odata\/standard\.odata\/?$/.test(odataUrl)) {
    problems.push('HUB_1C_ODATA_URL must look like http(s)://<host>/<infobase>/odata/standard.odata/');
  }
  if (source === 'odata' && !odataUrl) problems.push('HUB_1C_SOURCE=odata needs HUB_1C_ODATA_URL');
  if (source === 'soap' && !soapWsdl && !soapUrl) problems.push('HUB_1C_SOURCE=soap needs HUB_1C_SOAP_WSDL or HUB_1C_SOAP_URL');
  for (const [name, url] of [['HUB_1C_SOAP_URL', soapUrl]] as const) {
    if (url && !/^https?:\/\/.+/.test(url)) problems.push(`${name} must be an http(s) URL like http://1c.example/base/ws/OrderhubSettlements.1cws`);
  }
  const user = value('HUB_1C_USER');
  if (!user) problems.push('HUB_1C_USER must name the 1C user the hub signs in as (Basic auth)');
  const password = value('HUB_1C_PASSWORD') ?? '';
  const preset = value('HUB_1C_PRESET') ?? 'ut11';
  if (!ONEC_PRESETS[preset]) problems.push(`HUB_1C_PRESET must be one of ${Object.keys(ONEC_PRESETS).join(', ')} (got "${preset}")`);
  let overrides: unknown = {};
  const overridesText = value('HUB_1C_OVERRIDES');
  if (overridesText) {
    try {
      overrides = JSON.parse(overridesText);
      if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) throw new Error('not an object');
    } catch {
      problems.push('HUB_1C_OVERRIDES must be a JSON object merged over the preset, e.g. {"register":{"entitySet":"AccumulationRegister_Расчеты"}}');
    }
  }
  const schedule = value('HUB_1C_SCHEDULE');
  if (schedule && !cron.validate(schedule)) problems.push(`HUB_1C_SCHEDULE must be a cron expression like "0 * * * *" (got "${schedule}")`);
  return {
    source,
    odataUrl,
    soapWsdl,
    soapUrl,
    user: user ?? '',
    password,
    preset,
    overrides,
    defaultRegion: value('HUB_1C_DEFAULT_REGION'),
    companyName: value('HUB_1C_COMPANY_NAME'),
    schedule,
  };
}

function integer(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
