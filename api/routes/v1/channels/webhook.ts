import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pipeline, Transform, type Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChannelService } from '../../../../core/channels/channels.ts';
import type { RouteDeps } from '../../../deps.ts';
import type { WebhookReceipt } from '../../../../core/ports.ts';
import { WebhookAcceptedSchema, WebhookPingSchema } from '../../../schemas/channels.ts';
import { errors, IdParamsSchema } from '../../../schemas/common.ts';
import { errorBody } from '../../../errors.ts';
import { channelCredential } from '../../../auth/access.ts';
import { uploadedFileName } from '../../../../lib/file-name.ts';

export const DEFAULT_WEBHOOK_BODY_LIMIT = 10 * 1024 * 1024;
/** No channel accepts more (the EDI connector's maxFileBytes tops out here); each channel's own limit is applied while the body streams in. */
export const LARGEST_PUSH_BYTES = 512 * 1024 * 1024;
/** What is kept of a refused body: enough for ops to see what it was. */
const KEPT_START_BYTES = 2048;

/** A push cut at its channel's limit: its start, and how much had arrived when it was cut. */
interface CutPush {
  limit: number;
  received: number;
  start: Buffer[];
  kept: number;
  cut: boolean;
}
const cutPushes = new WeakMap<object, CutPush>();

/**
 * Passes the body through up to the channel's limit. Past it, nothing more is passed on (the parser
 * sees a short body, never a big one) and the rest is read and dropped, so memory stays bounded
 * whatever the sender sends; the handler then answers 413 naming the limit.
 */
function limitTo(limit: number, push: CutPush): Transform & { receivedEncodedLength: number } {
  const cap: Transform & { receivedEncodedLength: number } = Object.assign(new Transform({
    transform(chunk: Buffer, _encoding, done) {
      push.received += chunk.length;
      // What arrived, not what is passed on: fastify compares it with Content-Length.
      cap.receivedEncodedLength = push.received;
      if (push.kept < KEPT_START_BYTES) {
        const part = chunk.subarray(0, KEPT_START_BYTES - push.kept);
        push.start.push(part);
        push.kept += part.length;
      }
      if (push.cut) return done();
      if (push.received > limit) {
        push.cut = true;
        return done();
      }
      done(null, chunk);
    },
  }), { receivedEncodedLength: 0 });
  return cap;
}

/**
 * POST /v1/channels/:id/webhook. Signatures are computed over the exact bytes the sender sent,
 * so in this context every content type is kept as a Buffer, never parsed and re-serialised.
 */
const webhookRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const defaultLimit = deps.webhookBodyLimit ?? DEFAULT_WEBHOOK_BODY_LIMIT;
  const bodyLimit = Math.max(defaultLimit, LARGEST_PUSH_BYTES);
  const channels = new ChannelService(deps.db, deps.catalog);

  // The channel's own limit (an EDI channel's maxFileBytes), known before a byte of the body is read.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const channelId = (request.params as { id?: string }).id;
    const limit = (channelId ? await deps.actions.pushLimit?.(channelId) : undefined) ?? defaultLimit;
    const push: CutPush = { limit, received: 0, start: [], kept: 0, cut: false };
    cutPushes.set(request, push);
    // pipeline, not pipe: a client that goes away mid-body fails the stream its reader waits on.
    return pipeline(payload, limitTo(limit, push), () => undefined);
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded', '*'], { parseAs: 'buffer', bodyLimit }, (_request, body, done) => {
    done(null, body);
  });

  /** The refusal of a push cut at its limit: the size seen (or declared) and the body's kept start. */
  const refusalOf = (request: FastifyRequest, push: CutPush | undefined) => {
    if (!push?.cut) return undefined;
    const declared = Number(request.headers['content-length']);
    return { size: Math.max(push.received, Number.isFinite(declared) ? declared : 0), limit: push.limit, start: Buffer.concat(push.start) };
  };

  const receive = (kind: 'webhook' | 'upload') => async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, body?: Buffer) => {
    await channels.get(request.params.id);
    const push = cutPushes.get(request);
    const refused = refusalOf(request, push);
    const rawBody = refused ? refused.start : (body ?? (Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)));
    const tooLarge = refused && { size: refused.size, limit: refused.limit };
    const receipt = await deps.actions.receiveWebhook(request.params.id, { headers: request.headers, rawBody, url: request.url, kind, tooLarge });
    if (tooLarge) return tooLargeAnswer(reply, kind, tooLarge.limit, receipt);
    return answer(reply, receipt);
  };

  /** Refused whatever the action made of it (it records the refusal when it knows the sender). */
  const tooLargeAnswer = (reply: FastifyReply, kind: 'webhook' | 'upload', limit: number, receipt: WebhookReceipt) => {
    const payloadId = receipt.kind === 'too_large' ? receipt.payloadId : undefined;
    return reply.code(413).send(
      errorBody('invalid_data', `The ${kind === 'upload' ? 'file' : 'body'} is larger than this channel accepts: the limit is ${limit} bytes.`, undefined, {
        reason: 'too_large',
        limit,
        ...(payloadId && { payloadId }),
      }),
    );
  };

  const answer = (reply: FastifyReply, receipt: WebhookReceipt) => {
    switch (receipt.kind) {
      case 'ping':
        return reply.code(200).send({ ok: true as const });
      case 'accepted':
        return reply.code(202).send({ payloadId: receipt.payloadId, duplicate: receipt.duplicate });
      case 'rejected':
        return reply.code(401).send(errorBody('unauthorized', receipt.reason));
      case 'too_large':
        return reply.code(413).send(errorBody('invalid_data', `The body is larger than this channel accepts: the limit is ${receipt.limit} bytes.`, undefined, { reason: 'too_large', limit: receipt.limit }));
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

  /**
   * An uploaded file streams from the request into the archive (receiveUpload): it is never held
   * whole, whatever its size up to the channel's limit. Its own context passes the body on unread.
   */
  const upload = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const stream = request.body as Readable;
    if (!deps.actions.receiveUpload) {
      // A hub without streaming uploads: read it (cut at the limit) and take it like a webhook body.
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return receive('upload')(request, reply, Buffer.concat(chunks));
    }
    await channels.get(request.params.id);
    const push = cutPushes.get(request);
    const fileName = uploadedFileName(request.headers);
    let receipt: WebhookReceipt;
    try {
      receipt = await deps.actions.receiveUpload(request.params.id, {
        headers: request.headers,
        url: request.url,
        body: stream,
        refused: () => refusalOf(request, push),
        fileName,
      });
    } catch (error) {
      // Node fails a request whose connection closed mid-body with ECONNRESET ("aborted"); anything else is the hub's own error.
      if ((request.raw.errored as NodeJS.ErrnoException | null)?.code !== 'ECONNRESET') throw error;
      // The sender went away mid-file: nothing was stored (the archive rolled back), and there is nobody to answer.
      request.log.info({ channelId: request.params.id }, 'upload broke off before the file ended; nothing stored');
      return reply.code(400).send(errorBody('invalid_data', 'The upload broke off before the file ended; nothing was stored.'));
    }
    if (receipt.kind === 'too_large') return tooLargeAnswer(reply, 'upload', receipt.limit, receipt);
    return answer(reply, receipt);
  };

  await app.register(async (files) => {
    files.removeAllContentTypeParsers();
    files.addContentTypeParser('*', { bodyLimit }, (_request, payload, done) => done(null, payload));
    files.post(
      '/channels/:id/files',
      {
        config: channelCredential('the EDI channel\'s upload token (Authorization: Bearer) authenticates the partner'),
        bodyLimit,
        schema: {
          tags: ['channels'],
          summary: 'Upload a file to a channel (an EDI interchange), authenticated with the channel upload token; archived as received',
          description:
            'The body is the file, any content type, streamed into the archive as it arrives (up to the channel\'s maxFileBytes; a larger file gets a 413 naming the limit and is recorded as a failed payload). ' +
            'Name the file with `Content-Disposition: attachment; filename="…"` or `X-File-Name`: the payload records it (path removed, at most 200 characters) and its errors say "from <name>". ' +
            'The same bytes sent again answer 202 with `duplicate: true` and are read once.',
          params: IdParamsSchema,
          headers: Type.Object({
            'content-disposition': Type.Optional(Type.String({ description: 'attachment; filename="ORDERS_0412.edi" (filename*=UTF-8\'\'… for other characters)' })),
            'x-file-name': Type.Optional(Type.String({ description: 'The file name, when Content-Disposition is not sent (percent-encoding allowed)' })),
          }),
          response: { 202: WebhookAcceptedSchema, ...errors(400, 401, 404, 409, 413) },
        },
      },
      upload,
    );
  });
};

export default webhookRoutes;
