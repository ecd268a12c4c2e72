import { HubError } from '../../core/errors.ts';
import { processPayload } from '../../core/orders/payload-processing.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import type { WebhookReceipt } from '../../core/ports.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';

export interface InboundWebhook {
  headers: Record<string, string | string[] | undefined>;
  /** The body bytes as received: the signature is computed over them. */
  rawBody: Buffer;
}

/**
 * A pushed payload: verified by the channel's connector before anything is stored (a rejected or
 * ping request leaves no trace), then archived raw and read into orders. The same body delivered
 * twice is one payload, read once.
 */
export async function receiveWebhook(ctx: ProcessorContext, channelId: string, request: InboundWebhook): Promise<WebhookReceipt> {
  const { db, registry } = ctx;
  const logger = ctx.logger ?? silentLogger;
  const channel = await db.prisma.channel.findUnique({ where: { id: channelId } });
  if (!channel) throw new HubError('not_found', `Channel ${channelId} does not exist.`);
  const connector = registry.requireConnector(channel.connectorType);
  if (!connector.webhook) {
    throw new HubError('not_allowed', `Channel "${channel.name}" (${connector.type}) does not receive webhooks.`);
  }

  const verdict = connector.webhook.verify({ headers: request.headers, rawBody: request.rawBody }, channel.config);
  if (verdict.kind === 'ping') return { kind: 'ping' };
  if (verdict.kind === 'rejected') {
    logger.warn({ channelId, reason: verdict.reason }, 'webhook rejected');
    return { kind: 'rejected', reason: verdict.reason };
  }

  const archived = await archivePayload(db, {
    channelId,
    kind: 'webhook',
    source: verdict.topic,
    contentType: header(request.headers, 'content-type'),
    body: request.rawBody.toString('utf8'),
  });
  if (!archived.duplicate || archived.status === 'pending') {
    const outcome = await processPayload(db, archived.id, registry.mappingFor);
    logger.info({ channelId, payloadId: archived.id, status: outcome.status, orders: outcome.orderCount }, 'webhook payload processed');
  }
  return { kind: 'accepted', payloadId: archived.id, duplicate: archived.duplicate };
}

function header(headers: InboundWebhook['headers'], name: string): string | undefined {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  const value = entry?.[1];
  return Array.isArray(value) ? value[0] : value;
}
