import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { getStatusUpdate, listStatusUpdates, retryStatusUpdate } from '../../../core/outbound/status-updates.ts';
import type { RouteDeps } from '../../deps.ts';
import { staff } from '../../auth/access.ts';
import { actorOf } from '../../auth/request-context.ts';
import { errors, IdParamsSchema } from '../../schemas/common.ts';
import { StatusUpdateQuerySchema, StatusUpdateSchema } from '../../schemas/status-updates.ts';

/** Order statuses the hub owes channels (status write-back): what was sent, what waits, what failed. */
const statusUpdateRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  app.get(
    '/status-updates',
    {
      config: staff('channels.read'),
      schema: {
        tags: ['channels'],
        summary: 'Order statuses written back (or to be written back) to channels, newest first',
        querystring: StatusUpdateQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(StatusUpdateSchema) }), ...errors(400) },
      },
    },
    async (request) => ({ items: await listStatusUpdates(deps.db, request.query) }),
  );

  app.get(
    '/status-updates/:id',
    {
      config: staff('channels.read'),
      schema: {
        tags: ['channels'],
        summary: 'One status update with every attempt',
        params: IdParamsSchema,
        response: { 200: StatusUpdateSchema, ...errors(404) },
      },
    },
    async (request) => getStatusUpdate(deps.db, request.params.id),
  );

  app.post(
    '/status-updates/:id/retry',
    {
      config: staff('channels.sync'),
      schema: {
        tags: ['channels'],
        summary: 'Send a failed status update again now (refused when a newer status of the order was queued since)',
        params: IdParamsSchema,
        response: { 200: StatusUpdateSchema, ...errors(404, 409) },
      },
    },
    async (request) => {
      const update = await retryStatusUpdate(deps.db, request.params.id, new Date(), actorOf(request).login);
      // Sends soon (not awaited: the shop's answer is read on the update, not in this reply).
      await deps.actions.nudgeStatusWriteBack?.();
      return update;
    },
  );
};

export default statusUpdateRoutes;
