import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChannelService } from '../../../../core/channels/channels.ts';
import type { RouteDeps } from '../../../deps.ts';
import { WebhookAcceptedSchema, WebhookPingSchema } from '../../../schemas/channels.ts';
import { errors, IdParamsSchema } from '../../../schemas/common.ts';
import { errorBody } from '../../../errors.ts';
import { channelCredential } from '../../../auth/access.ts';

export const DEFAULT_WEBHOOK_BODY_LIMIT = 10 * 1024 * 1024;

/**
 * POST /v1/channels/:id/webhook. Signatures are computed over the exact bytes the sender sent,
 * so in this context every content type is kept as a Buffer, never parsed and re-serialised.
 */
const webhookRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const bodyLimit = deps.webhookBodyLimit ?? DEFAULT_WEBHOOK_BODY_LIMIT;
  const channels = new ChannelService(deps.db, deps.catalog);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded', '*'], { parseAs: 'buffer', bodyLimit }, (_request, body, done) => {
    done(null, body);
  });

  const receive = (kind: 'webhook' | 'upload') => async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    await channels.get(request.params.id);
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const receipt = await deps.actions.receiveWebhook(request.params.id, { headers: request.headers, rawBody, url: request.url, kind });
    switch (receipt.kind) {
      case 'ping':
        return reply.code(200).send({ ok: true as const });
      case 'accepted':
        return reply.code(202).send({ payloadId: receipt.payloadId, duplicate: receipt.duplicate });
      case 'rejected':
        return reply.code(401).send(errorBody('unauthorized', receipt.reason));
    }
  };

  app.post(
    '/channels/:id/webhook',
    {
      config: channelCredential('the connector checks the shop\'s signature, URL token or the POS store key over the raw body'),
      bodyLimit,
      schema: {
        tags: ['channels'],
        summary: 'Receive a pushed payload (webhook, POS sale); the signature or key is checked over the raw body',
        params: IdParamsSchema,
        response: { 200: WebhookPingSchema, 202: WebhookAcceptedSchema, ...errors(401, 404, 409, 413) },
      },
    },
    receive('webhook'),
  );

  app.post(
    '/channels/:id/files',
    {
      config: channelCredential('the EDI channel\'s upload token (Authorization: Bearer) authenticates the partner'),
      bodyLimit,
      schema: {
        tags: ['channels'],
        summary: 'Upload a file to a channel (an EDI interchange), authenticated with the channel upload token; archived as received',
        params: IdParamsSchema,
        response: { 202: WebhookAcceptedSchema, ...errors(401, 404, 409, 413) },
      },
    },
    receive('upload'),
  );
};

export default webhookRoutes;
