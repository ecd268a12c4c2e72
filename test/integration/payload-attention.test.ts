import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../core/audit/actor.ts';
import { ChannelService } from '../../core/channels/channels.ts';
import { acknowledgePayload } from '../../core/orders/payload-attention.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { listRawPayloads } from '../../core/orders/raw-payload-queries.ts';
import { reprocessFailedPayloads, reprocessPayload } from '../../jobs/processors/process-payload.ts';
import type { ProcessorContext } from '../../jobs/runtime/types.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { pagedShop } from '../helpers/paged-shop.ts';

const anna: Actor = { login: 'anna.ops', userId: null, via: 'token', ip: '10.0.0.7' };
const bob: Actor = { login: 'bob.ops', userId: null, via: 'session', ip: '10.0.0.8' };

describe('failed payloads: acknowledged by ops, resolved by a reprocess', () => {
  let t: TestDatabase;
  let ctx: ProcessorContext;
  let kit: ReturnType<typeof pagedShop>;
  let channelId: string;

  /** A payload of the paged shop, read once: failed when every row is broken. */
  async function payload(rows: { id: string; broken?: boolean }[]): Promise<string> {
    const body = JSON.stringify(rows.map((r) => ({ id: r.id, total: '10.00', ...(r.broken && { broken: true }) })));
    const stored = await archivePayload(t.db, { channelId, kind: 'webhook', source: 'order.updated', contentType: 'application/json', body });
    await reprocessPayload(ctx, stored.id);
    return stored.id;
  }

  async function needsAttention(includeAcknowledged = false): Promise<string[]> {
    return (await listRawPayloads(t.db, { status: 'errors', channelId, includeAcknowledged })).items.map((p) => p.id);
  }

  beforeAll(async () => {
    t = await createTestPostgres();
    kit = pagedShop();
    ctx = { db: t.db, registry: kit.registry, leaseTtlMs: 30_000 };
    channelId = (await new ChannelService(t.db, kit.registry).create({ name: 'Attention shop', connectorType: 'paged', config: { token: 't' } })).id;
  });
  afterAll(() => t.drop());

  it('an acknowledged payload stays failed, says who, when and why, and leaves the needs-attention list and the reprocess sweep', async () => {
    const id = await payload([{ id: 'ACK-1', broken: true }]);
    expect(await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'failed' });
    expect(await needsAttention()).toContain(id);

    const at = new Date('2026-12-04T10:00:00Z');
    const ack = await acknowledgePayload(t.db, id, anna, '  test order from the shop owner, nothing to import  ', at);

    expect(ack).toEqual({ payloadId: id, status: 'failed', acknowledgedAt: at.toISOString(), acknowledgedBy: 'anna.ops', reason: 'test order from the shop owner, nothing to import' });
    const row = await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'failed', acknowledgedAt: at, acknowledgedBy: 'anna.ops', acknowledgeReason: 'test order from the shop owner, nothing to import', errorCode: 'invalid_data' });
    expect(await needsAttention()).not.toContain(id);
    expect(await needsAttention(true)).toContain(id);
    const audit = await t.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'payload.acknowledge', targetId: id } });
    expect(audit).toMatchObject({ actor: 'anna.ops', via: 'token', ip: '10.0.0.7' });

    // `hub reprocess --failed` reads only what needs attention: not the acknowledged one.
    const outcomes = await reprocessFailedPayloads(ctx, { channelId });
    expect(outcomes.map((o) => o.payloadId)).not.toContain(id);
  });

  it('refuses to acknowledge without a reason, a payload that did not fail, or one that does not exist', async () => {
    const failed = await payload([{ id: 'ACK-2', broken: true }]);
    await expect(acknowledgePayload(t.db, failed, anna, '   ')).rejects.toMatchObject({ code: 'invalid_data' });
    const parsed = await payload([{ id: 'ACK-3' }]);
    await expect(acknowledgePayload(t.db, parsed, anna, 'why not')).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('is parsed') });
    await expect(acknowledgePayload(t.db, '00000000-0000-4000-8000-00000000dead', anna, 'why not')).rejects.toMatchObject({ code: 'not_found' });
    expect((await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: failed } })).acknowledgedAt).toBeNull();
  });

  it('a reprocess that reads a failed payload resolves it and records who asked; one that still fails resolves nothing', async () => {
    const id = await payload([{ id: 'RES-1', broken: true }]);
    // Still broken: nothing resolved.
    await reprocessPayload(ctx, id, bob);
    expect(await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'failed', resolvedAt: null, resolvedBy: null });

    kit.shop.mappingFixed = true;
    try {
      const outcome = await reprocessPayload(ctx, id, bob);
      expect(outcome).toMatchObject({ status: 'parsed', orderCount: 1 });
    } finally {
      kit.shop.mappingFixed = false;
    }
    const row = await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'parsed', resolvedBy: 'bob.ops', errorCode: null });
    expect(row.resolvedAt).toBeInstanceOf(Date);
    expect(await needsAttention(true)).not.toContain(id);
    expect(await t.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'payload.resolve', targetId: id } })).toMatchObject({ actor: 'bob.ops', details: { before: 'failed', after: 'parsed' } });
  });
});
