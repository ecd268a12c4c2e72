import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DistributionQueries } from '../../../../core/distribution/distribution-queries.ts';
import type { RouteDeps } from '../../../deps.ts';
import { scopeOf } from '../../../auth/request-context.ts';
import { errors } from '../../../schemas/common.ts';
import { DealerParamsSchema, MarkReadBodySchema, MarkReadResultSchema, NotificationSchema, NotificationsQuerySchema } from '../../../schemas/distribution.ts';
import { dealer } from '../../../auth/access.ts';

/** /v1/dealers/:code/notifications: the dealer's notifications (offers, assignments, cancellations, changes). */
const dealerNotificationRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const queries = new DistributionQueries(deps.db);
  const tags = ['distribution'];

  app.get(
    '/dealers/:code/notifications',
    {
      config: dealer('dealer.notifications'),
      schema: {
        tags,
        summary: "The dealer's notifications (offers, assignments, cancellations, changes), newest first",
        params: DealerParamsSchema,
        querystring: NotificationsQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(NotificationSchema) }), ...errors(400, 404) },
      },
    },
    async (request) => ({ items: await queries.notifications(scopeOf(request), { unreadOnly: request.query.unread, limit: request.query.limit }) }),
  );

  app.post(
    '/dealers/:code/notifications/read',
    {
      config: dealer('dealer.notifications'),
      schema: {
        tags,
        summary: "Mark the dealer's notifications read (ids of other dealers' notifications change nothing)",
        params: DealerParamsSchema,
        body: MarkReadBodySchema,
        response: { 200: MarkReadResultSchema, ...errors(400, 404) },
      },
    },
    async (request) => ({ marked: await queries.markRead(scopeOf(request), request.body.ids) }),
  );
};

export default dealerNotificationRoutes;
