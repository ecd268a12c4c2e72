import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPayload, type IntakeChunk } from '../../core/orders/payload-processing.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { createRegistry } from '../../jobs/registry.ts';
import { createTestPostgres, type TestDatabase } from '../../testkit/databases.ts';
import { x12File } from '../helpers/x12-850s.ts';

/**
 * A large X12 file (generated from the node-x12 850 sample: thousands of transaction sets) streams
 * into orders as EDIFACT does (large-interchange.test.ts): read from the archive slice by slice, never
 * whole, each chunk its own transaction, committed before the next is read; slices cut anywhere give
 * what a whole reading gives; envelope findings and duplicate control numbers are still reported.
 */

const { mappingFor } = createRegistry();

describe('a large X12 850 file, streamed chunk by chunk (PostgreSQL)', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestPostgres();
  });
  afterAll(() => t?.drop());

  const channel = async (name: string, config: Record<string, unknown> = {}) =>
    (await t.db.prisma.channel.create({ data: { name, kind: 'edi', connectorType: 'edi', config: { ourId: '999999999', ...config } } })).id;
  const upload = async (channelId: string, body: string) => (await archivePayload(t.db, { channelId, kind: 'upload', source: 'big.x12', contentType: 'application/edi-x12', body })).id;
  const ordersOf = async (channelId: string) => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "order" WHERE channel_id = $1`, [channelId]))[0]!.n;
  /** The database, counting the slices of a body read from the archive (their starting bytes). */
  const counting = (sliceReads: number[]) =>
    ({ ...t.db, query: async <T,>(sql: string, params?: unknown[]) => {
      if (sql.includes('substring(body FROM $2')) sliceReads.push(params![1] as number);
      return t.db.query<T>(sql, params);
    } }) as typeof t.db;

  describe('when 3,000 transaction sets are read in chunks of 500', () => {
    let channelId: string;
    let payloadId: string;
    const seenAfterChunk: { committed: number; inChunk: number }[] = [];
    /** How many slices had been read when each chunk was taken in. */
    const slicesAtChunk: number[] = [];

    beforeAll(async () => {
      channelId = await channel('X12 partner');
      payloadId = await upload(channelId, x12File('BIG', 3000));
    });

    it('reads the body slice by slice and creates every order, one transaction per chunk, each committed before the next is read', async () => {
      const sliceReads: number[] = [];
      const outcome = await processPayload(counting(sliceReads), payloadId, mappingFor, {
        chunkSize: 500,
        streamFromBytes: 1024,
        streamSliceBytes: 64 * 1024,
        // Another connection (the pool's) counts what is committed while the file is still being read.
        afterChunk: async (chunk: IntakeChunk) => {
          slicesAtChunk.push(sliceReads.length);
          seenAfterChunk.push({ committed: await ordersOf(channelId), inChunk: chunk.results.length });
        },
      });
      expect(outcome).toMatchObject({ status: 'parsed', orderCount: 3000, counts: { created: 3000, updated: 0, unchanged: 0, rejected: 0 }, errors: [], warnings: [] });
      // The body (about 2.8 MB) came in slices of 64 KiB, never whole.
      expect(sliceReads.length).toBeGreaterThan(40);
      expect(sliceReads.slice(0, 2)).toEqual([1, 64 * 1024 + 1]);
      expect(seenAfterChunk).toEqual([500, 1000, 1500, 2000, 2500, 3000].map((committed) => ({ committed, inChunk: 500 })));
      // Streamed, not gathered: each chunk was taken in while the rest of the body was still unread.
      expect(slicesAtChunk.slice(0, 5).every((n, i) => n < sliceReads.length && (i === 0 || n > slicesAtChunk[i - 1]!))).toBe(true);
      expect(slicesAtChunk[0]).toBeLessThan(sliceReads.length / 5);
      const [{ transactions }] = (await t.db.query<{ transactions: number }>(`SELECT count(DISTINCT xmin::text)::int AS transactions FROM "order" WHERE channel_id = $1`, [channelId])) as [{ transactions: number }];
      expect(transactions).toBe(6);
      const last = await t.db.prisma.order.findFirstOrThrow({ where: { channelId, number: 'PO-BIG-3000' }, include: { lines: true } });
      expect(last).toMatchObject({ externalId: '4405197800:PO-BIG-3000', status: 'received', total: expect.anything() });
      expect(last.lines).toHaveLength(6);
    });

    it('changes nothing when the file is read again', async () => {
      const again = await processPayload(t.db, payloadId, mappingFor, { chunkSize: 500, streamFromBytes: 1024 });
      expect(again).toMatchObject({ status: 'parsed', orderCount: 3000, counts: { created: 0, updated: 0, unchanged: 3000 } });
      expect(await ordersOf(channelId)).toBe(3000);
    });
  });

  it('gives the same orders from slices of odd sizes (characters cut in two, ISA and segments cut anywhere) as from a whole reading', async () => {
    // Multi-byte descriptions (ő, ű in UTF-8) so that slices of an odd byte count cut characters in two.
    const body = x12File('SLICE', 60, { widget: 'KŐVÁRI GYŰRŰ' });
    const whole = await channel('X12 whole');
    expect(await processPayload(t.db, await upload(whole, body), mappingFor, { chunkSize: 25 })).toMatchObject({ status: 'parsed', orderCount: 60 });
    const contents = async (channelId: string) =>
      (await t.db.prisma.order.findMany({ where: { channelId }, orderBy: { externalId: 'asc' }, select: { number: true, contentHash: true, lines: { select: { name: true }, orderBy: { position: 'asc' } } } })).map((o) => [o.number, o.contentHash, o.lines.map((l) => l.name)]);
    const expected = await contents(whole);
    expect(expected[0]![2]).toContain('SMALL KŐVÁRI GYŰRŰ');
    for (const sliceBytes of [7, 101, 1021, 4099]) {
      const streamed = await channel(`X12 slices of ${sliceBytes}`);
      const sliceReads: number[] = [];
      const outcome = await processPayload(counting(sliceReads), await upload(streamed, body), mappingFor, { chunkSize: 25, streamFromBytes: 1024, streamSliceBytes: sliceBytes });
      expect(outcome, `slices of ${sliceBytes}`).toMatchObject({ status: 'parsed', orderCount: 60, errors: [], warnings: [] });
      expect(sliceReads.length).toBe(Math.floor(Buffer.byteLength(body) / sliceBytes) + 1);
      expect(await contents(streamed), `slices of ${sliceBytes}`).toEqual(expected);
    }
  });

  it('still reports wrong GE01/IEA01 counts and mismatched control numbers, and takes the orders', async () => {
    const channelId = await channel('X12 sloppy envelopes');
    const body = x12File('ENV', 40, { geCount: 41, geControl: '1499', ieaCount: 3, ieaControl: '000003499' });
    const outcome = await processPayload(t.db, await upload(channelId, body), mappingFor, { chunkSize: 15, streamFromBytes: 1024, streamSliceBytes: 1021 });
    expect(outcome).toMatchObject({ status: 'parsed', orderCount: 40, errors: [] });
    expect(outcome.warnings).toEqual([
      expect.stringMatching(/^GE01 says 41 transaction sets but group 1421 holds 40 \(GE at segment 1323 /),
      expect.stringMatching(/^GE02 1499 does not match GS06 1421 /),
      expect.stringMatching(/^IEA01 says 3 functional groups but interchange 000003438 holds 1 /),
      expect.stringMatching(/^IEA02 000003499 does not match ISA13 000003438 /),
    ]);
    // A set whose SE count is wrong is rejected alone, with its position.
    const broken = await channel('X12 broken set');
    const withBadSet = await processPayload(t.db, await upload(broken, x12File('BAD', 30).replace('SE*33*0017~', 'SE*31*0017~')), mappingFor, { chunkSize: 10, streamFromBytes: 1024, streamSliceBytes: 999 });
    expect(withBadSet).toMatchObject({ status: 'partial', orderCount: 29, errors: [{ ref: 'ST 0017', message: expect.stringMatching(/^SE01 says 31 segments but transaction set 850 0017 holds 33 .* SE at segment 563 \(line 563, column 1/) }] });
  });

  it('refuses a streamed file whose ISA13 the partner already used before any of its orders is taken (reject)', async () => {
    const channelId = await channel('X12 strict partner', { duplicateControlNumbers: 'reject' });
    const first = await upload(channelId, x12File('DUPA', 30, { isaControl: '000000501', gsControl: '501' }));
    expect(await processPayload(t.db, first, mappingFor, { chunkSize: 10, streamFromBytes: 1024 })).toMatchObject({ status: 'parsed', orderCount: 30 });
    const second = await upload(channelId, x12File('DUPB', 30, { isaControl: '000000501', gsControl: '777' }));
    const refused = await processPayload(t.db, second, mappingFor, { chunkSize: 10, streamFromBytes: 1024, streamSliceBytes: 1021 });
    expect(refused).toMatchObject({ status: 'failed', orderCount: 0 });
    expect(refused.errors).toEqual([expect.objectContaining({ ref: 'interchange 501', message: expect.stringMatching(new RegExp(`^interchange control number 501 from partner 4405197800:12 was already received in payload ${first}`)) })]);
    expect(await ordersOf(channelId)).toBe(30);
    // Warned instead (the default): the orders are taken and the payload says why it is suspect.
    const lenient = await channel('X12 lenient partner');
    await processPayload(t.db, await upload(lenient, x12File('DUPC', 12, { isaControl: '000000502' })), mappingFor, { streamFromBytes: 1024 });
    const again = await processPayload(t.db, await upload(lenient, x12File('DUPD', 12, { isaControl: '000000502' })), mappingFor, { chunkSize: 5, streamFromBytes: 1024 });
    expect(again).toMatchObject({ status: 'parsed', orderCount: 12 });
    expect(again.warnings).toEqual([expect.stringMatching(/^interchange control number 502 /), expect.stringMatching(/^group control number 1421 /)]);
  });
});
