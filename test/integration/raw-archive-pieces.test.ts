import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_PIECE_BYTES, archivePayload, archiveStream } from '../../core/orders/raw-archive.ts';
import { storedTextSlices } from '../../core/orders/raw-archive-text.ts';
import { DATABASE_KINDS, type TestDatabase } from '../../testkit/databases.ts';

/**
 * A body larger than one piece is written piece by piece in one transaction (the driver never copies
 * the whole file) and reads back byte for byte; the same body again is the same payload, counted.
 */
for (const [kind, createDb] of DATABASE_KINDS) {
  describe(`raw archive of a large body (${kind})`, () => {
    let t: TestDatabase;
    let channelId: string;

    beforeAll(async () => {
      t = await createDb();
      channelId = (await t.db.prisma.channel.create({ data: { name: 'Partner', kind: 'edi', connectorType: 'edi', config: { ourId: 'X' } } })).id;
    });
    afterAll(() => t?.drop());

    it('stores every byte of a body of two and a half pieces, and the same body again once', async () => {
      // Text with a multi-byte character at every piece boundary region, so a wrong cut would show.
      const line = "LIN+1++Dübelő:EN'\n";
      const body = Buffer.from(line.repeat(Math.ceil((ARCHIVE_PIECE_BYTES * 2.5) / Buffer.byteLength(line))), 'utf8');
      const first = await archivePayload(t.db, { channelId, kind: 'upload', source: 'big.edi', contentType: 'application/edifact', body });
      expect(first).toMatchObject({ duplicate: false, encoding: 'utf-8', status: 'pending' });
      const [stored] = await t.db.query<{ size: number; digest: string }>(`SELECT octet_length(body)::int AS size, encode(sha256(body), 'hex') AS digest FROM raw_payload WHERE id = $1`, [first.id]);
      expect(stored).toEqual({ size: body.length, digest: createHash('sha256').update(body).digest('hex') });
      // Read back in slices (as a large payload is processed), it is the same text.
      let text = '';
      for await (const slice of storedTextSlices(t.db, first.id, 'utf-8', 3_000_001)) text += slice;
      expect(text === body.toString('utf8')).toBe(true);

      const again = await archivePayload(t.db, { channelId, kind: 'upload', source: 'big.edi', contentType: 'application/edifact', body });
      expect(again).toMatchObject({ id: first.id, duplicate: true });
      expect(await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: first.id }, select: { receivedCount: true } })).toEqual({ receivedCount: 2 });
    });

    it('streams a binary body (NULs at the piece boundaries) in odd chunks byte for byte, hashed as archivePayload hashes it; stores nothing of a body that breaks off or is refused', async () => {
      const body = Buffer.alloc(Math.floor(ARCHIVE_PIECE_BYTES * 2.3));
      for (let i = 0; i < body.length; i++) body[i] = (i * 7919) % 251;
      body[ARCHIVE_PIECE_BYTES - 1] = 0;
      body[ARCHIVE_PIECE_BYTES] = 0;
      async function* chunks(upTo = body.length, fail = false) {
        for (let at = 0; at < upTo; at += 1_000_003) yield body.subarray(at, Math.min(at + 1_000_003, upTo));
        if (fail) throw new Error('aborted');
      }
      const describe = () => ({ contentType: 'application/octet-stream', encoding: 'binary' });
      const before = await t.db.prisma.rawPayload.count({ where: { channelId } });

      await expect(archiveStream(t.db, { channelId, kind: 'upload', source: 'cut.bin', describe }, chunks(ARCHIVE_PIECE_BYTES + 5, true))).rejects.toThrow('aborted');
      expect(await archiveStream(t.db, { channelId, kind: 'upload', source: 'refused.bin', describe: () => undefined }, chunks())).toBeUndefined();
      expect(await t.db.prisma.rawPayload.count({ where: { channelId } })).toBe(before);

      const streamed = await archiveStream(t.db, { channelId, kind: 'upload', source: 'whole.bin', describe }, chunks());
      expect(streamed).toMatchObject({ duplicate: false, encoding: 'binary', status: 'pending', size: body.length });
      const [stored] = await t.db.query<{ size: number; digest: string; hash: string; source: string }>(`SELECT octet_length(body)::int AS size, encode(sha256(body), 'hex') AS digest, hash, source FROM raw_payload WHERE id = $1`, [streamed!.id]);
      const digest = createHash('sha256').update(body).digest('hex');
      expect(stored).toEqual({ size: body.length, digest, hash: digest, source: 'whole.bin' });
      // The same bytes archived whole are the same payload.
      expect(await archivePayload(t.db, { channelId, kind: 'upload', body })).toMatchObject({ id: streamed!.id, duplicate: true });
      expect(await t.db.prisma.rawPayload.count({ where: { channelId } })).toBe(before + 1);
    });
  });
}
