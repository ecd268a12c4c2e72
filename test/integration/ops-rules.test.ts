import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

const docs = (name: string) => new URL(`../../docs/ops/${name}`, import.meta.url);

/** orderhub_… names a PromQL expression reads (a histogram's series carry _bucket/_sum/_count). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(orderhub_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
}

interface AlertRule {
  alert?: unknown;
  expr?: unknown;
  for?: unknown;
  labels?: { severity?: unknown };
  annotations?: { summary?: unknown; description?: unknown };
}

/**
 * The sample alert rules and Grafana dashboard in docs/ops/ read only metrics the hub exports (a
 * renamed metric would leave an alert that never fires), and the rules file has the shape
 * Prometheus loads (promtool is not on this machine).
 */
describe('docs/ops alert rules and dashboard', () => {
  let t: TestDatabase;
  let hub: Hub;
  let exported: Set<string>;

  beforeAll(async () => {
    t = await createTestPostgres();
    hub = await createHub(loadConfig({ DATABASE_URL: t.url }), { db: t.db });
    exported = new Set(hub.metrics.registry.getMetricsAsArray().map((m) => m.name));
  });
  afterAll(async () => {
    await hub?.close();
    await t?.drop();
  });

  it('alert rules: every rule is complete and reads exported metrics', async () => {
    const rules = parse(await readFile(docs('alerts.yml'), 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThan(5);
    const names = new Set<string>();
    for (const rule of all) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Orderhub[A-Za-z]+$/);
      expect(typeof rule.expr).toBe('string');
      // `for` is optional (a rule without it fires at once); when given it is a duration.
      if (rule.for !== undefined) expect(rule.for, `${String(rule.alert)}: for`).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
      expect(typeof rule.annotations?.summary).toBe('string');
      for (const name of metricNames(rule.expr as string)) names.add(name);
    }
    expect(new Set(all.map((r) => r.alert)).size).toBe(all.length);
    expect([...names].filter((n) => !exported.has(n))).toEqual([]);
  });

  it('dashboard: every panel query reads exported metrics', async () => {
    const dashboard = JSON.parse(await readFile(docs('grafana-dashboard.json'), 'utf8')) as { panels: { title?: string; targets?: { expr?: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => target.expr ?? ''));
    expect(exprs.length).toBeGreaterThan(5);
    const names = new Set(exprs.flatMap(metricNames));
    expect([...names].filter((n) => !exported.has(n))).toEqual([]);
  });
});
