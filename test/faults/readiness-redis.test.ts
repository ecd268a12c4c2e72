import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { loadConfig } from '../../jobs/config.ts';
import { WorkerHeartbeat } from '../../jobs/heartbeat.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { makeUser, type TestUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { OwnRedis } from '../helpers/own-redis.ts';
import { parseMetrics } from '../helpers/prometheus.ts';

/**
 * An API process on BullMQ (schedules kept here, no workers of its own) on a Redis of the test's
 * own: ready while Redis answers and a worker beats; 503 naming `workers` when none was seen in the
 * last minute, and naming `redis` and `schedules` when Redis is killed; /metrics still answers with
 * orderhub_up{dependency="redis"} 0.
 */
describe('readiness with Redis and workers (its own Redis, killed)', () => {
  let redis: OwnRedis;
  let t: TestDatabase;
  let api: Hub;
  let app: FastifyInstance;
  let monitoring: TestUser;
  let worker: WorkerHeartbeat;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    t = await createTestPostgres();
    const config = loadConfig({ DATABASE_URL: t.url, REDIS_URL: redis.url, HUB_QUEUE_PREFIX: `orderhub-ready-${randomBytes(4).toString('hex')}` });
    api = await createHub(config, { db: t.db, workers: false, schedules: true, scheduleCheckMs: 0 });
    await api.runner.start();
    app = await buildApp({ db: t.db, catalog: api.catalog, actions: api.actions });
    monitoring = await makeUser(t.db, { login: 'prometheus', roles: ['monitoring'] });
    // A worker process, as `hub worker` runs one: its heartbeat row.
    worker = new WorkerHeartbeat(t.db, 'worker', { id: 'worker-host/4242' });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await api?.close();
    await worker?.stop();
    await t?.drop();
    await redis?.down();
  });

  it('is not ready while no worker has been seen, and says so', async () => {
    const response = await app.inject({ url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      ok: false,
      down: ['workers'],
      checks: {
        database: { ok: true, checked: true },
        redis: { ok: true, checked: true },
        schedules: { ok: true, checked: true },
        workers: { ok: false, checked: true, seen: 0, error: 'no worker has been seen in the last minute (start `hub worker`)' },
      },
    });
  });

  it('is ready once a worker beats', async () => {
    await worker.start();
    const response = await app.inject({ url: '/health/ready' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ ok: true, down: [], checks: { workers: { ok: true, seen: 1 } } });
    const metrics = parseMetrics((await app.inject({ url: '/metrics', headers: monitoring.headers })).body);
    expect(metrics.value('orderhub_up', { dependency: 'redis' })).toBe(1);
    expect(metrics.value('orderhub_workers_live')).toBe(1);
    expect(metrics.value('orderhub_queue_jobs', { queue: 'sync-channel', state: 'waiting' })).toBe(0);
  });

  it('is not ready when a worker was last seen over a minute ago', async () => {
    await t.db.query(`UPDATE worker_heartbeat SET seen_at = now() - interval '61 seconds' WHERE id = $1`, [worker.id]);
    const response = await app.inject({ url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().down).toEqual(['workers']);
    await worker.beat();
    expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
  });

  describe('while Redis is down', () => {
    beforeAll(async () => {
      await redis.down();
    });

    // Back (empty) before the hub closes: BullMQ's queues close against a Redis that answers.
    afterAll(async () => {
      await redis.up();
    });

    it('answers 503 naming Redis and the schedules; liveness and the old /health still answer', async () => {
      const response = await app.inject({ url: '/health/ready' });
      expect(response.statusCode).toBe(503);
      const body = response.json();
      expect(body.down).toEqual(['redis', 'schedules']);
      expect(body.checks.redis).toMatchObject({ ok: false, checked: true, error: expect.any(String) });
      expect(body.checks.schedules).toEqual({ ok: false, checked: true, error: 'Redis does not answer: the schedules cannot be looked for' });
      expect(body.checks.database).toEqual({ ok: true, checked: true });
      expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/health' })).statusCode).toBe(503);
    });

    it('still answers /metrics, with orderhub_up{dependency="redis"} 0 and the database gauges', async () => {
      const response = await app.inject({ url: '/metrics', headers: monitoring.headers });
      expect(response.statusCode).toBe(200);
      const metrics = parseMetrics(response.body);
      expect(metrics.value('orderhub_up', { dependency: 'redis' })).toBe(0);
      expect(metrics.value('orderhub_up', { dependency: 'database' })).toBe(1);
      expect(metrics.samples('orderhub_queue_jobs')).toEqual([]);
      expect(metrics.value('orderhub_workers_live')).toBe(1);
    });
  });
});
