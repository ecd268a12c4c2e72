/**
 * File names 1C sends with mode=file (`import.xml`, `import_files/ab/abc.jpg`) and names inside a
 * zip it sends. They are keys within one exchange session, never paths on a disk, but they are still
 * confined: a name that could climb out of the session's folder, if anything ever wrote it to disk
 * (an export of the session, an image store), is refused rather than cleaned up.
 */
export type PathVerdict = { ok: true; name: string } | { ok: false; reason: string };

const MAX_NAME = 500;

export function exchangeFileName(raw: string | undefined): PathVerdict {
  if (raw === undefined || raw === '') return { ok: false, reason: 'filename is missing' };
  if (raw.length > MAX_NAME) return { ok: false, reason: `filename is longer than ${MAX_NAME} characters` };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return { ok: false, reason: 'filename holds a control character' };
  if (raw.includes('\\')) return { ok: false, reason: 'filename holds a backslash' };
  if (raw.startsWith('/') || /^[a-zA-Z]:/.test(raw)) return { ok: false, reason: 'filename is an absolute path' };
  const segments = raw.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, reason: 'filename climbs out of the exchange folder (..)' };
  if (segments.some((s) => s === '')) return { ok: false, reason: 'filename has an empty path segment' };
  return { ok: true, name: raw };
}
