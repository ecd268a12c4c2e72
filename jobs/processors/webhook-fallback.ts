import type { PayloadOutcome } from '../../core/orders/payload-processing.ts';
import { archivePayload, recordPayloadVerdict } from '../../core/orders/raw-archive.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';
import { connectorConfig } from '../registry.ts';

/** A webhook naming more orders than this is not a webhook: the rest waits for the next pull. */
const MAX_FETCHES_PER_PAYLOAD = 20;

/** What the fallback did for one order of a webhook that could not be read. */
export interface WebhookFallback {
  externalId: string;
  /** The archived answer of the shop (kind `pull`), when the fetch got one. */
  payloadId?: string | undefined;
  /** Its verdict after reading (`parsed`, `failed`, …), or `duplicate` when that very answer was read before. */
  status?: string | undefined;
  error?: string | undefined;
}

/**
 * A webhook whose orders could not be mapped stays failed (visible, reprocessable), and each order it
 * names by id is fetched from the shop's API by the channel's connector (`fetchOrder`), archived as a
 * pulled payload and read like one: the order is not lost until some later pull. Only for webhook
 * payloads of connectors that can fetch one order; records without an id, and drafts core refused,
 * are not fetched. A fetch that fails is logged and leaves the webhook as it is (reprocessing it tries
 * again). `read` reads an archived payload (the caller's processing, so no import cycle).
 */
export async function fetchUnmappedWebhookOrders(
  ctx: ProcessorContext,
  outcome: Pick<PayloadOutcome, 'payloadId' | 'errors' | 'results'>,
  read: (payloadId: string) => Promise<PayloadOutcome>,
): Promise<WebhookFallback[]> {
  if (outcome.errors.length === 0) return [];
  const logger = ctx.logger ?? silentLogger;
  const payload = await ctx.db.prisma.rawPayload.findUnique({
    where: { id: outcome.payloadId },
    select: { kind: true, channel: { select: { id: true, name: true, connectorType: true, config: true, enabled: true } } },
  });
  if (!payload || payload.kind !== 'webhook' || !payload.channel.enabled) return [];
  const connector = ctx.registry.connector(payload.channel.connectorType);
  if (!connector?.fetchOrder) return [];
  const refused = new Set(outcome.results.filter((r) => r.outcome === 'rejected').map((r) => r.externalId));
  const refs = [...new Set(outcome.errors.map((e) => e.ref).filter((ref): ref is string => !!ref && !ref.startsWith('#') && !refused.has(ref)))];
  const channel = payload.channel;
  const fallbacks: WebhookFallback[] = [];
  for (const externalId of refs.slice(0, MAX_FETCHES_PER_PAYLOAD)) {
    const fields = { channelId: channel.id, webhookPayloadId: outcome.payloadId, externalId };
    try {
      const config = connectorConfig(connector, channel.config, `Channel "${channel.name}" config`);
      const page = await connector.fetchOrder(config, externalId);
      const archived = await archivePayload(ctx.db, { channelId: channel.id, kind: 'pull', source: page.source, contentType: page.contentType, body: page.bytes ?? page.body, encoding: page.encoding });
      let status: string;
      if (page.error) {
        await recordPayloadVerdict(ctx.db, archived.id, { status: 'failed', errorCode: page.error.code, error: page.error.message, orderCount: 0 });
        status = 'failed';
      } else if (archived.duplicate && archived.status !== 'pending') {
        status = 'duplicate';
      } else {
        status = (await read(archived.id)).status;
      }
      fallbacks.push({ externalId, payloadId: archived.id, status });
      logger.info({ ...fields, payloadId: archived.id, status }, `order ${externalId} of an unreadable webhook was fetched from "${channel.name}"`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      fallbacks.push({ externalId, error: message });
      logger.warn({ ...fields, error: message }, `order ${externalId} of an unreadable webhook could not be fetched from "${channel.name}"; the webhook stays failed`);
    }
  }
  return fallbacks;
}
