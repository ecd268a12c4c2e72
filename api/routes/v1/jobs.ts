import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { HubError } from '../../../core/errors.ts';
import type { RouteDeps } from '../../deps.ts';
import { staff } from '../../auth/access.ts';
import { auditChange } from '../../auth/audit-change.ts';
import { errors } from '../../schemas/common.ts';
import { FailedJobListSchema, RetriedJobsSchema } from '../../schemas/jobs.ts';

/**
 * /v1/jobs/failed: the dead letters, jobs of the sync and payload queues that failed for good, with
 * their error and attempts, and running them again. An error can quote what a page held, so reading
 * them takes payloads.read; running them again is a sync (channels.sync).
 */
const jobRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const tags = ['jobs'];
  const actions = () => {
    const { failedJobs, retryFailedJobs } = deps.actions;
    if (!failedJobs || !retryFailedJobs) throw new HubError('not_allowed', 'This hub keeps no job queue to look into.');
    return { failedJobs: failedJobs.bind(deps.actions), retryFailedJobs: retryFailedJobs.bind(deps.actions) };
  };

  app.get(
    '/jobs/failed',
    {
      config: staff('payloads.read'),
      schema: {
        tags,
        summary: 'Jobs that failed for good (sync and payload queues), newest first, with their error and attempts',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: { 200: FailedJobListSchema, ...errors(400, 403) },
      },
    },
    async (request) => actions().failedJobs(request.query.limit),
  );

  app.post(
    '/jobs/failed/:id/retry',
    {
      config: staff('channels.sync'),
      schema: {
        tags,
        summary: 'Run one failed job again (its attempts start over); the id is <queue>:<job id> as listed',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: { 200: RetriedJobsSchema, ...errors(403, 404) },
      },
    },
    async (request) => {
      const retried = await actions().retryFailedJobs(request.params.id);
      await auditChange(deps.db, request, { action: 'job.retry', target: { type: 'job', id: request.params.id } });
      return { retried };
    },
  );

  app.post(
    '/jobs/failed/retry',
    {
      config: staff('channels.sync'),
      schema: { tags, summary: 'Run every failed job again', response: { 200: RetriedJobsSchema, ...errors(403) } },
    },
    async (request) => {
      const retried = await actions().retryFailedJobs('all');
      await auditChange(deps.db, request, { action: 'job.retry-all', target: { type: 'job', id: 'all' }, details: { retried } });
      return { retried };
    },
  );
};

export default jobRoutes;
