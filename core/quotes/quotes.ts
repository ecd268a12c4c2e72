import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { Prisma, Quote, QuoteVersion } from '../db/generated/client.ts';
import { HubError } from '../errors.ts';
import { ManualOrderContentSchema, priceOrder, type ManualOrderContent, type PricedOrder } from '../model/manual-order.ts';
import { assertValid } from '../model/validate.ts';
import { processPayload, type MappingLookup, type PayloadOutcome } from '../orders/payload-processing.ts';
import { archivePayload } from '../orders/raw-archive.ts';
import { checkQuoteAction, type QuoteAction, type QuoteStatus } from './quote-status.ts';

/** The connector type whose channels take manual orders and quotes. */
export const MANUAL_CONNECTOR = 'manual';

export interface QuoteView {
  id: string;
  number: string;
  channelId: string;
  status: QuoteStatus;
  version: number;
  content: ManualOrderContent;
  priced: PricedOrder['totals'];
  createdBy: string;
  lostReason: string | null;
  sentAt: string | null;
  acceptedAt: string | null;
  lostAt: string | null;
  convertedAt: string | null;
  orderId: string | null;
  createdAt: string;
  updatedAt: string;
  versions?: { version: number; changedBy: string; createdAt: string; content: ManualOrderContent }[];
}

/**
 * Quotes of the sales desk. Every revision is a version; an accepted quote converts into an order
 * of its (manual) channel exactly once: the order's external id is derived from the quote number,
 * so two conversions at once meet in the same idempotent intake, and the link is set with a
 * conditional update.
 */
export class QuoteService {
  constructor(
    private readonly db: Database,
    private readonly mappingFor: MappingLookup,
    /** What follows intake of the converted order (the composition root runs the stock check). */
    private readonly afterIntake: (outcome: PayloadOutcome) => Promise<unknown> = async () => undefined,
  ) {}

  async create(input: { channelId: string; content: unknown; createdBy: string }): Promise<QuoteView> {
    const content = assertValid(ManualOrderContentSchema, input.content, 'quote');
    const channel = await this.db.prisma.channel.findUnique({ where: { id: input.channelId } });
    if (!channel) throw new HubError('not_found', `Channel ${input.channelId} does not exist.`, { field: 'channelId' });
    if (channel.connectorType !== MANUAL_CONNECTOR) {
      throw new HubError('invalid_data', `Quotes belong to a manual channel; "${channel.name}" is a ${channel.connectorType} channel.`, { field: 'channelId' });
    }
    for (let attempt = 0; ; attempt++) {
      const number = `Q-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex').toUpperCase()}`;
      try {
        const quote = await this.db.prisma.quote.create({
          data: {
            number,
            channelId: channel.id,
            status: 'draft',
            content: content as object,
            createdBy: input.createdBy,
            versions: { create: { version: 1, content: content as object, changedBy: input.createdBy } },
          },
          include: { versions: true },
        });
        return toView(quote);
      } catch (error) {
        if ((error as { code?: string }).code !== 'P2002' || attempt >= 4) throw error;
      }
    }
  }

  async revise(id: string, content: unknown, changedBy: string): Promise<QuoteView> {
    const valid = assertValid(ManualOrderContentSchema, content, 'quote');
    return this.transition(id, 'revise', async (quote, tx) => {
      const version = quote.version + 1;
      await tx.quoteVersion.create({ data: { quoteId: id, version, content: valid as object, changedBy } });
      // A revised quote has to be sent again.
      return { version, content: valid as object, status: 'draft' };
    });
  }

  send(id: string): Promise<QuoteView> {
    return this.transition(id, 'send', async () => ({ status: 'sent', sentAt: new Date() }));
  }

  accept(id: string): Promise<QuoteView> {
    return this.transition(id, 'accept', async () => ({ status: 'accepted', acceptedAt: new Date() }));
  }

  lose(id: string, reason: string): Promise<QuoteView> {
    if (!reason.trim()) throw new HubError('invalid_data', 'Say why the quote was lost.', { field: 'reason' });
    return this.transition(id, 'lose', async () => ({ status: 'lost', lostAt: new Date(), lostReason: reason }));
  }

  /** Converts an accepted quote into an order, once; converting again answers the same order. */
  async convert(id: string): Promise<{ quote: QuoteView; orderId: string; created: boolean }> {
    const quote = await this.getRow(id);
    if (quote.orderId) return { quote: toView(quote), orderId: quote.orderId, created: false };
    const verdict = checkQuoteAction(quote.status as QuoteStatus, 'convert');
    if (!verdict.allowed) throw new HubError('conflict', `Quote ${quote.number}: ${verdict.reason}.`);

    const externalId = `quote-${quote.number}`;
    // Deterministic body: a second conversion archives the same payload and meets the same order.
    const body = JSON.stringify({
      receivedAt: quote.acceptedAt!.toISOString(),
      externalId,
      order: { ...(quote.content as object), operator: quote.createdBy, via: 'quote', externalId, number: quote.number },
    });
    const archived = await archivePayload(this.db, { channelId: quote.channelId, kind: 'push', source: `quote ${quote.number}`, contentType: 'application/json', body });
    const outcome = await processPayload(this.db, archived.id, this.mappingFor);
    await this.afterIntake(outcome);
    const orderId = outcome.results.find((r) => r.orderId)?.orderId;
    if (!orderId) throw new HubError('invalid_data', `Quote ${quote.number} could not become an order: ${outcome.error ?? 'no order was produced'}.`);

    const linked = await this.db.prisma.$transaction(async (tx) => {
      const claimed = await tx.quote.updateMany({ where: { id, orderId: null }, data: { orderId, status: 'converted', convertedAt: new Date() } });
      if (claimed.count === 1) await tx.order.update({ where: { id: orderId }, data: { quoteId: id } });
      return claimed.count === 1;
    });
    const after = await this.getRow(id);
    return { quote: toView(after), orderId: after.orderId!, created: linked };
  }

  async get(id: string, options: { withVersions?: boolean } = {}): Promise<QuoteView> {
    return toView(await this.getRow(id, options.withVersions));
  }

  async list(filter: { status?: QuoteStatus; channelId?: string } = {}): Promise<QuoteView[]> {
    const quotes = await this.db.prisma.quote.findMany({ where: filter, orderBy: { createdAt: 'desc' }, take: 500 });
    return quotes.map((q) => toView(q));
  }

  private async getRow(id: string, withVersions = false) {
    const quote = await this.db.prisma.quote.findUnique({ where: { id }, include: { versions: withVersions ? { orderBy: { version: 'asc' } } : false } });
    if (!quote) throw new HubError('not_found', `Quote ${id} does not exist.`);
    return quote;
  }

  /** Applies an action under a row lock so concurrent actions on one quote are serialised. */
  private async transition(id: string, action: QuoteAction, change: (quote: Quote, tx: Prisma.TransactionClient) => Promise<Record<string, unknown>>): Promise<QuoteView> {
    await this.db.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ status: string }[]>(`SELECT status FROM quote WHERE id = $1 FOR UPDATE`, id);
      if (rows.length === 0) throw new HubError('not_found', `Quote ${id} does not exist.`);
      const quote = await tx.quote.findUniqueOrThrow({ where: { id } });
      const verdict = checkQuoteAction(quote.status as QuoteStatus, action);
      if (!verdict.allowed) throw new HubError('conflict', `Quote ${quote.number}: ${verdict.reason}.`);
      const data = await change(quote, tx);
      await tx.quote.update({ where: { id }, data });
    });
    return this.get(id, { withVersions: true });
  }
}

function toView(quote: Quote & { versions?: QuoteVersion[] }): QuoteView {
  const content = quote.content as ManualOrderContent;
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: quote.id,
    number: quote.number,
    channelId: quote.channelId,
    status: quote.status as QuoteStatus,
    version: quote.version,
    content,
    priced: priceOrder(content).totals,
    createdBy: quote.createdBy,
    lostReason: quote.lostReason,
    sentAt: iso(quote.sentAt),
    acceptedAt: iso(quote.acceptedAt),
    lostAt: iso(quote.lostAt),
    convertedAt: iso(quote.convertedAt),
    orderId: quote.orderId,
    createdAt: quote.createdAt.toISOString(),
    updatedAt: quote.updatedAt.toISOString(),
    ...(quote.versions && {
      versions: quote.versions.map((v) => ({ version: v.version, changedBy: v.changedBy, createdAt: v.createdAt.toISOString(), content: v.content as ManualOrderContent })),
    }),
  };
}
