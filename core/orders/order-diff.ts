/** One difference between two versions of an order, by field path (`lines[2].quantity`). */
export interface FieldChange {
  field: string;
  from?: unknown;
  to?: unknown;
  /** Set when the source asked for a status the core lifecycle refuses. */
  refused?: string;
}

/** Leaf-level differences between two JSON values; scalars only, in a stable order. */
export function diffFields(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (isContainer(before) && isContainer(after) && Array.isArray(before) === Array.isArray(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    const changes: FieldChange[] = [];
    for (const key of [...keys].sort(byIndexThenName)) {
      const child = Array.isArray(after) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      changes.push(...diffFields((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], child));
    }
    return changes;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ field: path, ...(before !== undefined && { from: before }), ...(after !== undefined && { to: after }) }];
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function byIndexThenName(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
