import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { buildTestApp, type FakeActions } from './fakes.ts';

describe('/v1/jobs/failed (dead letters)', () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let anonymous: FastifyInstance;
  let actions: FakeActions;
  const job = (id: string) => ({ id, queue: 'sync-channel', name: 'sync', channelId: 'c-1', payloadId: null, attemptsMade: 5, attempts: 5, error: 'upstream_unavailable', failedAt: '2026-12-04T10:00:00.000Z' });

  beforeAll(async () => {
    t = await createTestPostgres();
    ({ app, anonymous, actions } = await buildTestApp(t.db));
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('lists the failed jobs, retries one (audited) and then all', async () => {
    actions.failed = [job('sync-channel:a'), job('sync-channel:b'), job('sync-channel:c')];
    const listed = await app.inject({ method: 'GET', url: '/v1/jobs/failed' });
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json()).toEqual({ items: actions.failed, note: null });

    const one = await app.inject({ method: 'POST', url: `/v1/jobs/failed/${encodeURIComponent('sync-channel:a')}/retry` });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toEqual({ retried: 1 });
    expect(await t.db.prisma.auditEvent.findFirst({ where: { action: 'job.retry', targetId: 'sync-channel:a' } })).not.toBeNull();
    expect((await app.inject({ method: 'POST', url: `/v1/jobs/failed/${encodeURIComponent('sync-channel:a')}/retry` })).statusCode).toBe(404);

    const all = await app.inject({ method: 'POST', url: '/v1/jobs/failed/retry' });
    expect(all.json()).toEqual({ retried: 2 });
    expect((await app.inject({ method: 'GET', url: '/v1/jobs/failed' })).json().items).toEqual([]);
  });

  it('is for admin and ops: 401 without credentials, 403 for an accountant', async () => {
    expect((await anonymous.inject({ method: 'GET', url: '/v1/jobs/failed' })).statusCode).toBe(401);
    const accountant = await makeUser(t.db, { roles: ['accountant'] });
    expect((await anonymous.inject({ method: 'GET', url: '/v1/jobs/failed', headers: accountant.headers })).statusCode).toBe(403);
    const ops = await makeUser(t.db, { roles: ['ops'] });
    expect((await anonymous.inject({ method: 'GET', url: '/v1/jobs/failed', headers: ops.headers })).statusCode).toBe(200);
  });
});
