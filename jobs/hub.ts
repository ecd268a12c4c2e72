import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ChannelService } from '../core/channels/channels.ts';
import { openDatabase, type Database } from '../core/db/database.ts';
import { HubError } from '../core/errors.ts';
import { isDatabaseOutage } from '../core/db/sql-errors.ts';
import type { CheckReport, HealthReport, HubActions, ReadinessReport, ResyncReceipt, SyncRequestReceipt, WebhookReceipt } from '../core/ports.ts';
import type { HubConfig } from './config.ts';
import { installSecretKeyring, type SecretKeyring } from '../core/secrets/secret-box.ts';
import { loadSecretKeyring } from './secret-keys.ts';
import { acquireEmbeddedLock, type EmbeddedLock } from './embedded-lock.ts';
import { liveWorkers, WorkerHeartbeat } from './heartbeat.ts';
import { HubMetrics } from './metrics.ts';
import { reprocessPayload } from './processors/process-payload.ts';
import { pushLimitOf, receiveUpload, receiveWebhook } from './processors/webhook.ts';
import { recordManualOrder } from './processors/manual-order.ts';
import { resetChannelCursor } from './processors/resync-channel.ts';
import { advanceDistributions } from './processors/distribution.ts';
import { syncAccountingDealers, syncAccountingSettlements } from './processors/accounting-sync.ts';
import { accountingSourceOf, currentMonth, type AccountingSchedule } from './accounting.ts';
import { lifecycleOf, logFailedSteps } from './lifecycle.ts';
import { QuoteService } from '../core/quotes/quotes.ts';
import { connectorConfig, createRegistry, type ConnectorRegistry } from './registry.ts';
import { BullmqRunner } from './runtime/bullmq-runner.ts';
import { InProcessRunner } from './runtime/inprocess-runner.ts';
import { silentLogger, type JobLogger, type JobRunner, type ProcessorContext, type RetryPolicy } from './runtime/types.ts';

export interface HubOptions {
  /** Use this database instead of opening one from the config (tests, the demo); not closed by close(). */
  db?: Database | undefined;
  /** Connectors and mappings; the built-in ones by default. */
  registry?: ConnectorRegistry | undefined;
  logger?: JobLogger | undefined;
  /** Whether this process runs sync workers (BullMQ); in-process runners always run their syncs. */
  workers?: boolean | undefined;
  /** Whether `runner.start()` sets the channel schedules. */
  schedules?: boolean | undefined;
  retry?: RetryPolicy | undefined;
  leaseTtlMs?: number | undefined;
  /** Delay before a sync skipped because another one held the channel runs again. */
  followUpDelayMs?: number | undefined;
  /** BullMQ: how long a caller waits for Redis to take a job (default DEFAULT_REDIS_CALL_TIMEOUT_MS). */
  redisCallTimeoutMs?: number | undefined;
  /** BullMQ: how often the schedules are looked for in Redis (default DEFAULT_SCHEDULE_CHECK_MS; 0: only on reconnect). */
  scheduleCheckMs?: number | undefined;
  /** BullMQ: how long closing waits for running jobs and Redis before it drops the connections (default DEFAULT_CLOSE_TIMEOUT_MS). */
  closeTimeoutMs?: number | undefined;
  /** The keys of channel secrets (default: from the config, or the embedded key file; jobs/secret-keys.ts). */
  secrets?: SecretKeyring | undefined;
}

export interface Hub {
  config: HubConfig;
  db: Database;
  catalog: ConnectorRegistry;
  registry: ConnectorRegistry;
  actions: HubActions;
  runner: JobRunner;
  channels: ChannelService;
  /** The keys channel secrets are encrypted with (installed for the process). */
  secrets: SecretKeyring;
  /** What the processor functions need, for running one in the foreground (hub channels sync). */
  context: ProcessorContext;
  /** The Redis client `/health` pings (made on the first health check; undefined without REDIS_URL). */
  readonly healthRedis: Redis | undefined;
  /** This process's Prometheus metrics (GET /metrics renders them through actions.metrics). */
  metrics: HubMetrics;
  /** The heartbeat of a process that runs workers (undefined otherwise); `hub start` / `hub worker` start it. */
  heartbeat: WorkerHeartbeat | undefined;
  /** Stops the runner (running syncs stop between pages), closes what this hub opened, releases the embedded lock. */
  close(): Promise<void>;
}

/** The embedded database's directory inside the data dir. */
export function embeddedDatabaseDir(config: Pick<HubConfig, 'dataDir'>): string {
  return join(config.dataDir, 'pglite');
}

/**
 * The composition root: database, connectors and mappings, the job runner (BullMQ when REDIS_URL
 * is set, in-process otherwise) and the actions the API and the CLI drive. Nothing starts here:
 * call `runner.start()` to run schedules and workers.
 */
export async function createHub(config: HubConfig, options: HubOptions = {}): Promise<Hub> {
  const logger = options.logger ?? silentLogger;
  // Channel secrets are encrypted with it on every write and decrypted where a connector needs them.
  const secrets = options.secrets ?? (await loadSecretKeyring(config, logger));
  installSecretKeyring(secrets);
  let db = options.db;
  const ownsDb = !db;
  let lock: EmbeddedLock | undefined;
  if (!db) {
    if (!config.databaseUrl) {
      await mkdir(config.dataDir, { recursive: true });
      // PGlite has no lock: a second process on the same directory would corrupt it.
      lock = await acquireEmbeddedLock(config.dataDir);
    }
    try {
      db = await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? undefined : embeddedDatabaseDir(config) });
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }
  const database = db;
  const registry = options.registry ?? createRegistry();
  const channels = new ChannelService(database, registry);
  const context: ProcessorContext = { db: database, registry, logger, leaseTtlMs: options.leaseTtlMs ?? config.syncLeaseTtlMs };
  // The runner schedules the accounting sync; what it runs is the actions' (made below, called only once the runner runs).
  const accounting: AccountingSchedule | undefined = config.onec?.schedule ? { schedule: config.onec.schedule, actions: { syncAccounting: (request) => actions.syncAccounting!(request) } } : undefined;
  const runner: JobRunner = config.redisUrl
    ? new BullmqRunner({
        ctx: context,
        redisUrl: config.redisUrl,
        prefix: config.queuePrefix,
        workers: options.workers,
        schedules: options.schedules,
        concurrency: config.workerConcurrency,
        retry: options.retry,
        followUpDelayMs: options.followUpDelayMs,
        redisCallTimeoutMs: options.redisCallTimeoutMs,
        scheduleCheckMs: options.scheduleCheckMs,
        closeTimeoutMs: options.closeTimeoutMs,
        retention: config.retention,
        accounting,
      })
    : new InProcessRunner({ ctx: context, schedules: options.schedules, retry: options.retry, followUpDelayMs: options.followUpDelayMs, retention: config.retention, accounting });

  const metrics = new HubMetrics({ db: database, runner, logger });
  // BullMQ runs workers unless told not to; the in-process runner always runs its jobs.
  const workersHere = runner.kind === 'inprocess' || options.workers !== false;
  const schedulesHere = options.schedules !== false;
  const heartbeat = workersHere ? new WorkerHeartbeat(database, schedulesHere ? 'all' : 'worker', { logger }) : undefined;

  const pingDatabase = async (): Promise<string | undefined> => {
    try {
      await withTimeout(db.query('SELECT 1'), 3_000, 'the database did not answer within 3 s');
      return undefined;
    } catch (error) {
      return describeOutage(error);
    }
  };

  let redis: Redis | undefined;
  const redisClient = (): Redis => {
    if (!redis) {
      redis = new Redis(config.redisUrl!, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000, enableOfflineQueue: false });
      // Once, where the client is made: errors are reported by health(), not as unhandled errors.
      redis.on('error', () => undefined);
    }
    return redis;
  };

  /** A push's receipt (or its error) counted for its channel in /metrics. */
  const countedPush = async (channelId: string, receiving: Promise<WebhookReceipt>): Promise<WebhookReceipt> => {
    try {
      const receipt = await receiving;
      metrics.webhookReceived(channelId, receipt);
      return receipt;
    } catch (error) {
      metrics.webhookReceived(channelId, undefined);
      throw error;
    }
  };

  const actions: HubActions = {
    async checkChannel(channelId): Promise<CheckReport> {
      const channel = await channels.get(channelId);
      const connector = registry.requireConnector(channel.connectorType);
      let config: unknown;
      try {
        config = connectorConfig(connector, channel.config);
      } catch (error) {
        return { ok: false, message: `Channel "${channel.name}" has an invalid ${(error as Error).message}` };
      }
      return connector.check(config);
    },

    async requestSync(channelId, trigger): Promise<SyncRequestReceipt> {
      const channel = await channels.get(channelId);
      const connector = registry.requireConnector(channel.connectorType);
      if (!connector.pull) throw new HubError('not_allowed', `Channel "${channel.name}" (${connector.type}) cannot be pulled; it receives pushes only.`);
      if (!channel.enabled) throw new HubError('not_allowed', `Channel "${channel.name}" is disabled; enable it before syncing.`);
      return runner.requestSync(channelId, trigger);
    },

    async resyncChannel(channelId, options): Promise<ResyncReceipt> {
      const reset = await resetChannelCursor(context, channelId, options);
      return { ...reset, sync: await runner.requestSync(channelId, 'manual') };
    },

    pushLimit(channelId) {
      return pushLimitOf(context, channelId);
    },

    receiveWebhook(channelId, request) {
      return countedPush(channelId, receiveWebhook(context, channelId, request, (payloadId) => runner.enqueuePayload(payloadId)));
    },

    // An uploaded file is a push like a webhook: orderhub_webhooks_total counts it by result too.
    receiveUpload(channelId, request) {
      return countedPush(channelId, receiveUpload(context, channelId, request, (payloadId) => runner.enqueuePayload(payloadId)));
    },

    async channelChanged(channelId) {
      try {
        await runner.channelChanged(channelId);
      } catch (error) {
        // The channel is saved; its schedule is set again at the next start (or change).
        logger.error({ channelId, err: error }, `could not update the sync schedule of channel ${channelId}: ${(error as Error).message}`);
      }
    },

    failedJobs(limit) {
      return runner.failedJobs(limit);
    },

    async retryFailedJobs(id) {
      if (id === 'all') return runner.retryAllFailedJobs();
      await runner.retryFailedJob(id);
      return 1;
    },

    reprocessPayload(payloadId, requestedBy) {
      return reprocessPayload(context, payloadId, requestedBy);
    },

    recordManualOrder(channelId, order) {
      return recordManualOrder(context, channelId, order);
    },

    advance() {
      return advanceDistributions(context);
    },

    async nudgeStatusWriteBack() {
      // Not awaited: in-process the send itself runs now, and a shop's slow answer must not hold up the caller.
      runner.nudgeStatusWriteBack().catch((error: unknown) => {
        logger.warn({ err: error }, `could not nudge the sending of channel status updates: ${(error as Error).message}`);
      });
    },

    // A converted quote is an intake like any other: the same lifecycle steps follow it.
    async syncAccounting(request) {
      const source = accountingSourceOf(config.onec);
      const options = { trigger: request.trigger, requestedBy: request.requestedBy };
      if (request.what === 'dealers') return syncAccountingDealers({ db: database, logger }, source, { ...options, defaultRegion: config.onec?.defaultRegion });
      const month = currentMonth();
      const period = { from: request.from ?? month.from, to: request.to ?? month.to };
      if (period.to < period.from) throw new HubError('invalid_data', `the period ends (${period.to}) before it starts (${period.from})`, { field: 'to' });
      return syncAccountingSettlements({ db: database, logger }, source, { ...options, period });
    },

    companyName: config.onec?.companyName,

    quotes: new QuoteService(database, registry.mappingFor, async (outcome) => {
      logFailedSteps(context, (await lifecycleOf(context).afterIntake(outcome)).failed);
    }),

    async health(): Promise<HealthReport> {
      const database: HealthReport['database'] = { ok: true, kind: db.kind };
      try {
        await db.query('SELECT 1');
      } catch (error) {
        database.ok = false;
        database.error = (error as Error).message;
      }
      const redisReport: HealthReport['redis'] = { ok: true, configured: !!config.redisUrl };
      if (config.redisUrl) {
        try {
          const client = redisClient();
          if (client.status === 'wait' || client.status === 'end') await client.connect();
          const pong = await withTimeout(client.ping(), 2_000, 'Redis did not answer PING within 2 s');
          if (pong !== 'PONG') throw new Error(`Redis answered ${pong} to PING`);
        } catch (error) {
          redisReport.ok = false;
          redisReport.error = (error as Error).message;
        }
      }
      return { ok: database.ok && redisReport.ok, database, redis: redisReport };
    },

    async ready(): Promise<ReadinessReport> {
      const databaseError = await pingDatabase();
      const databaseCheck = { ok: !databaseError, checked: true, ...(databaseError && { error: databaseError }) };
      const health = config.redisUrl ? await actions.health() : undefined;
      const redisCheck = { ok: health?.redis.ok ?? true, checked: !!config.redisUrl, ...(health?.redis.error && { error: health.redis.error }) };

      let schedules: ReadinessReport['checks']['schedules'] = { ok: true, checked: false };
      if (schedulesHere && runner instanceof BullmqRunner) {
        if (!redisCheck.ok) schedules = { ok: false, checked: true, error: 'Redis does not answer: the schedules cannot be looked for' };
        else {
          // Sets them all again when one is missing (a Redis restarted empty): not ready for this probe, ready at the next.
          const missing = await runner.checkSchedules();
          schedules = missing.length === 0 ? { ok: true, checked: true } : { ok: false, checked: true, error: `${missing.length} schedule(s) were missing in Redis and are being set again: ${missing.slice(0, 5).join(', ')}` };
        }
      } else if (schedulesHere && runner instanceof InProcessRunner) {
        schedules = runner.sweepScheduled ? { ok: true, checked: true } : { ok: false, checked: true, error: 'the schedules are not running yet (the runner has not started)' };
      }

      let workers: ReadinessReport['checks']['workers'] = { ok: true, checked: false };
      if (!workersHere) {
        if (databaseError) workers = { ok: false, checked: true, error: 'the database does not answer: workers\' heartbeats cannot be read' };
        else {
          try {
            const seen = await liveWorkers(database);
            workers = seen > 0 ? { ok: true, checked: true, seen } : { ok: false, checked: true, seen, error: 'no worker has been seen in the last minute (start `hub worker`)' };
          } catch (error) {
            workers = { ok: false, checked: true, error: describeOutage(error) };
          }
        }
      }
      const checks = { database: databaseCheck, redis: redisCheck, schedules, workers };
      const down = Object.entries(checks).filter(([, check]) => !check.ok).map(([name]) => name);
      return { ok: down.length === 0, down, checks };
    },

    metrics() {
      return metrics.render();
    },
  };

  let closed = false;
  return {
    config,
    db: database,
    catalog: registry,
    registry,
    actions,
    runner,
    channels,
    secrets,
    context,
    metrics,
    heartbeat,
    get healthRedis() {
      return redis;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await heartbeat?.stop();
        await runner.stop();
        metrics.close();
        redis?.disconnect();
        if (ownsDb) await database.close();
      } finally {
        await lock?.release();
      }
    },
  };
}

/** A database error in words: an outage says so rather than the driver's message. */
function describeOutage(error: unknown): string {
  return isDatabaseOutage(error) ? `the database cannot be reached (${shortReason(error)})` : (error as Error).message;
}

function shortReason(error: unknown): string {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (typeof e.code === 'string' && /^[A-Z0-9_]+$/.test(e.code) && !e.code.startsWith('P')) return e.code;
  }
  return (error as Error).message?.split('\n').find((line) => line.trim())?.trim().slice(0, 200) ?? 'no answer';
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
