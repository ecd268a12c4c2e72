import { hostname } from 'node:os';
import type { Database } from '../core/db/database.ts';
import { silentLogger, type JobLogger } from './runtime/types.ts';

/** How often a process with workers says it is alive. */
export const HEARTBEAT_EVERY_MS = 15_000;
/** A worker seen within this is alive for /health/ready. */
export const HEARTBEAT_FRESH_MS = 60_000;
/** Rows of processes not seen for this long are deleted (a restarted container gets a new pid). */
const HEARTBEAT_FORGET_MS = 24 * 60 * 60 * 1000;

export type HeartbeatKind = 'worker' | 'all';

/**
 * A process that runs workers writes `worker_heartbeat(id, kind, seen_at)` every 15 s, so that an
 * API process without workers of its own can tell whether anyone takes its jobs. A failed write
 * (the database is down) is logged once per outage and tried again at the next beat.
 */
export class WorkerHeartbeat {
  readonly id: string;
  #timer: NodeJS.Timeout | undefined;
  #failing = false;

  constructor(
    private readonly db: Database,
    private readonly kind: HeartbeatKind,
    private readonly options: { id?: string | undefined; everyMs?: number | undefined; logger?: JobLogger | undefined } = {},
  ) {
    this.id = options.id ?? `${hostname()}/${process.pid}`;
  }

  /** Writes the first beat now (awaited), then every HEARTBEAT_EVERY_MS. */
  async start(): Promise<void> {
    if (this.#timer) return;
    await this.beat();
    this.#timer = setInterval(() => void this.beat(), this.options.everyMs ?? HEARTBEAT_EVERY_MS);
    this.#timer.unref();
  }

  async beat(): Promise<void> {
    const logger = this.options.logger ?? silentLogger;
    try {
      await this.db.query(
        `INSERT INTO worker_heartbeat (id, kind, seen_at) VALUES ($1, $2, now())
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, seen_at = now()`,
        [this.id, this.kind],
      );
      if (this.#failing) logger.info({ worker: this.id }, 'worker heartbeat written again');
      this.#failing = false;
      // Cheap and rare enough to do on every beat: only rows a day old go.
      await this.db.query(`DELETE FROM worker_heartbeat WHERE seen_at < now() - make_interval(secs => $1)`, [HEARTBEAT_FORGET_MS / 1000]);
    } catch (error) {
      if (!this.#failing) logger.warn({ worker: this.id, err: error }, `could not write the worker heartbeat: ${(error as Error).message}`);
      this.#failing = true;
    }
  }

  /** Stops beating and removes this process's row (a clean shutdown is not a dead worker... nor a live one). */
  async stop(): Promise<void> {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.db.query('DELETE FROM worker_heartbeat WHERE id = $1', [this.id]).catch(() => undefined);
  }
}

/** Workers (of any process) seen within HEARTBEAT_FRESH_MS. */
export async function liveWorkers(db: Database, freshMs = HEARTBEAT_FRESH_MS): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM worker_heartbeat WHERE kind IN ('worker', 'all') AND seen_at > now() - make_interval(secs => $1)`,
    [freshMs / 1000],
  );
  return row?.n ?? 0;
}
