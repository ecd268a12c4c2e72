import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../deps.ts';
import { HealthSchema } from '../schemas/health.ts';
import { anyone } from '../auth/access.ts';

/** GET /health: liveness and readiness in one; 503 when the database or Redis is down. */
const healthRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  app.get(
    '/health',
    {
      config: anyone('load balancers and monitors probe it; it tells only whether the database and Redis answer'),
      schema: {
        tags: ['health'],
        summary: 'Database and Redis health',
        response: { 200: HealthSchema, 503: HealthSchema },
      },
    },
    async (_request, reply) => {
      const report = await deps.actions.health();
      return reply.code(report.ok ? 200 : 503).send(report);
    },
  );
};

export default healthRoutes;
