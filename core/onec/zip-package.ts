import { Unzip, UnzipInflate } from 'fflate';
import { HubError } from '../errors.ts';
import { exchangeFileName } from './exchange-paths.ts';

/**
 * Unpacks the zip 1C sends when init answered zip=yes, as a stream: the archive's stored chunks go
 * in 64 KiB at a time and each entry's bytes come out in pieces written as exchange files, so
 * neither the archive nor an entry (a 1M-offer offers.xml) is ever held whole. fflate (maintained,
 * no dependencies, no native code, streams from memory) rather than yauzl, which wants a file on
 * disk: the hub keeps exchange files in PostgreSQL so that any API replica can unpack them.
 *
 * Refused, with the reason: an entry name that climbs out of the session (zip-slip) or is otherwise
 * not a confined name; an entry whose header declares more than `maxRatio` times its packed size; and,
 * since headers can lie, an archive whose entries actually inflate past `maxUnpackedBytes` or past
 * `maxRatio` times the archive's own size (a zip bomb) — counted as the bytes come out, stopping there.
 */

export interface ZipLimits {
  maxUnpackedBytes: number;
  maxRatio: number;
}

/** Input fed to the inflater per push: bounds what one push can make (at most this × maxRatio). */
const PUSH_BYTES = 64 * 1024;

export function isZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06);
}

/**
 * Streams the archive's entries to `write` (name, a piece of its bytes; pieces of one entry in order,
 * an empty entry as one empty piece). Returns how many entries it held. Throws invalid_data naming the
 * refusal; what was written before it is the caller's to discard.
 */
export async function unpackZip(
  archive: AsyncIterable<Buffer>,
  archiveSize: number,
  limits: ZipLimits,
  write: (name: string, bytes: Buffer) => Promise<void>,
  pieceBytes: number,
): Promise<number> {
  const maxTotal = Math.min(limits.maxUnpackedBytes, Math.max(archiveSize, 1) * limits.maxRatio);
  const ready: { name: string; bytes: Buffer }[] = [];
  let refusal: string | undefined;
  let total = 0;
  let entries = 0;
  const refuse = (why: string) => (refusal ??= why);

  const unzip = new Unzip((file) => {
    if (refusal || file.name.endsWith('/')) return;
    const verdict = exchangeFileName(file.name);
    if (!verdict.ok) return void refuse(`entry "${file.name}": ${verdict.reason}`);
    if (file.originalSize !== undefined && file.size !== undefined && file.originalSize > Math.max(file.size, 1) * limits.maxRatio) {
      return void refuse(`entry "${file.name}" unpacks ${Math.round(file.originalSize / Math.max(file.size, 1))} times its packed size (a zip bomb?)`);
    }
    entries += 1;
    let parts: Uint8Array[] = [];
    let held = 0;
    file.ondata = (error, data, final) => {
      if (refusal) return;
      if (error) return void refuse(`entry "${file.name}" cannot be inflated: ${error.message}`);
      total += data.byteLength;
      if (total > maxTotal) {
        refuse(`it unpacks to more than ${maxTotal} bytes (the limit, or ${limits.maxRatio} times the archive's ${archiveSize} bytes: a zip bomb?)`);
        file.terminate();
        return;
      }
      parts.push(data);
      held += data.byteLength;
      if (held >= pieceBytes || final) {
        ready.push({ name: file.name, bytes: Buffer.concat(parts) });
        parts = [];
        held = 0;
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);

  const drain = async () => {
    if (refusal) throw new HubError('invalid_data', `the zip archive was refused: ${refusal}`);
    while (ready.length > 0) {
      const piece = ready.shift()!;
      await write(piece.name, piece.bytes);
    }
  };
  try {
    for await (const chunk of archive) {
      for (let at = 0; at < chunk.byteLength; at += PUSH_BYTES) {
        unzip.push(chunk.subarray(at, at + PUSH_BYTES));
        await drain();
      }
    }
    unzip.push(new Uint8Array(0), true);
  } catch (error) {
    if (error instanceof HubError) throw error;
    throw new HubError('invalid_data', `the zip archive cannot be read: ${refusal ?? (error as Error).message}`);
  }
  await drain();
  return entries;
}
