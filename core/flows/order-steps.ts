import type { Database } from '../db/database.ts';
import type { Prisma } from '../db/generated/client.ts';
import { isHubError } from '../errors.ts';

/**
 * The order's lifecycle history: one row per step the hub takes for an order (order_step), keyed
 * so a step runs once (the order version, the distribution round and status, the payload). A row
 * that is pending or failed is its own timer: `next_attempt_at` says when the minute's tick runs it
 * again (with backoff), so a restart loses no retry. A failed step is visible to ops in the order's
 * detail and, once per distinct error, in the admins' notices.
 */

type Tx = Prisma.TransactionClient;

export const STEP_NAMES = ['stock', 'acknowledgement', 'distribution', 'core_status', 'status_writeback', 'offer_again'] as const;
export type StepName = (typeof STEP_NAMES)[number];
export type StepOutcome = 'pending' | 'done' | 'failed' | 'skipped';

/** What a step reports when it ran: done (with what it did) or skipped (with why nothing was to be done). */
export interface StepResult {
  outcome: 'done' | 'skipped';
  detail?: Record<string, unknown>;
}

export interface OrderStepView {
  step: StepName;
  key: string;
  outcome: StepOutcome;
  attempts: number;
  error: string | null;
  nextAttemptAt: string | null;
  detail: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

const BASE_DELAY_MS = 60_000;
const MAX_DELAY_MS = 6 * 3_600_000;
/** A waiting step is looked at again this often in case its wait ended by a path that did not wake it. */
const WAIT_RECHECK_MS = 15 * 60_000;
/** While a worker runs a step, the row is claimed this long: another worker's tick leaves it alone. */
const CLAIM_MS = 5 * 60_000;

/**
 * A step that cannot run yet for a reason that is not a fault (the order waits for a person, e.g.
 * the manual stock review): it stays pending with the reason and is tried again later, and nobody
 * is told it failed. Whoever ends the wait may make it due at once (see wakeWaiting).
 */
export class StepWaits extends Error {
  override readonly name = 'StepWaits';
}

/** 1, 2, 4, … minutes after each failed attempt, then every six hours until it succeeds (ops see it failing meanwhile). */
export function nextAttemptAfter(attempts: number, now: Date): Date {
  return new Date(now.getTime() + Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1)));
}

interface StepRow {
  id: string;
  order_id: string;
  step: StepName;
  key: string;
  outcome: StepOutcome;
  attempts: number;
  detail: Record<string, unknown>;
}

type Client = Pick<Tx, '$queryRawUnsafe' | '$executeRawUnsafe'>;

export class OrderSteps {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  /**
   * Records a step that was decided and done (or found unnecessary) inside the caller's transaction,
   * such as the core status change made with the dealer's change. Recording it again changes nothing.
   */
  async recordIn(tx: Client, orderId: string, step: StepName, key: string, result: StepResult): Promise<void> {
    const now = this.clock().toISOString();
    await tx.$executeRawUnsafe(
      `INSERT INTO order_step (order_id, step, key, outcome, attempts, detail, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 1, $5::jsonb, $6::timestamptz, $6::timestamptz) ON CONFLICT (order_id, step, key) DO NOTHING`,
      orderId, step, key, result.outcome, JSON.stringify(result.detail ?? {}), now,
    );
  }

  /**
   * Schedules a step the caller runs right after its transaction commits; the row is its timer
   * should that run never happen (the process stopped): the tick runs it after the claim time.
   */
  async scheduleIn(tx: Client, orderId: string, step: StepName, key: string, input: Record<string, unknown> = {}): Promise<void> {
    const now = this.clock();
    await tx.$executeRawUnsafe(
      `INSERT INTO order_step (order_id, step, key, outcome, attempts, detail, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3, 'pending', 0, $4::jsonb, $5::timestamptz, $6::timestamptz, $6::timestamptz) ON CONFLICT (order_id, step, key) DO NOTHING`,
      orderId, step, key, JSON.stringify({ input }), new Date(now.getTime() + CLAIM_MS).toISOString(), now.toISOString(),
    );
  }

  /**
   * Runs a step once: a step already done or skipped is not run again (its row answers); otherwise
   * the work runs and its outcome is recorded, a failure with the time of the next attempt.
   * Never throws for the step's own failure: the caller's flow goes on, the row retries it.
   */
  async run(orderId: string, step: StepName, key: string, input: Record<string, unknown>, work: () => Promise<StepResult>): Promise<StepOutcome> {
    const [row] = await this.db.query<{ outcome: StepOutcome }>(`SELECT outcome FROM order_step WHERE order_id = $1 AND step = $2 AND key = $3`, [orderId, step, key]);
    if (row?.outcome === 'done' || row?.outcome === 'skipped') return row.outcome;
    return this.attempt(orderId, step, key, input, work);
  }

  /** Steps whose time has come (pending ones never run, failed ones after their backoff), claimed for this worker. */
  async claimDue(limit = 100): Promise<StepRow[]> {
    const now = this.clock();
    return this.db.prisma.$transaction((tx) =>
      tx.$queryRawUnsafe<StepRow[]>(
        `UPDATE order_step SET next_attempt_at = $2::timestamptz
          WHERE id IN (SELECT id FROM order_step WHERE outcome IN ('pending', 'failed') AND next_attempt_at <= $1::timestamptz
                        ORDER BY next_attempt_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          RETURNING id::text AS id, order_id, step, key, outcome, attempts, detail`,
        now.toISOString(), new Date(now.getTime() + CLAIM_MS).toISOString(),
      ),
    );
  }

  /** Pending steps of one order, oldest first (what a flow runs right after its transaction). */
  async pendingOf(orderId: string): Promise<StepRow[]> {
    return this.db.query<StepRow>(
      `SELECT id::text AS id, order_id, step, key, outcome, attempts, detail FROM order_step WHERE order_id = $1 AND outcome = 'pending' ORDER BY id`,
      [orderId],
    );
  }

  async attempt(orderId: string, step: StepName, key: string, input: Record<string, unknown>, work: () => Promise<StepResult>): Promise<StepOutcome> {
    let result: StepResult;
    try {
      result = await work();
    } catch (error) {
      if (error instanceof StepWaits) {
        await this.recordWait(orderId, step, key, input, error.message);
        return 'pending';
      }
      await this.recordFailure(orderId, step, key, input, error as Error);
      return 'failed';
    }
    const now = this.clock().toISOString();
    await this.db.query(
      `INSERT INTO order_step (order_id, step, key, outcome, attempts, error, next_attempt_at, detail, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 1, NULL, NULL, $5::jsonb, $6::timestamptz, $6::timestamptz)
       ON CONFLICT (order_id, step, key) DO UPDATE SET outcome = EXCLUDED.outcome, attempts = order_step.attempts + 1, error = NULL,
              next_attempt_at = NULL, detail = EXCLUDED.detail, updated_at = EXCLUDED.updated_at`,
      [orderId, step, key, result.outcome, JSON.stringify({ ...(Object.keys(input).length > 0 && { input }), ...result.detail }), now],
    );
    return result.outcome;
  }

  private async recordWait(orderId: string, step: StepName, key: string, input: Record<string, unknown>, reason: string): Promise<void> {
    const now = this.clock();
    await this.db.query(
      `INSERT INTO order_step (order_id, step, key, outcome, attempts, error, next_attempt_at, detail, created_at, updated_at)
       VALUES ($1, $2, $3, 'pending', 1, $4, $5::timestamptz, $6::jsonb, $7::timestamptz, $7::timestamptz)
       ON CONFLICT (order_id, step, key) DO UPDATE SET outcome = 'pending', attempts = order_step.attempts + 1, error = EXCLUDED.error,
              next_attempt_at = EXCLUDED.next_attempt_at, detail = jsonb_set(order_step.detail, '{waiting}', 'true'), updated_at = EXCLUDED.updated_at`,
      [orderId, step, key, reason.slice(0, 2000), new Date(now.getTime() + WAIT_RECHECK_MS).toISOString(), JSON.stringify({ input, waiting: true }), now.toISOString()],
    );
  }

  private async recordFailure(orderId: string, step: StepName, key: string, input: Record<string, unknown>, error: Error): Promise<void> {
    const now = this.clock();
    const message = error.message.slice(0, 2000);
    try {
      await this.db.prisma.$transaction(async (tx) => {
        const [row] = await tx.$queryRawUnsafe<{ attempts: number; error: string | null }[]>(
          `INSERT INTO order_step (order_id, step, key, outcome, attempts, detail, created_at, updated_at)
           VALUES ($1, $2, $3, 'failed', 0, $4::jsonb, $5::timestamptz, $5::timestamptz)
           ON CONFLICT (order_id, step, key) DO UPDATE SET updated_at = EXCLUDED.updated_at
           RETURNING attempts, (SELECT error FROM order_step WHERE order_id = $1 AND step = $2 AND key = $3) AS error`,
          orderId, step, key, JSON.stringify({ input }), now.toISOString(),
        );
        const attempts = (row?.attempts ?? 0) + 1;
        const next = nextAttemptAfter(attempts, now);
        await tx.$executeRawUnsafe(
          `UPDATE order_step SET outcome = 'failed', attempts = $4, error = $5, next_attempt_at = $6::timestamptz,
                  detail = jsonb_set(detail, '{code}', to_jsonb($7::text)), updated_at = $8::timestamptz
            WHERE order_id = $1 AND step = $2 AND key = $3`,
          orderId, step, key, attempts, message, next.toISOString(), isHubError(error) ? error.code : 'internal', now.toISOString(),
        );
        // Once per distinct error: the tick retries it, the admins hear it once.
        if (row?.error !== message) {
          const [order] = await tx.$queryRawUnsafe<{ label: string }[]>(`SELECT coalesce(number, external_id) AS label FROM "order" WHERE id = $1`, orderId);
          const then = `attempt ${attempts}; retried from ${next.toISOString()}`;
          await tx.$executeRawUnsafe(
            `INSERT INTO notification (dealer_id, order_id, kind, message, created_at) VALUES (NULL, $1, 'lifecycle_failed', $2, $3::timestamptz)`,
            orderId, `Order ${order?.label ?? orderId}: step ${step} failed: ${message} (${then}).`, now.toISOString(),
          );
        }
      });
    } catch {
      // The order is gone or the database is down: nothing to record it on; the caller logs it.
    }
  }
}

/** The order's lifecycle history, oldest first (the order's detail shows it to ops). */
export async function orderSteps(db: Database, orderId: string): Promise<OrderStepView[]> {
  const rows = await db.prisma.orderStep.findMany({ where: { orderId }, orderBy: { id: 'asc' } });
  return rows.map((r) => ({
    step: r.step as StepName,
    key: r.key,
    outcome: r.outcome as StepOutcome,
    attempts: r.attempts,
    error: r.error,
    nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null,
    detail: (r.detail ?? {}) as Record<string, unknown>,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }));
}
