/**
 * PostgreSQL `text` and `jsonb` cannot hold U+0000 (text: "invalid byte sequence"; jsonb: "unsupported
 * Unicode escape sequence"), yet sources send it (`\u0000` from PHP serialised data, `&#0;`).
 * Mappings strip it from everything they emit.
 */
const NUL = '\u0000';

export function stripNul(text: string): string {
  return text.includes(NUL) ? text.replaceAll(NUL, '') : text;
}

/** A copy of `value` with U+0000 removed from every string in it, object keys included. */
export function stripNulDeep<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return stripNul(value);
  if (Array.isArray(value)) return value.map(walk);
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[stripNul(key)] = walk(inner);
    return out;
  }
  return value;
}
