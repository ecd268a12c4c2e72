import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { createTestPostgres, REDIS_TEST_URL, type TestDatabase } from '../helpers/databases.ts';

describe('hub health on PostgreSQL and Redis', () => {
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createTestPostgres();
  });

  afterAll(async () => {
    await testDb.drop();
  });

  async function hubWith(redisUrl: string): Promise<Hub> {
    const config = loadConfig({ DATABASE_URL: testDb.url, REDIS_URL: redisUrl, HUB_QUEUE_PREFIX: `orderhub-health-${randomBytes(4).toString('hex')}` });
    return createHub(config, { db: testDb.db, workers: false, schedules: false });
  }

  describe('when Redis answers', () => {
    it('reports both parts ok', async () => {
      const hub = await hubWith(REDIS_TEST_URL);
      try {
        expect(await hub.actions.health()).toEqual({ ok: true, database: { ok: true, kind: 'postgres' }, redis: { ok: true, configured: true } });
        await hub.actions.health();
        expect(hub.healthRedis?.listenerCount('error')).toBe(1);
      } finally {
        await hub.close();
      }
    });
  });

  describe('when Redis is unreachable', () => {
    it('reports it with the error on every call without piling up listeners', async () => {
      const hub = await hubWith('redis://127.0.0.1:1');
      try {
        for (let i = 0; i < 20; i++) {
          const report = await hub.actions.health();
          expect(report.ok).toBe(false);
          expect(report.database).toEqual({ ok: true, kind: 'postgres' });
          expect(report.redis).toMatchObject({ ok: false, configured: true });
          expect(report.redis.error).toEqual(expect.any(String));
          expect(report.redis.error!.length).toBeGreaterThan(0);
        }
        expect(hub.healthRedis?.listenerCount('error')).toBe(1);
      } finally {
        await hub.close();
      }
    });
  });
});
