import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { openDatabase, type Database } from '../../core/db/database.ts';
import { migrate } from '../../core/db/migrate.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { makeUser, type TestUser } from '../helpers/auth.ts';
import { runHub } from '../helpers/cli.ts';
import { OwnPostgres } from '../helpers/own-postgres.ts';
import { parseMetrics } from '../helpers/prometheus.ts';

/**
 * The database goes away (its own PostgreSQL, stopped with `pg_ctl -m immediate` and started again):
 * the API answers 503 upstream_unavailable in words instead of 500 internal, readiness names the
 * database, /metrics still answers with orderhub_up{dependency="database"} 0, the CLI says what is
 * wrong in words; and all of it is well again once the database is back.
 */
describe('a database outage (its own PostgreSQL, stopped and started)', () => {
  let pg: OwnPostgres;
  let db: Database;
  let hub: Hub;
  let app: FastifyInstance;
  let ops: TestUser;
  let monitoring: TestUser;

  beforeAll(async () => {
    pg = await OwnPostgres.start();
    db = await openDatabase({ url: pg.url });
    await migrate(db);
    hub = await createHub(loadConfig({ DATABASE_URL: pg.url }), { db, schedules: false });
    app = await buildApp({ db, catalog: hub.catalog, actions: hub.actions });
    ops = await makeUser(db, { login: 'olga', roles: ['ops'] });
    monitoring = await makeUser(db, { login: 'prometheus', roles: ['monitoring'] });
    await db.prisma.channel.create({ data: { name: 'Site', kind: 'webshop', connectorType: 'woocommerce' } });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await db?.close();
    await pg?.destroy();
  });

  it('is ready, and its metrics say the database is up, while PostgreSQL answers', async () => {
    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toMatchObject({ ok: true, down: [], checks: { database: { ok: true, checked: true }, redis: { checked: false } } });
    const metrics = await app.inject({ url: '/metrics', headers: monitoring.headers });
    expect(metrics.statusCode).toBe(200);
    expect(parseMetrics(metrics.body).value('orderhub_up', { dependency: 'database' })).toBe(1);
    expect((await app.inject({ url: '/v1/channels', headers: ops.headers })).statusCode).toBe(200);
  });

  describe('while PostgreSQL is stopped', () => {
    beforeAll(async () => {
      await pg.down();
    }, 60_000);

    afterAll(async () => {
      await pg.up();
    }, 60_000);

    it('answers an API route with 503 upstream_unavailable in words, not 500 internal', async () => {
      const response = await app.inject({ url: '/v1/channels', headers: ops.headers });
      expect(response.statusCode, response.body).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toEqual({
        error: { code: 'upstream_unavailable', message: 'The hub cannot reach its database right now; nothing was done. Try again shortly.' },
      });
    });

    it('reports not ready, naming the database; liveness stays green', async () => {
      const ready = await app.inject({ url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      const body = ready.json();
      expect(body).toMatchObject({ ok: false, down: ['database'], checks: { database: { ok: false, checked: true } } });
      expect(body.checks.database.error).toMatch(/^the database cannot be reached/);
      expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    });

    it('still answers /metrics, with orderhub_up{dependency="database"} 0 and no stale database gauges', async () => {
      const response = await app.inject({ url: '/metrics', headers: monitoring.headers });
      expect(response.statusCode, response.body).toBe(200);
      const metrics = parseMetrics(response.body);
      expect(metrics.value('orderhub_up', { dependency: 'database' })).toBe(0);
      expect(metrics.samples('orderhub_channel_info')).toEqual([]);
      // The process's own figures are still there.
      expect(metrics.samples('orderhub_process_cpu_user_seconds_total').length).toBe(1);
    });

    it('gives an unknown token no way in while the database cannot say who it is', async () => {
      const response = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer not-a-token' } });
      expect(response.statusCode).toBe(503);
      expect(response.json().error.code).toBe('upstream_unavailable');
    });

    it('has the CLI say in words that the database cannot be reached', async () => {
      const result = await runHub({ DATABASE_URL: pg.url }, 'channels', 'list');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('error: Cannot reach the database (nothing answers at its address): is PostgreSQL running and DATABASE_URL right? Nothing was changed');
      expect(result.stderr).not.toMatch(/prisma|PrismaClient|Invalid `/i);
    });
  });

  it('is ready again once PostgreSQL is back', async () => {
    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect((await app.inject({ url: '/v1/channels', headers: ops.headers })).statusCode).toBe(200);
  });
});
