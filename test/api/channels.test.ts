import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { buildTestApp, createChannel, testShopBody, type FakeActions } from './fakes.ts';

let testDb: TestDatabase;
let app: FastifyInstance;
let actions: FakeActions;

beforeAll(async () => {
  testDb = await createTestPostgres();
  ({ app, actions } = await buildTestApp(testDb.db));
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

describe('GET /v1/connectors', () => {
  it('lists the catalog with config schema, secret fields and capabilities', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/connectors' });
    expect(response.statusCode).toBe(200);
    const { items } = response.json();
    const shop = items.find((c: { type: string }) => c.type === 'testshop');
    expect(shop).toMatchObject({ title: 'Test shop', channelKind: 'webshop', secretFields: ['apiSecret'], canPull: true, canReceiveWebhooks: true });
    expect(shop.config.properties.apiSecret).toEqual({ type: 'string', minLength: 1 });
    expect(shop.config.required).toEqual(['url', 'apiKey', 'apiSecret']);
    expect(items.find((c: { type: string }) => c.type === 'testpos')).toMatchObject({ canPull: false, channelKind: 'pos' });
  });
});

describe('when a channel is created', () => {
  it('answers 201 with the public channel, its secret redacted and spec defaults filled in', async () => {
    const body = testShopBody({ syncSchedule: '*/15 * * * *', mapping: { statusMap: { 'wc-custom': 'received' } } });
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: body });
    expect(response.statusCode).toBe(201);
    const channel = response.json();
    expect(channel).toMatchObject({
      name: body.name,
      kind: 'webshop',
      connectorType: 'testshop',
      enabled: true,
      syncSchedule: '*/15 * * * *',
      mapping: { statusMap: { 'wc-custom': 'received' } },
      config: { url: 'https://shop.example.hu', apiKey: 'ck_public', apiSecret: '********', pageSize: 50 },
    });
    expect(response.body).not.toContain('cs_very_secret');
    const stored = await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channel.id } });
    expect((stored.config as Record<string, unknown>).apiSecret).toBe('cs_very_secret');
  });

  it('takes an explicit kind', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: testShopBody({ kind: 'erp' }) });
    expect(response.statusCode).toBe(201);
    expect(response.json().kind).toBe('erp');
  });

  it('refuses a config that does not fit the spec, naming config.<field>', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/channels',
      payload: testShopBody({ config: { url: 'https://shop.example.hu', apiKey: 'ck', apiSecret: 'cs', pageSize: 500 } }),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_data', field: 'config.pageSize' });
  });

  it('refuses a config without a required secret, naming it', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: testShopBody({ config: { url: 'https://shop.example.hu', apiKey: 'ck' } }) });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_data', field: 'config.apiSecret' });
  });

  it('refuses an unknown connector type', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: testShopBody({ connectorType: 'nosuchshop' }) });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_data', field: 'connectorType' });
    expect(response.json().error.message).toContain('testshop');
  });

  it('refuses a body without a name, naming the field', async () => {
    const { name: _name, ...body } = testShopBody();
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: body });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'invalid_data', message: 'name is required', field: 'name' } });
  });

  it('refuses a bad cron expression and a bad kind', async () => {
    const cron = await app.inject({ method: 'POST', url: '/v1/channels', payload: testShopBody({ syncSchedule: 'every minute' }) });
    expect(cron.statusCode).toBe(400);
    expect(cron.json().error.field).toBe('syncSchedule');
    const kind = await app.inject({ method: 'POST', url: '/v1/channels', payload: testShopBody({ kind: 'Web Shop' }) });
    expect(kind.statusCode).toBe(400);
    expect(kind.json().error.field).toBe('kind');
  });

  it('answers 409 for a name already taken', async () => {
    const first = await createChannel(app);
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: testShopBody({ name: first.name }) });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({ code: 'conflict', field: 'name' });
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/channels', headers: { 'content-type': 'application/json' }, payload: '{"name": ' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_data');
  });
});

describe('when channels are read', () => {
  it('lists them with secrets redacted, filtered by enabled', async () => {
    const on = await createChannel(app);
    const off = await createChannel(app, { enabled: false });
    const all = await app.inject({ method: 'GET', url: '/v1/channels' });
    expect(all.statusCode).toBe(200);
    const names = all.json().items.map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining([on.name, off.name]));
    expect(all.body).not.toContain('cs_very_secret');

    const disabled = await app.inject({ method: 'GET', url: '/v1/channels?enabled=false' });
    const disabledNames = disabled.json().items.map((c: { name: string }) => c.name);
    expect(disabledNames).toContain(off.name);
    expect(disabledNames).not.toContain(on.name);
  });

  it('gets one by id', async () => {
    const channel = await createChannel(app);
    const response = await app.inject({ method: 'GET', url: `/v1/channels/${channel.id}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: channel.id, name: channel.name, config: { apiSecret: '********' } });
  });

  it('answers 404 JSON for an unknown id', async () => {
    const response = await app.inject({ method: 'GET', url: `/v1/channels/${randomUUID()}` });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });
});

describe('when a channel is changed', () => {
  it('keeps the stored secret when the redacted marker is sent back', async () => {
    const channel = await createChannel(app);
    const current = (await app.inject({ method: 'GET', url: `/v1/channels/${channel.id}` })).json();
    const response = await app.inject({
      method: 'PATCH',
      url: `/v1/channels/${channel.id}`,
      payload: { config: { ...current.config, apiKey: 'ck_rotated' }, enabled: false },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ enabled: false, config: { apiKey: 'ck_rotated', apiSecret: '********' } });
    const stored = await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channel.id } });
    expect(stored.config).toMatchObject({ apiKey: 'ck_rotated', apiSecret: 'cs_very_secret' });
  });

  it('replaces the secret when a new one is sent', async () => {
    const channel = await createChannel(app);
    const response = await app.inject({
      method: 'PATCH',
      url: `/v1/channels/${channel.id}`,
      payload: { config: { url: 'https://shop.example.hu', apiKey: 'ck_public', apiSecret: 'cs_new' } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('cs_new');
    const stored = await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channel.id } });
    expect((stored.config as Record<string, unknown>).apiSecret).toBe('cs_new');
  });

  it('renames, and refuses a name another channel has', async () => {
    const a = await createChannel(app);
    const b = await createChannel(app);
    const clash = await app.inject({ method: 'PATCH', url: `/v1/channels/${a.id}`, payload: { name: b.name } });
    expect(clash.statusCode).toBe(409);
    const renamed = await app.inject({ method: 'PATCH', url: `/v1/channels/${a.id}`, payload: { name: `${a.name}-renamed` } });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().name).toBe(`${a.name}-renamed`);
  });

  it('refuses an invalid config, naming config.<field>', async () => {
    const channel = await createChannel(app);
    const response = await app.inject({
      method: 'PATCH',
      url: `/v1/channels/${channel.id}`,
      payload: { config: { url: 'not a url', apiKey: 'ck', apiSecret: '********' } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_data', field: 'config.url' });
  });

  it('answers 400 naming the field for a wrongly typed value', async () => {
    const channel = await createChannel(app);
    const response = await app.inject({ method: 'PATCH', url: `/v1/channels/${channel.id}`, payload: { enabled: 'sometimes' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_data', field: 'enabled' });
  });

  it('answers 404 for an unknown channel', async () => {
    const response = await app.inject({ method: 'PATCH', url: `/v1/channels/${randomUUID()}`, payload: { enabled: false } });
    expect(response.statusCode).toBe(404);
  });
});

describe('POST /v1/channels/:id/check', () => {
  it("returns the action's check report", async () => {
    const channel = await createChannel(app);
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channel.id}/check` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true, message: 'Reached the test shop; credentials accepted.', details: { version: '9.1' } });
    expect(actions.calls).toContainEqual({ action: 'checkChannel', channelId: channel.id });
  });

  it('answers 404 without calling the action for an unknown channel', async () => {
    const id = randomUUID();
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${id}/check` });
    expect(response.statusCode).toBe(404);
    expect(actions.calls).not.toContainEqual({ action: 'checkChannel', channelId: id });
  });
});

describe('POST /v1/channels/:id/sync', () => {
  it('asks for a manual sync and answers 202 with the receipt', async () => {
    const channel = await createChannel(app);
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channel.id}/sync` });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ jobId: `sync-${channel.id}`, queued: true });
    expect(actions.calls).toContainEqual({ action: 'requestSync', channelId: channel.id, trigger: 'manual' });
  });

  it('answers 404 for an unknown channel', async () => {
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${randomUUID()}/sync` });
    expect(response.statusCode).toBe(404);
  });
});

describe('reconciliation settings of a channel', () => {
  it('defaults to the hub\'s schedule and a 7-day window, takes a cron or "off" and a window, and refuses a bad cron or window', async () => {
    const channel = await createChannel(app);
    expect(channel).toMatchObject({ reconcileSchedule: null, reconcileWindowDays: 7 });
    const changed = await app.inject({ method: 'PATCH', url: `/v1/channels/${channel.id}`, payload: { reconcileSchedule: '30 2 * * *', reconcileWindowDays: 30 } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ reconcileSchedule: '30 2 * * *', reconcileWindowDays: 30 });
    const off = await app.inject({ method: 'PATCH', url: `/v1/channels/${channel.id}`, payload: { reconcileSchedule: 'off' } });
    expect(off.json()).toMatchObject({ reconcileSchedule: 'off' });
    const back = await app.inject({ method: 'PATCH', url: `/v1/channels/${channel.id}`, payload: { reconcileSchedule: null } });
    expect(back.json()).toMatchObject({ reconcileSchedule: null, reconcileWindowDays: 30 });

    const badCron = await app.inject({ method: 'PATCH', url: `/v1/channels/${channel.id}`, payload: { reconcileSchedule: 'daily' } });
    expect(badCron.statusCode).toBe(400);
    expect(badCron.json().error).toMatchObject({ code: 'invalid_data', field: 'reconcileSchedule' });
    const badWindow = await app.inject({ method: 'PATCH', url: `/v1/channels/${channel.id}`, payload: { reconcileWindowDays: 0 } });
    expect(badWindow.statusCode).toBe(400);
  });
});

describe('POST /v1/channels/:id/resync', () => {
  it('asks for a resync from `since` with who asked, and answers 202 with the receipt', async () => {
    const channel = await createChannel(app);
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channel.id}/resync`, payload: { since: '2026-11-01T00:00:00Z' } });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ runId: 'run-1', since: '2026-11-01T00:00:00.000Z', sync: { jobId: `sync-${channel.id}`, queued: true } });
    const call = actions.calls.find((c) => c.action === 'resyncChannel' && c.channelId === channel.id);
    expect(call).toMatchObject({ since: '2026-11-01T00:00:00.000Z' });
    expect(call && 'requestedBy' in call && call.requestedBy).toBeTruthy();
  });

  it('asks for a full re-read without `since`', async () => {
    const channel = await createChannel(app);
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channel.id}/resync`, payload: {} });
    expect(response.statusCode).toBe(202);
    expect(actions.calls).toContainEqual(expect.objectContaining({ action: 'resyncChannel', channelId: channel.id, since: null }));
  });

  it('refuses a `since` that is not a date-time (400) and an unknown channel (404)', async () => {
    const channel = await createChannel(app);
    const bad = await app.inject({ method: 'POST', url: `/v1/channels/${channel.id}/resync`, payload: { since: 'last week' } });
    expect(bad.statusCode).toBe(400);
    const unknown = await app.inject({ method: 'POST', url: `/v1/channels/${randomUUID()}/resync`, payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect(actions.calls.filter((c) => c.action === 'resyncChannel' && c.channelId === channel.id)).toEqual([]);
  });
});

describe('GET /v1/channels/:id/sync-status', () => {
  async function insertRun(channelId: string, run: { trigger?: string; status: string; startedAt: string; finishedAt?: string; errorCode?: string; error?: string; created?: number }) {
    await testDb.db.prisma.syncRun.create({
      data: {
        channelId,
        trigger: run.trigger ?? 'schedule',
        status: run.status,
        startedAt: new Date(run.startedAt),
        finishedAt: run.finishedAt ? new Date(run.finishedAt) : null,
        pages: 2,
        received: 10,
        created: run.created ?? 0,
        updated: 1,
        unchanged: 3,
        failed: 0,
        errorCode: run.errorCode ?? null,
        error: run.error ?? null,
      },
    });
  }

  it('reports nothing yet for a channel that never synced', async () => {
    const channel = await createChannel(app);
    const response = await app.inject({ method: 'GET', url: `/v1/channels/${channel.id}/sync-status` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ channelId: channel.id, running: false, lastRun: null, lastSuccessAt: null, lastError: null, recentRuns: [] });
  });

  it('reports the last run, last success, last error and the ten newest runs', async () => {
    const channel = await createChannel(app);
    for (let i = 0; i < 11; i++) {
      const minute = String(i).padStart(2, '0');
      await insertRun(channel.id, { status: 'succeeded', startedAt: `2026-11-20T10:${minute}:00.000Z`, finishedAt: `2026-11-20T10:${minute}:30.000Z`, created: i });
    }
    await insertRun(channel.id, {
      status: 'failed',
      trigger: 'manual',
      startedAt: '2026-11-20T11:00:00.000Z',
      finishedAt: '2026-11-20T11:00:05.000Z',
      errorCode: 'upstream_rejected',
      error: 'The shop answered 401: consumer key is invalid',
    });
    await insertRun(channel.id, { status: 'running', startedAt: '2026-11-20T11:05:00.000Z' });
    await testDb.db.prisma.channel.update({ where: { id: channel.id }, data: { syncLeaseOwner: 'worker-1', syncLeaseUntil: new Date(Date.now() + 60_000) } });

    const response = await app.inject({ method: 'GET', url: `/v1/channels/${channel.id}/sync-status` });
    expect(response.statusCode).toBe(200);
    const status = response.json();
    expect(status.running).toBe(true);
    expect(status.lastRun).toMatchObject({ status: 'running', startedAt: '2026-11-20T11:05:00.000Z', finishedAt: null });
    expect(status.lastSuccessAt).toBe('2026-11-20T10:10:30.000Z');
    expect(status.lastError).toMatchObject({ at: '2026-11-20T11:00:05.000Z', code: 'upstream_rejected', message: 'The shop answered 401: consumer key is invalid' });
    expect(status.recentRuns).toHaveLength(10);
    expect(status.recentRuns.map((r: { startedAt: string }) => r.startedAt)).toEqual([...status.recentRuns.map((r: { startedAt: string }) => r.startedAt)].sort().reverse());
    expect(status.recentRuns[1]).toMatchObject({
      trigger: 'manual',
      status: 'failed',
      counts: { pages: 2, received: 10, created: 0, updated: 1, unchanged: 3, failed: 0 },
      errorCode: 'upstream_rejected',
    });
  });

  it('reports not running once the lease has expired', async () => {
    const channel = await createChannel(app);
    await testDb.db.prisma.channel.update({ where: { id: channel.id }, data: { syncLeaseOwner: 'worker-1', syncLeaseUntil: new Date(Date.now() - 1000) } });
    const response = await app.inject({ method: 'GET', url: `/v1/channels/${channel.id}/sync-status` });
    expect(response.json()).toMatchObject({ running: false, leaseUntil: expect.any(String) });
  });

  it('answers 404 for an unknown channel', async () => {
    const response = await app.inject({ method: 'GET', url: `/v1/channels/${randomUUID()}/sync-status` });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });
});
