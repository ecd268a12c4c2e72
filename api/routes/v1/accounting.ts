import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { HubError } from '../../../core/errors.ts';
import { IsoDate } from '../../../core/model/common.ts';
import { AccountingSyncViewSchema } from '../../../core/model/settlements.ts';
import { listAccountingSyncs } from '../../../core/settlements/accounting-syncs.ts';
import { staff } from '../../auth/access.ts';
import { auditChange } from '../../auth/audit-change.ts';
import { actorOf } from '../../auth/request-context.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors } from '../../schemas/common.ts';

const SyncBodySchema = Type.Object(
  {
    what: Type.Union([Type.Literal('dealers'), Type.Literal('settlements')], { description: 'dealers: counterparties; settlements: figures and documents of a period' }),
    from: Type.Optional(IsoDate),
    to: Type.Optional(IsoDate),
  },
  { additionalProperties: false },
);

/**
 * /v1/accounting: syncs with the accounting system (1C). A sync runs while the request waits and
 * answers with its run, a failed one too (200: the run says what 1C refused); 409 when 1C is not configured.
 */
const accountingRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const tags = ['settlements'];

  app.post(
    '/accounting/sync',
    {
      config: staff('accounting.sync'),
      schema: {
        tags,
        summary: 'Sync dealers, or the settlements of a period (default: this month so far), from 1C now',
        body: SyncBodySchema,
        response: { 200: AccountingSyncViewSchema, ...errors(400, 409) },
      },
    },
    async (request) => {
      if (!deps.actions.syncAccounting) throw new HubError('conflict', 'This hub cannot sync with 1C.');
      const { what, from, to } = request.body;
      if (what === 'dealers' && (from || to)) throw new HubError('invalid_data', 'a dealers sync takes no period', { field: from ? 'from' : 'to' });
      const run = await deps.actions.syncAccounting({ what, from, to, trigger: 'manual', requestedBy: actorOf(request).login });
      await auditChange(deps.db, request, { action: `accounting.sync.${what}`, target: { type: 'accounting_sync', id: run.id }, details: { status: run.status, from: run.from, to: run.to } });
      return run;
    },
  );

  app.get(
    '/accounting/syncs',
    {
      config: staff('accounting.sync'),
      schema: {
        tags,
        summary: 'The latest syncs with 1C, newest first, with their counts and errors',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ syncs: Type.Array(AccountingSyncViewSchema) }) },
      },
    },
    async (request) => ({ syncs: await listAccountingSyncs(deps.db, { limit: request.query.limit }) }),
  );
};

export default accountingRoutes;
