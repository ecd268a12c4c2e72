import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../app.ts';
import { HealthSchema } from '../schemas/health.ts';

/** GET /health: liveness and readiness in one; 503 when the database or Redis is down. */
const healthRoutes: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/health',
    {
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
