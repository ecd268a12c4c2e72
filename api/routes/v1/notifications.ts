import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DistributionQueries } from '../../../core/distribution/distribution-queries.ts';
import type { RouteDeps } from '../../deps.ts';
import { scopeOf } from '../../auth/request-context.ts';
import { errors } from '../../schemas/common.ts';
import { MarkReadBodySchema, MarkReadResultSchema, NotificationSchema, NotificationsQuerySchema } from '../../schemas/distribution.ts';
import { staff } from '../../auth/access.ts';

/** /v1/notifications: the manufacturer's notifications (unassigned orders, dealers' cancellations, overdue orders). */
const notificationRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const queries = new DistributionQueries(deps.db);
  const tags = ['distribution'];

  app.get(
    '/notifications',
    {
      config: staff('distribution.read'),
      schema: {
        tags,
        summary: "The manufacturer's notifications (unassigned orders, dealers' cancellations, overdue orders), newest first",
        querystring: NotificationsQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(NotificationSchema) }) },
      },
    },
    async (request) => ({ items: await queries.notifications(scopeOf(request), { unreadOnly: request.query.unread, limit: request.query.limit }) }),
  );

  app.post(
    '/notifications/read',
    {
      config: staff('distribution.read'),
      schema: {
        tags,
        summary: "Mark the manufacturer's notifications read (ids of dealers' notifications change nothing)",
        body: MarkReadBodySchema,
        response: { 200: MarkReadResultSchema, ...errors(400) },
      },
    },
    async (request) => ({ marked: await queries.markRead(scopeOf(request), request.body.ids) }),
  );
};

export default notificationRoutes;
