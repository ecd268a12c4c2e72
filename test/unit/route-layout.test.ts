import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Route files mirror the URLs they serve: a route under /v1/<first segment>/… lives in
 * api/routes/v1/<first segment>.ts or in the folder api/routes/v1/<first segment>/, so whoever looks
 * for what /v1/orders/:id/status does finds it in one place.
 */
const V1 = join(process.cwd(), 'api/routes/v1');
// The URL as a quoted or a template literal (`/quotes/:id/${action}`); its first segment is always literal.
const ROUTE = /\bapp\.(?:get|post|put|patch|delete)\(\s*(['`])([^'`]+)\1/g;
const REGISTRATION = /\bapp\.(?:get|post|put|patch|delete)\(/g;

export function misplacedRoutes(files: Record<string, string>): string[] {
  const misplaced: string[] = [];
  for (const [file, code] of Object.entries(files)) {
    for (const [, , url] of code.matchAll(ROUTE)) {
      const segment = url!.split('/')[1]!;
      if (file !== `${segment}.ts` && !file.startsWith(`${segment}/`)) misplaced.push(`${url} is served from ${file}`);
    }
  }
  return misplaced;
}

describe('route files', () => {
  it('catch a route served from the wrong file (the check can fail)', () => {
    expect(misplacedRoutes({ 'distribution.ts': `app.post(\n    '/orders/:id/assign', {})` })).toEqual(['/orders/:id/assign is served from distribution.ts']);
    expect(misplacedRoutes({ 'orders/distribution.ts': `app.post(\n    '/orders/:id/assign', {})` })).toEqual([]);
    expect(misplacedRoutes({ 'sales-desk.ts': 'app.post(\n      `/quotes/:id/${action}`, {})' })).toEqual(['/quotes/:id/${action} is served from sales-desk.ts']);
  });

  it('mirror the URLs they serve', () => {
    const files = Object.fromEntries(
      readdirSync(V1, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.ts'))
        .map((e) => [relative(V1, join(e.parentPath, e.name)), readFileSync(join(e.parentPath, e.name), 'utf8')]),
    );
    const served = Object.values(files).flatMap((code) => [...code.matchAll(ROUTE)]);
    expect(served.length).toBeGreaterThan(100);
    // Every registration is checked: a URL this test cannot read (a variable) would escape it.
    expect(served.length).toBe(Object.values(files).flatMap((code) => [...code.matchAll(REGISTRATION)]).length);
    expect(misplacedRoutes(files)).toEqual([]);
  });
});
