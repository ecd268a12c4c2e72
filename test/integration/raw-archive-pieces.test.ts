import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_PIECE_BYTES, archivePayload } from '../../core/orders/raw-archive.ts';
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
  });
}
