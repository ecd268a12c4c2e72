import { HubError } from '../../core/errors.ts';
import type { ConnectorDefinition, WebhookVerdict } from '../../connectors/_kit/definition.ts';
import { openConfigSecrets } from '../../core/secrets/secret-box.ts';
import { archivePayload, archiveStream, recordPayloadVerdict } from '../../core/orders/raw-archive.ts';
import type { PushedRequest, UploadRequest, WebhookReceipt } from '../../core/ports.ts';
import { charsetOf } from '../../lib/text-bytes.ts';
import { silentLogger, type JobLogger, type ProcessorContext } from '../runtime/types.ts';

export type InboundWebhook = PushedRequest;

/** Queues the reading of an archived payload (the runner's process-payload job). */
export type PayloadEnqueuer = (payloadId: string) => Promise<unknown>;

/**
 * A pushed payload: verified by the channel's connector before anything is stored (a rejected or
 * ping request leaves no trace), archived raw, and queued to be read into orders by a job. The
 * answer goes back once the body is archived, so a hiccup while mapping never makes the sender
 * count a failed delivery: the job retries, and the sweep re-queues a payload whose job was lost.
 * The same body delivered twice is one payload, read once. A disabled channel refuses (conflict).
 */
export async function receiveWebhook(ctx: ProcessorContext, channelId: string, request: InboundWebhook, enqueue: PayloadEnqueuer): Promise<WebhookReceipt> {
  const { db, registry } = ctx;
  const logger = ctx.logger ?? silentLogger;
  const channel = await db.prisma.channel.findUnique({ where: { id: channelId } });
  if (!channel) throw new HubError('not_found', `Channel ${channelId} does not exist.`);
  const connector = registry.requireConnector(channel.connectorType);
  if (!connector.webhook) {
    throw new HubError('not_allowed', `Channel "${channel.name}" (${connector.type}) does not receive webhooks.`);
  }

  const pushed = { headers: request.headers, rawBody: request.rawBody, url: request.url };
  if (request.tooLarge) return refuseTooLarge(ctx, channel, connector.webhook, pushed, request);
  // The webhook's secret (signature key, bearer token) is decrypted for the check only.
  const config = openConfigSecrets(channel.config, undefined, `Channel "${channel.name}" config`);
  const verdict = connector.webhook.verify(pushed, config);
  if (verdict.kind !== 'accepted') return answerUnaccepted(verdict, channelId, 'webhook', logger);
  refuseIfDisabled(channel, 'webhook', logger);

  // The bytes are archived as they came, whatever they are (NUL bytes, gzip, UTF-16): a body that is
  // not text is then failed by its reader with a clear error, never refused here. Connectors whose
  // senders use other character sets say which (their content type's charset guides the archive).
  const decoded = connector.webhook.decode?.(pushed, config);
  const archived = await archivePayload(db, {
    channelId,
    kind: request.kind ?? 'webhook',
    source: verdict.topic,
    contentType: decoded?.contentType ?? header(request.headers, 'content-type'),
    body: request.rawBody,
    encoding: decoded?.encoding,
  });
  return queueArchived(archived, enqueue, channelId, 'webhook', logger);
}

/**
 * An uploaded file, streamed into the archive as it arrives (see HubActions.receiveUpload): the
 * connector proves the sender from the headers (a wrong token is refused before a byte is read),
 * says what the bytes are from their start and what was learnt of all of them, and core archives
 * the pieces; the connector never sees more than the start and never writes the database. A file
 * past the channel's limit is refused like a webhook body (the refusal recorded with its start).
 */
export async function receiveUpload(ctx: ProcessorContext, channelId: string, request: UploadRequest, enqueue: PayloadEnqueuer): Promise<WebhookReceipt> {
  const { db, registry } = ctx;
  const logger = ctx.logger ?? silentLogger;
  const channel = await db.prisma.channel.findUnique({ where: { id: channelId } });
  if (!channel) throw new HubError('not_found', `Channel ${channelId} does not exist.`);
  const connector = registry.requireConnector(channel.connectorType);
  const handler = connector.webhook;
  if (!handler?.verifyUpload) {
    throw new HubError('not_allowed', `Channel "${channel.name}" (${connector.type}) does not receive file uploads.`);
  }
  const headersOnly = { headers: request.headers, url: request.url };
  // The upload token is a secret: sealed at rest, opened only here.
  const config = openConfigSecrets(channel.config, undefined, `Channel "${channel.name}" config`);
  const verdict = handler.verifyUpload(headersOnly, config);
  if (verdict.kind !== 'accepted') return answerUnaccepted(verdict, channelId, 'upload', logger);
  refuseIfDisabled(channel, 'upload', logger);

  const declaredType = header(request.headers, 'content-type');
  const archived = await archiveStream(
    db,
    {
      channelId,
      kind: 'upload',
      // Errors and listings name the file ("from ORDERS_0412.edi"), else where it came in.
      source: request.fileName ?? verdict.topic,
      charsets: [charsetOf(declaredType)],
      describe({ head, size, sniffer }) {
        if (request.refused()) return undefined;
        const decoded = handler.decode?.({ ...headersOnly, rawBody: head }, config, { size, encoding: sniffer.encoding(), utf8: sniffer.validUtf8 });
        return { contentType: decoded?.contentType ?? declaredType, encoding: sniffer.encoding(decoded?.encoding ?? charsetOf(declaredType)) };
      },
    },
    request.body,
  );
  if (!archived) {
    const refused = request.refused()!;
    return refuseTooLarge(ctx, channel, handler, { ...headersOnly, rawBody: refused.start }, { ...headersOnly, rawBody: refused.start, kind: 'upload', tooLarge: refused }, request.fileName);
  }
  return queueArchived(archived, enqueue, channelId, 'upload', logger);
}

type PushKind = 'webhook' | 'upload';

/** A ping is answered, a push the connector did not prove is refused (logged): nothing is stored. */
function answerUnaccepted(verdict: Exclude<WebhookVerdict, { kind: 'accepted' }>, channelId: string, kind: PushKind, logger: JobLogger): WebhookReceipt {
  if (verdict.kind === 'ping') return { kind: 'ping' };
  logger.warn({ channelId, reason: verdict.reason }, `${kind} rejected`);
  return { kind: 'rejected', reason: verdict.reason };
}

function refuseIfDisabled(channel: { id: string; name: string; enabled: boolean }, kind: PushKind, logger: JobLogger): void {
  if (channel.enabled) return;
  logger.warn({ channelId: channel.id }, `${kind} refused: the channel is disabled`);
  throw new HubError('conflict', `Channel "${channel.name}" is disabled; its ${kind}s are refused until it is enabled again.`);
}

/**
 * Queues the reading of an archived push (a duplicate only while it is still pending). A queue that
 * cannot be reached does not refuse the delivery: the payload is archived as pending and the sweep
 * queues it again.
 */
async function queueArchived(archived: { id: string; duplicate: boolean; status: string }, enqueue: PayloadEnqueuer, channelId: string, kind: PushKind, logger: JobLogger): Promise<WebhookReceipt> {
  if (!archived.duplicate || archived.status === 'pending') {
    try {
      await enqueue(archived.id);
    } catch (error) {
      logger.error({ channelId, payloadId: archived.id, err: error }, `could not queue the ${kind === 'upload' ? 'uploaded' : 'webhook'} payload; the sweep will pick it up`);
    }
  }
  return { kind: 'accepted', payloadId: archived.id, duplicate: archived.duplicate };
}

/** The channel's own limit for pushes (undefined: the API's default applies). */
export async function pushLimitOf(ctx: ProcessorContext, channelId: string): Promise<number | undefined> {
  const channel = await ctx.db.prisma.channel.findUnique({ where: { id: channelId }, select: { connectorType: true, config: true } });
  if (!channel) return undefined;
  return ctx.registry.connector(channel.connectorType)?.webhook?.maxBodyBytes?.(openConfigSecrets(channel.config));
}

/**
 * A push larger than the channel accepts is refused. When the sender proves who it is from the
 * headers alone (an EDI partner's upload token), the refusal is recorded as a failed payload that
 * keeps the body's start, so ops see what was sent and why it was refused; a sender whose signature
 * covers the whole body cannot be told from a stranger, so nothing of it is stored.
 */
async function refuseTooLarge(
  ctx: ProcessorContext,
  channel: { id: string; name: string; config: unknown },
  handler: NonNullable<ConnectorDefinition['webhook']>,
  pushed: { headers: InboundWebhook['headers']; rawBody: Buffer; url: string | undefined },
  request: InboundWebhook,
  fileName?: string | undefined,
): Promise<WebhookReceipt> {
  const { size, limit } = request.tooLarge!;
  const logger = ctx.logger ?? silentLogger;
  const what = request.kind === 'upload' ? 'file' : 'body';
  const error = `The ${what} is larger than channel "${channel.name}" accepts (${size > limit ? `${size} bytes or more` : `${size} bytes`}; the limit is ${limit} bytes); only its start is kept.`;
  logger.warn({ channelId: channel.id, size, limit }, `push refused: larger than the channel's limit of ${limit} bytes`);
  const config = openConfigSecrets(channel.config, undefined, `Channel "${channel.name}" config`);
  const proven = handler.verifyUpload && request.kind === 'upload' ? handler.verifyUpload(pushed, config) : handler.verify(pushed, config);
  if (proven.kind !== 'accepted') return { kind: 'too_large', limit };
  const archived = await archivePayload(ctx.db, {
    channelId: channel.id,
    kind: request.kind ?? 'webhook',
    source: `${fileName ? `${fileName}, ` : ''}refused above ${limit} bytes`,
    contentType: 'text/plain',
    // The note comes first: ops read why at once, and reading the payload again can never import part of a refused file.
    body: Buffer.concat([Buffer.from(`Refused: ${size} bytes or more, above the channel's limit of ${limit} bytes. Its first ${pushed.rawBody.length} bytes follow.\n`), pushed.rawBody]),
  });
  await recordPayloadVerdict(ctx.db, archived.id, { status: 'failed', errorCode: 'invalid_data', error, orderCount: 0 });
  return { kind: 'too_large', limit, payloadId: archived.id };
}

function header(headers: InboundWebhook['headers'], name: string): string | undefined {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  const value = entry?.[1];
  return Array.isArray(value) ? value[0] : value;
}
