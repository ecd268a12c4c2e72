import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * No import circles between the hub's files, type-only imports included: a circle means two modules
 * cannot be understood (or moved) one without the other, and a type circle is a value circle waiting
 * to happen. The lint checks where an import may go; this checks the graph as a whole.
 */
const ROOT = process.cwd();
const FOLDERS = ['api', 'bench', 'cli', 'connectors', 'core', 'demo', 'jobs', 'lib', 'mappings', 'testkit'];
// import … from '…', export … from '…', import '…', import('…'), import type … from '…'
const SPECIFIER = /(?:^|[\s;])(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function hubFiles(folder: string): string[] {
  const dir = join(ROOT, folder);
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !join(entry.parentPath, entry.name).includes('/core/db/generated/'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

export function importGraph(files: readonly string[], read: (file: string) => string): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const code = read(file).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const targets = new Set<string>();
    for (const match of code.matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (!specifier.startsWith('.')) continue;
      const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
      if (known.has(target)) targets.add(target);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan), each as the circle's files. */
export function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('import circles', () => {
  it('finds a circle, type-only imports included (the check can fail)', () => {
    const files = ['core/a.ts', 'core/b.ts', 'core/c.ts'];
    const source: Record<string, string> = {
      'core/a.ts': `import { b } from './b.ts';`,
      'core/b.ts': `import type { C } from './c.ts';`,
      'core/c.ts': `export type { A } from './a.ts';\n// import { x } from './b.ts';`,
    };
    expect(circles(importGraph(files, (f) => source[f]!))).toEqual([['core/a.ts', 'core/b.ts', 'core/c.ts']]);
    expect(circles(importGraph(files, (f) => (f === 'core/c.ts' ? '' : source[f]!)))).toEqual([]);
  });

  it('the hub has none', () => {
    const files = FOLDERS.flatMap(hubFiles);
    expect(files.length).toBeGreaterThan(100);
    expect(circles(importGraph(files, (f) => readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });
});
