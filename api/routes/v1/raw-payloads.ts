import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getRawPayload, listRawPayloads } from '../../../core/orders/raw-payload-queries.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors, IdParamsSchema } from '../../schemas/common.ts';
import { AcknowledgePayloadBodySchema, ListRawPayloadsQuerySchema, PayloadAcknowledgementSchema, RawPayloadDetailSchema, RawPayloadPageSchema, ReprocessOutcomeSchema } from '../../schemas/raw-payloads.ts';
import { acknowledgePayload } from '../../../core/orders/payload-attention.ts';
import { staff } from '../../auth/access.ts';
import { actorOf } from '../../auth/request-context.ts';

/** /v1/raw-payloads: the inbound archive, for finding and replaying what could not be read. */
const rawPayloadRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const tags = ['raw-payloads'];

  app.get(
    '/raw-payloads',
    {
      config: staff('payloads.read'),
      schema: {
        tags,
        summary: 'List stored payloads, newest first (bodies left out)',
        querystring: ListRawPayloadsQuerySchema,
        response: { 200: RawPayloadPageSchema, ...errors(400) },
      },
    },
    async (request) => listRawPayloads(deps.db, request.query),
  );

  app.get(
    '/raw-payloads/:id',
    {
      config: staff('payloads.read'),
      schema: { tags, summary: 'Get a stored payload with its body', params: IdParamsSchema, response: { 200: RawPayloadDetailSchema, ...errors(404) } },
    },
    async (request) => getRawPayload(deps.db, request.params.id),
  );

  app.post(
    '/raw-payloads/:id/reprocess',
    {
      config: staff('payloads.reprocess'),
      schema: {
        tags,
        summary: 'Read the payload into orders again (after a mapping fix)',
        params: IdParamsSchema,
        response: { 200: ReprocessOutcomeSchema, ...errors(404) },
      },
    },
    async (request) => {
      const outcome = await deps.actions.reprocessPayload(request.params.id, actorOf(request));
      // Counts over the whole payload: a large file's outcome keeps only its first results.
      const { created, updated, unchanged, stale, rejected } = outcome.counts;
      return {
        payloadId: outcome.payloadId,
        status: outcome.status,
        orderCount: outcome.orderCount,
        errorCode: outcome.errorCode ?? null,
        error: outcome.error ?? null,
        counts: { created, updated, unchanged, stale, rejected },
        errors: outcome.errors.map((e) => ({ ...(e.ref !== undefined && { ref: e.ref }), message: e.message })),
      };
    },
  );

  app.post(
    '/raw-payloads/:id/acknowledge',
    {
      config: staff('payloads.reprocess'),
      schema: {
        tags,
        summary: 'Acknowledge a failed payload: it stays failed, leaves the "needs attention" list; who is the signed-in caller',
        params: IdParamsSchema,
        body: AcknowledgePayloadBodySchema,
        response: { 200: PayloadAcknowledgementSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => acknowledgePayload(deps.db, request.params.id, actorOf(request), request.body.reason),
  );
};

export default rawPayloadRoutes;
