/**
 * The name an uploaded file was sent with (`Content-Disposition: attachment; filename="…"`, RFC 6266,
 * `filename*=UTF-8''…` preferred; or an `X-File-Name` header), made safe to store and show: the last
 * path segment only, no control characters, at most MAX_FILE_NAME characters; undefined when
 * nothing usable is left.
 */
export const MAX_FILE_NAME = 200;

export function uploadedFileName(headers: Record<string, string | string[] | undefined>): string | undefined {
  const disposition = first(headers['content-disposition']);
  const fromDisposition = disposition ? dispositionFileName(disposition) : undefined;
  return sanitizeFileName(fromDisposition ?? percentDecoded(first(headers['x-file-name'])));
}

export function sanitizeFileName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  const last = name.split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  if (last === '' || last === '.' || last === '..') return undefined;
  const chars = Array.from(last);
  return chars.length > MAX_FILE_NAME ? `${chars.slice(0, MAX_FILE_NAME - 1).join('')}…` : last;
}

function dispositionFileName(value: string): string | undefined {
  const extended = /(?:^|;)\s*filename\*\s*=\s*([^']*)'[^']*'([^;]*)/i.exec(value);
  if (extended) {
    const decoded = percentDecoded(extended[2]!.trim());
    if (decoded) return decoded;
  }
  const quoted = /(?:^|;)\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(value);
  if (quoted) return quoted[1]!.replace(/\\(.)/g, '$1');
  const token = /(?:^|;)\s*filename\s*=\s*([^;\s]+)/i.exec(value);
  return token?.[1];
}

function percentDecoded(value: string | undefined): string | undefined {
  if (value === undefined || !value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
