/**
 * Reads Prometheus' text exposition format (what prom-client renders): every sample with its
 * labels, plus the TYPE of each family. Enough for tests to look figures up by name and labels.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedMetrics {
  types: Map<string, string>;
  all: Sample[];
  /** Samples of one name whose labels include `labels`. */
  samples(name: string, labels?: Record<string, string>): Sample[];
  /** The one sample's value (undefined when there is none; throws when several match). */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

export function parseMetrics(text: string): ParsedMetrics {
  const types = new Map<string, string>();
  const all: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`Not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (match[2]) {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let label = LABEL.exec(match[2]); label; label = LABEL.exec(match[2])) {
        labels[label[1]!] = label[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        consumed = LABEL.lastIndex;
      }
      if (consumed !== match[2].length) throw new Error(`Unreadable labels in: ${line}`);
    }
    const raw = match[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    // Prometheus reads NaN in any case (Go's ParseFloat), and prom-client writes "Nan" (a lag not measured yet).
    if (Number.isNaN(value) && raw.toLowerCase() !== 'nan') throw new Error(`Not a number in: ${line}`);
    all.push({ name: match[1]!, labels, value });
  }
  const samples = (name: string, labels: Record<string, string> = {}) =>
    all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    types,
    all,
    samples,
    value(name, labels) {
      const found = samples(name, labels);
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
      return found[0]?.value;
    },
  };
}
