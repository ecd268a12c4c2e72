import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderLifecycle } from '../../core/flows/order-lifecycle.ts';
import { KEPT_RESULTS, MAX_UNFINISHED_TRIES, TRY_WINDOW_MS, processPayload, type IntakeChunk } from '../../core/orders/payload-processing.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { ediAcknowledgements } from '../../jobs/acknowledgement-formats.ts';
import { createRegistry } from '../../jobs/registry.ts';
import { createTestPostgres, type TestDatabase } from '../../testkit/databases.ts';

/**
 * A large EDIFACT interchange (generated from the constructed fixture's message: thousands of ORDERS)
 * streams into orders chunk by chunk on real PostgreSQL: each chunk is its own transaction, committed
 * and visible before the next is read; reading the file again changes nothing; a try cut short is
 * completed by the next; a failure that would repeat ends `failed` with its reason, never pending forever.
 */

const { mappingFor } = createRegistry();

/** UNH…UNT of the constructed full order (33 segments, 2 lines), as one line. */
const template = ((): string => {
  const text = readFileSync(new URL('../fixtures/edi/edifact/constructed-full-d96a.edi', import.meta.url), 'utf8').replace(/\r?\n/g, '');
  const start = text.indexOf('UNH+');
  return text.slice(start, text.indexOf("'", text.indexOf('UNT+', start)) + 1);
})();

/** One interchange of `count` distinct orders (PO-<tag>-1 … PO-<tag>-count). */
function interchange(tag: string, count: number): string {
  const parts = ["UNA:+.? '", `UNB+UNOC:3+4012345000009:14+4098765000010:14+20240311:0815+${tag}'`];
  for (let n = 1; n <= count; n++) {
    parts.push(template.replace(/^UNH\+[^+]*\+/, `UNH+M${n}+`).replace(/UNT\+(\d+)\+[^']*'$/, `UNT+$1+M${n}'`).replace(/BGM\+220\+[^+]*\+/, `BGM+220+PO-${tag}-${n}+`));
  }
  parts.push(`UNZ+${count}+${tag}'`);
  return parts.join('\n');
}

describe('a large EDIFACT interchange, chunk by chunk (PostgreSQL)', () => {
  let t: TestDatabase;
  let channelId: string;

  beforeAll(async () => {
    t = await createTestPostgres();
    channelId = (await t.db.prisma.channel.create({ data: { name: 'Partner', kind: 'edi', connectorType: 'edi', config: { ourId: '4098765000010' } } })).id;
  });
  afterAll(() => t?.drop());

  const upload = async (body: string) => (await archivePayload(t.db, { channelId, kind: 'upload', source: 'big.edi', contentType: 'application/edifact', body })).id;
  const ordersOf = async (prefix: string) => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "order" WHERE channel_id = $1 AND number LIKE $2`, [channelId, `${prefix}%`]))[0]!.n;
  const payloadRow = (id: string) => t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id }, select: { status: true, errorCode: true, error: true, orderCount: true, unfinishedTries: true } });

  describe('when 3,000 messages are read in chunks of 500', () => {
    let payloadId: string;
    const seenAfterChunk: { committed: number; inChunk: number }[] = [];

    beforeAll(async () => {
      payloadId = await upload(interchange('BIG', 3000));
    });

    it('creates every order, one transaction per chunk, each chunk committed before the next is read', async () => {
      const outcome = await processPayload(t.db, payloadId, mappingFor, {
        chunkSize: 500,
        // Another connection (the pool's) counts what is committed while the file is still being read.
        afterChunk: async (chunk: IntakeChunk) => void seenAfterChunk.push({ committed: await ordersOf('PO-BIG-'), inChunk: chunk.results.length }),
      });
      expect(outcome).toMatchObject({ status: 'parsed', orderCount: 3000, counts: { created: 3000, updated: 0, unchanged: 0, rejected: 0 } });
      expect(seenAfterChunk).toEqual([500, 1000, 1500, 2000, 2500, 3000].map((committed) => ({ committed, inChunk: 500 })));
      // Six chunks, six transactions: the rows' creating transaction ids tell them apart.
      const [{ transactions }] = (await t.db.query<{ transactions: number }>(`SELECT count(DISTINCT xmin::text)::int AS transactions FROM "order" WHERE channel_id = $1 AND number LIKE 'PO-BIG-%'`, [channelId])) as [{ transactions: number }];
      expect(transactions).toBe(6);
      // The outcome stays bounded: the first results, and counts for the whole file.
      expect(outcome.results).toHaveLength(KEPT_RESULTS);
      expect(outcome.drafts).toHaveLength(KEPT_RESULTS);
      expect(await payloadRow(payloadId)).toMatchObject({ status: 'parsed', orderCount: 3000, unfinishedTries: 0 });
    });

    it('changes nothing when the file is read again', async () => {
      const again = await processPayload(t.db, payloadId, mappingFor, { chunkSize: 500 });
      expect(again).toMatchObject({ status: 'parsed', orderCount: 3000, counts: { created: 0, updated: 0, unchanged: 3000 } });
      expect(await ordersOf('PO-BIG-')).toBe(3000);
      expect(await t.db.prisma.orderVersion.count({ where: { rawPayloadId: payloadId } })).toBe(3000);
    });
  });

  it('reads a large body from the archive slice by slice, never whole, with the same orders as a whole reading (characters split across slices included)', async () => {
    // Multi-byte names (ü, ő in UTF-8) so that slices of an odd byte count cut characters in two.
    const body = interchange('SLICE', 60).replaceAll('Hersteller GmbH', 'Kővári Győző Kft').replaceAll('Dübel', 'Dübelő');
    const streamedId = await upload(body);
    const sliceReads: number[] = [];
    const counting = { ...t.db, query: async <T,>(sql: string, params?: unknown[]) => {
      if (sql.includes('substring(body FROM $2')) sliceReads.push(params![1] as number);
      return t.db.query<T>(sql, params);
    } };
    const streamed = await processPayload(counting as typeof t.db, streamedId, mappingFor, { chunkSize: 25, streamFromBytes: 1024, streamSliceBytes: 4099 });
    expect(streamed).toMatchObject({ status: 'parsed', orderCount: 60, counts: { created: 60 } });
    // The body came in slices of 4,099 bytes, one after another.
    expect(sliceReads.length).toBe(Math.ceil(Buffer.byteLength(body) / 4099) + (Buffer.byteLength(body) % 4099 === 0 ? 1 : 0));
    expect(sliceReads.slice(0, 3)).toEqual([1, 4100, 8199]);
    // What it made is what a whole reading makes (the same body on another channel, read whole).
    const other = (await t.db.prisma.channel.create({ data: { name: 'Partner (whole)', kind: 'edi', connectorType: 'edi', config: { ourId: '4098765000010' } } })).id;
    const wholeId = (await archivePayload(t.db, { channelId: other, kind: 'upload', source: 'big.edi', contentType: 'application/edifact', body })).id;
    expect(await processPayload(t.db, wholeId, mappingFor, { chunkSize: 25 })).toMatchObject({ status: 'parsed', orderCount: 60 });
    const contents = async (channel: string) =>
      (await t.db.prisma.order.findMany({ where: { channelId: channel }, orderBy: { externalId: 'asc' }, select: { externalId: true, number: true, contentHash: true } })).map((o) => [o.number, o.contentHash]);
    const made = await contents(channelId);
    expect(made.filter(([n]) => String(n).startsWith('PO-SLICE-'))).toEqual(await contents(other));
    const line = await t.db.prisma.orderLine.findFirstOrThrow({ where: { order: { channelId, number: 'PO-SLICE-7' }, name: { contains: 'Dübel' } } });
    expect(line.name).toContain('Dübelő');
  });

  it('completes a try cut short mid-file: the next try takes the rest and the chunks already taken come back unchanged', async () => {
    const payloadId = await upload(interchange('CUT', 1200));
    let chunks = 0;
    const crash = new Error('worker stopped');
    await expect(
      processPayload(t.db, payloadId, mappingFor, {
        chunkSize: 400,
        afterChunk: async () => {
          if (++chunks === 2) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect(await ordersOf('PO-CUT-')).toBe(800);
    const stopped = await payloadRow(payloadId);
    expect(stopped).toMatchObject({ status: 'pending', unfinishedTries: 1 });
    expect(stopped.error).toBe(`try 1 of ${MAX_UNFINISHED_TRIES} failed, it is tried again: worker stopped`);

    const resumed = await processPayload(t.db, payloadId, mappingFor, { chunkSize: 400 });
    expect(resumed).toMatchObject({ status: 'parsed', orderCount: 1200, error: undefined, counts: { created: 400, unchanged: 800 } });
    expect(await ordersOf('PO-CUT-')).toBe(1200);
    expect(await payloadRow(payloadId)).toMatchObject({ status: 'parsed', error: null, unfinishedTries: 0 });
  });

  it('fails the payload with the database\'s reason when the database refuses a chunk in a way that would repeat (out of shared memory)', async () => {
    const payloadId = await upload(interchange('SHM', 900));
    // The database refuses the second chunk as it refused the whole file before: SQLSTATE 53200.
    await t.db.execScript(`
      CREATE FUNCTION refuse_shm() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.number = 'PO-SHM-600' THEN RAISE EXCEPTION 'out of shared memory' USING ERRCODE = '53200', HINT = 'You might need to increase max_locks_per_transaction.'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_shm BEFORE INSERT ON "order" FOR EACH ROW EXECUTE FUNCTION refuse_shm();`);
    try {
      const outcome = await processPayload(t.db, payloadId, mappingFor, { chunkSize: 300 });
      expect(outcome).toMatchObject({ status: 'failed', errorCode: 'database_refused', orderCount: 300 });
      const row = await payloadRow(payloadId);
      expect(row).toMatchObject({ status: 'failed', errorCode: 'database_refused', orderCount: 300, unfinishedTries: 0 });
      expect(row.error).toBe('the database refused it after 300 order(s) were taken: out of shared memory');
      expect(await ordersOf('PO-SHM-')).toBe(300);
    } finally {
      await t.db.execScript(`DROP TRIGGER refuse_shm ON "order"; DROP FUNCTION refuse_shm();`);
    }
    // Once the cause is gone, reading it again takes the rest.
    expect(await processPayload(t.db, payloadId, mappingFor, { chunkSize: 300 })).toMatchObject({ status: 'parsed', orderCount: 900, counts: { created: 600, unchanged: 300 } });
  });

  it('retries a failure that may pass, and fails the payload with the last reason after the last try', async () => {
    const payloadId = await upload(interchange('FLAKY', 10));
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    // Each try a little over the window after the last one (tries closer together count as one).
    let at = Date.parse('2026-12-03T10:00:00Z');
    const failing = { afterChunk: async () => Promise.reject(deadlock), clock: () => new Date((at += TRY_WINDOW_MS + 1000)) };
    for (let n = 1; n < MAX_UNFINISHED_TRIES; n++) {
      await expect(processPayload(t.db, payloadId, mappingFor, failing)).rejects.toBe(deadlock);
      expect(await payloadRow(payloadId)).toMatchObject({ status: 'pending', unfinishedTries: n, error: `try ${n} of ${MAX_UNFINISHED_TRIES} failed, it is tried again: deadlock detected` });
    }
    const last = await processPayload(t.db, payloadId, mappingFor, failing);
    expect(last).toMatchObject({ status: 'failed', errorCode: 'gave_up', error: `try ${MAX_UNFINISHED_TRIES} of ${MAX_UNFINISHED_TRIES} failed, giving up: deadlock detected` });
    expect(await payloadRow(payloadId)).toMatchObject({ status: 'failed', errorCode: 'gave_up', unfinishedTries: 0 });
  });

  it('counts readers of one payload at the same time as one try: none of them gives up', async () => {
    const payloadId = await upload(interchange('MANY', 10));
    const outcomes = await Promise.all(Array.from({ length: MAX_UNFINISHED_TRIES + 3 }, () => processPayload(t.db, payloadId, mappingFor)));
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map(() => 'parsed'));
    expect(await ordersOf('PO-MANY-')).toBe(10);
  });

  it('leaves the payload pending when the database is unreachable (an outage is retried, however long)', async () => {
    const payloadId = await upload(interchange('DOWN', 10));
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    for (let n = 1; n <= MAX_UNFINISHED_TRIES; n++) {
      await expect(processPayload(t.db, payloadId, mappingFor, { afterChunk: () => Promise.reject(outage) })).rejects.toBe(outage);
    }
    expect(await payloadRow(payloadId)).toMatchObject({ status: 'pending', error: null });
  });

  it('fails a payload whose tries keep ending without a word (a worker that died mid-file), without reading it again', async () => {
    const payloadId = await upload(interchange('DIED', 10));
    await t.db.query(`UPDATE raw_payload SET unfinished_tries = $2 WHERE id = $1`, [payloadId, MAX_UNFINISHED_TRIES]);
    const outcome = await processPayload(t.db, payloadId, mappingFor);
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'gave_up', orderCount: 0, error: `${MAX_UNFINISHED_TRIES} tries ended without a verdict (the worker failed or stopped mid-way)` });
    expect(await ordersOf('PO-DIED-')).toBe(0);
    // Ops read it again once the cause is fixed: the verdict reset the count.
    expect(await processPayload(t.db, payloadId, mappingFor)).toMatchObject({ status: 'parsed', orderCount: 10 });
  });

  it('runs every order\'s steps chunk by chunk through the lifecycle: stock, one acknowledgement each, distribution', async () => {
    const flow = new OrderLifecycle(t.db, { mappingFor, acknowledgementFor: (type) => (type === 'edi' ? ediAcknowledgements : undefined) });
    const payloadId = await upload(interchange('FLOW', 700));
    const outcome = await flow.intakePayload(payloadId);
    expect(outcome).toMatchObject({ status: 'parsed', orderCount: 700, counts: { created: 700 } });
    expect(outcome.steps.failed).toEqual([]);
    const steps = await t.db.query<{ step: string; n: number }>(
      `SELECT s.step, count(*)::int AS n FROM order_step s JOIN "order" o ON o.id = s.order_id WHERE o.number LIKE 'PO-FLOW-%' GROUP BY s.step ORDER BY s.step`,
    );
    expect(steps).toEqual([{ step: 'acknowledgement', n: 700 }, { step: 'distribution', n: 700 }, { step: 'stock', n: 700 }]);
    expect(await t.db.prisma.outboundDocument.count({ where: { rawPayloadId: payloadId } })).toBe(700);
  });
});
