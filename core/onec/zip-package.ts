import { unzipSync, type UnzipFileInfo } from 'fflate';
import { HubError } from '../errors.ts';
import { exchangeFileName } from './exchange-paths.ts';

/**
 * Unpacks the zip 1C sends when init answered zip=yes. fflate (maintained, no dependencies, no
 * native code, reads from memory) rather than yauzl: yauzl wants a file on disk, and the hub keeps
 * exchange files in PostgreSQL so any API replica can unpack them. The archive is at most what the
 * session received; what it may unpack to is limited before anything is inflated (the sizes the
 * central directory declares: total and per-entry ratio), and checked again after inflating, since
 * a hostile archive can lie in its directory. A name that climbs out (zip-slip) refuses the archive.
 */

export interface ZipLimits {
  maxUnpackedBytes: number;
  maxRatio: number;
}

export function isZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06);
}

export function unpackZip(archive: Buffer, limits: ZipLimits): { name: string; bytes: Buffer }[] {
  let declared = 0;
  let refusal: string | undefined;
  const filter = (entry: UnzipFileInfo): boolean => {
    if (entry.name.endsWith('/')) return false;
    const verdict = exchangeFileName(entry.name);
    if (!verdict.ok) refusal ??= `entry "${entry.name}": ${verdict.reason}`;
    declared += entry.originalSize;
    if (declared > limits.maxUnpackedBytes) refusal ??= `the archive unpacks to more than ${limits.maxUnpackedBytes} bytes`;
    if (entry.originalSize > Math.max(entry.size, 1) * limits.maxRatio) refusal ??= `entry "${entry.name}" unpacks ${Math.round(entry.originalSize / Math.max(entry.size, 1))} times its packed size (a zip bomb?)`;
    return refusal === undefined;
  };
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(archive, { filter });
  } catch (error) {
    throw new HubError('invalid_data', refusal ?? `the zip archive cannot be read: ${(error as Error).message}`);
  }
  if (refusal) throw new HubError('invalid_data', `the zip archive was refused: ${refusal}`);
  let total = 0;
  const out: { name: string; bytes: Buffer }[] = [];
  for (const [name, data] of Object.entries(files)) {
    total += data.byteLength;
    if (total > limits.maxUnpackedBytes) throw new HubError('invalid_data', `the zip archive was refused: it unpacks to more than ${limits.maxUnpackedBytes} bytes`);
    out.push({ name, bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
  }
  return out;
}
