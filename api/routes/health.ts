import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { HubError } from '../../core/errors.ts';
import type { RouteDeps } from '../deps.ts';
import { HealthSchema, LivenessSchema, ReadinessSchema } from '../schemas/health.ts';
import { anyone, staffDuringOutage } from '../auth/access.ts';

/**
 * Health for load balancers and orchestrators, metrics for Prometheus:
 * - GET /health: the database and Redis (kept as it was; 503 when one is down);
 * - GET /health/live: the process answers; no dependency is asked (a restart would not fix one);
 * - GET /health/ready: database, Redis, this process's schedules, workers' heartbeats; 503 naming what is down;
 * - GET /metrics: Prometheus' text format, for a `monitoring` (or ops, admin) API token; a token the
 *   database vouched for in the last 10 minutes is still taken while it is down, so the scrape says so.
 */
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

  app.get(
    '/health/live',
    {
      config: anyone('orchestrators probe it; it tells only that the process answers'),
      schema: { tags: ['health'], summary: 'Liveness: the process answers (no dependency is asked)', response: { 200: LivenessSchema } },
    },
    async () => ({ ok: true as const }),
  );

  app.get(
    '/health/ready',
    {
      config: anyone('load balancers and orchestrators probe it; it tells only which dependencies answer'),
      schema: {
        tags: ['health'],
        summary: "Readiness: database, Redis, this process's schedules and workers' heartbeats; 503 naming what is down",
        response: { 200: ReadinessSchema, 503: ReadinessSchema },
      },
    },
    async (_request, reply) => {
      const report = deps.actions.ready ? await deps.actions.ready() : await readinessFromHealth(deps);
      return reply.code(report.ok ? 200 : 503).send(report);
    },
  );

  app.get(
    '/metrics',
    {
      config: staffDuringOutage('metrics.read'),
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format; docs/ops/observability.md)',
        produces: ['text/plain'],
        response: { 200: Type.String({ description: "Prometheus' text exposition format, version 0.0.4" }) },
      },
    },
    async (_request, reply) => {
      if (!deps.actions.metrics) throw new HubError('not_found', 'This hub process keeps no metrics.');
      const { contentType, body } = await deps.actions.metrics();
      return reply.type(contentType).send(body);
    },
  );
};

/** A hub without its own readiness (tests' fakes): the database and Redis from /health. */
async function readinessFromHealth(deps: RouteDeps) {
  const health = await deps.actions.health();
  const checks = {
    database: { ok: health.database.ok, checked: true, ...(health.database.error && { error: health.database.error }) },
    redis: { ok: health.redis.ok, checked: health.redis.configured, ...(health.redis.error && { error: health.redis.error }) },
    schedules: { ok: true, checked: false },
    workers: { ok: true, checked: false },
  };
  const down = Object.entries(checks).filter(([, check]) => !check.ok).map(([name]) => name);
  return { ok: down.length === 0, down, checks };
}

export default healthRoutes;
