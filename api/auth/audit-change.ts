import type { FastifyRequest } from 'fastify';
import { recordAudit } from '../../core/audit/audit-log.ts';
import type { Database } from '../../core/db/database.ts';
import { actorOf } from './request-context.ts';

/**
 * Records a configuration or permission change made through the API, with the state before and
 * after (public forms only: secrets redacted). Written right after the change commits; users,
 * roles and tokens are audited inside their own transactions by core/identity. A failure to write
 * it is logged, not answered: the change is done, and a 500 would invite a client to repeat it.
 */
export async function auditChange(
  db: Database,
  request: FastifyRequest,
  change: { action: string; target: { type: string; id: string }; before?: unknown; after?: unknown; details?: unknown },
): Promise<void> {
  try {
    await recordAudit(db.prisma, actorOf(request), { kind: 'change', ...change });
  } catch (error) {
    request.log.error({ err: error, action: change.action, target: change.target }, 'could not write the audit row of a change');
  }
}
