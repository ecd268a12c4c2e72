import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, errorForLog } from '../../api/app.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import type { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import type { JobLogger, PayloadProcessedEvent } from '../../jobs/runtime/types.ts';
import { asAdmin, type TestUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { nextProcessedPayload } from '../helpers/payload-events.ts';

const fixture = (path: string) => readFile(new URL(`../fixtures/${path}`, import.meta.url));

const EDI_TOKEN = 'edi-upload-token-SECRET-0123456789';
const POS_KEY = 'pos-store-key-SECRET-0123456789';
const WOO = { url: 'https://logs-shop.example.hu', consumerKey: 'ck_logtest_4f1e2d3c4b5a69788796a5b4c3d2e1f0', consumerSecret: 'cs_logtest_0f1e2d3c4b5a69788796a5b4c3d2e1f' };
const LOCKED = { url: 'https://locked-shop.example.hu', consumerKey: 'ck_locked_9a8b7c6d5e4f30211203f4e5d6c7b8a9', consumerSecret: 'cs_locked_a9b8c7d6e5f40312213f4e5d6c7b8a90' };
const ORDERS = '/wp-json/wc/v3/orders';

/**
 * Logs never carry payload bodies, secrets or clients' personal data. A full run through the API
 * and the jobs (uploads with a customer's name, e-mail and phone, a wrong token, a file with NUL
 * bytes, an inbox with a broken file, a POS push, a WooCommerce sync against nock and one refused
 * for bad keys) is logged at trace level into a buffer, and the buffer is searched for all of it.
 */
describe('log hygiene', () => {
  let testDb: TestDatabase;
  let hub: Hub;
  let app: FastifyInstance;
  let admin: TestUser;
  let runner: InProcessRunner;
  const lines: string[] = [];

  beforeAll(async () => {
    testDb = await createTestPostgres();
    // The jobs log through the API's pino logger, as one process would: one stream holds everything.
    const sink: { target?: JobLogger } = {};
    const jobs: JobLogger = {
      info: (data, message) => sink.target?.info(data, message),
      warn: (data, message) => sink.target?.warn(data, message),
      error: (data, message) => sink.target?.error(data, message),
    };
    hub = await createHub(loadConfig({ DATABASE_URL: testDb.url }), { db: testDb.db, logger: jobs, retry: { attempts: 2, backoffMs: 10 } });
    runner = hub.runner as InProcessRunner;
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const built = await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions, logger: { level: 'trace', stream } });
    sink.target = built.log;
    await runner.start();
    ({ app, admin } = await asAdmin(built, hub.db));
  });

  afterAll(async () => {
    nock.cleanAll();
    await app?.close();
    await hub?.close();
    await testDb?.drop();
  });

  const processed = (): Promise<PayloadProcessedEvent> => nextProcessedPayload(runner);

  async function createChannel(body: Record<string, unknown>): Promise<string> {
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: string }>().id;
  }

  it('a full run logs what happened without bodies, secrets or customers’ data', async () => {
    const order = await fixture('edi/edifact/constructed-full-d96a.edi');
    const broken = await fixture('edi/edifact/constructed-two-messages-one-broken.edi');
    const inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
    const partner = await createChannel({ name: 'Log partner', connectorType: 'edi', config: { ourId: '4098765000010', uploadToken: EDI_TOKEN, inboxDir: inbox } });
    const upload = (body: Buffer, token = EDI_TOKEN) =>
      app.inject({ method: 'POST', url: `/v1/channels/${partner}/files`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/edifact' }, payload: body });

    // Uploads: a wrong token, a good order, a broken interchange and a file with NUL bytes.
    expect((await upload(order, 'wrong-token-wrong-token-wrong-token')).statusCode).toBe(401);
    for (const body of [order, broken, Buffer.concat([order.subarray(0, 60), Buffer.from([0, 0, 0xff]), order.subarray(60)])]) {
      const done = processed();
      expect((await upload(body)).statusCode).toBe(202);
      await done;
    }
    // The inbox: a broken file before a good one.
    await writeFile(join(inbox, '1-broken.edi'), Buffer.concat([broken, Buffer.from([0])]));
    await writeFile(join(inbox, '2-order.edi'), Buffer.from(order.toString('utf8').replace('PO-77', 'PO-78')));
    expect(await syncChannel(hub.context, partner, 'manual')).toMatchObject({ status: 'partial' });

    // A POS push whose body has a NUL byte: archived, answered 202, failed as not text.
    const store = await createChannel({ name: 'Log store', connectorType: 'pos', config: { storeCode: 'LOG-01', apiKey: POS_KEY } });
    const sale = JSON.stringify({ receiptId: 'R-9', terminalId: 'T1', completedAt: '2026-11-23T09:15:02+01:00', currency: 'HUF', lines: [], total: '0', customer: 'Kovács Éva' });
    const pushed = processed();
    const push = await app.inject({ method: 'POST', url: `/v1/channels/${store}/webhook`, headers: { authorization: `Bearer ${POS_KEY}`, 'content-type': 'application/json' }, payload: Buffer.from(`${sale}\u0000`) });
    expect(push.statusCode, push.body).toBe(202);
    expect((await pushed).outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/^not text: binary data/) });

    // WooCommerce: a sync against nock with the customer's data, and a shop refusing the keys.
    const page = (await fixture('woocommerce/list-orders-page.json')).toString('utf8');
    let calls = 0;
    nock(WOO.url)
      .persist()
      .get(ORDERS)
      .query(true)
      .reply(() => {
        calls += 1;
        return calls === 1 ? [200, page, { 'Content-Type': 'application/json', 'X-WP-Total': '2', 'X-WP-TotalPages': '1' }] : [200, '[]', { 'Content-Type': 'application/json', 'X-WP-Total': '0', 'X-WP-TotalPages': '0' }];
      });
    nock(LOCKED.url)
      .persist()
      .get(ORDERS)
      .query(true)
      .reply(401, { code: 'woocommerce_rest_authentication_error', message: 'Invalid signature - provided signature does not match.', data: { status: 401 } });
    const shop = await createChannel({ name: 'Log shop', connectorType: 'woocommerce', config: WOO });
    const locked = await createChannel({ name: 'Locked log shop', connectorType: 'woocommerce', config: LOCKED });
    expect(await syncChannel(hub.context, shop, 'manual')).toMatchObject({ status: 'succeeded', counts: { created: 2 } });
    await expect(syncChannel(hub.context, locked, 'manual')).rejects.toMatchObject({ code: 'unauthorized' });
    // A run whose every page fails, through the runner: retried, and the retry is logged too.
    const failing = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
    const lost = await createChannel({ name: 'Failing log partner', connectorType: 'edi', config: { ourId: '4098765000010', inboxDir: failing } });
    await writeFile(join(failing, 'only-broken.edi'), Buffer.concat([broken, Buffer.from([0])]));
    await runner.requestSync(lost, 'manual');
    await runner.whenIdle();

    const log = lines.join('');
    expect(log).toMatch(/"code":"upstream_unavailable"[^\n]*"msg":"sync failed, retrying"/);
    // The capture works: requests, the syncs and their failures are in it.
    expect(log).toContain('"msg":"incoming request"');
    expect(log).toContain('sync of \\"Log shop\\" succeeded');
    expect(log).toContain('Sync of \\"Log partner\\" partly failed: 1 of 2 page(s) failed: page 1 (payload ');
    expect(log).toContain('upload rejected');

    const secrets = [EDI_TOKEN, POS_KEY, WOO.consumerKey, WOO.consumerSecret, LOCKED.consumerKey, LOCKED.consumerSecret, admin.token, 'wrong-token-wrong-token-wrong-token'];
    // Customers and their data: the EDI order's buyer and contact, the Woo order's billing, the POS sale's customer.
    const people = ['Erika Muster', 'erika@example.com', '30 123456', 'Hauptstr', 'Garten AG', 'john.doe@example.com', '(555) 555-5555', '969 Market', 'Kovács Éva'];
    // Bodies: segments of the interchanges and of the shop's answer.
    const bodies = ["UNB+UNOC:3", 'BGM+220', 'NAD+BY', '"line_items"', '"billing"', '"receiptId"'];
    for (const needle of [...secrets, ...people, ...bodies]) expect(log, needle).not.toContain(needle);
    for (const header of ['authorization', 'cookie', 'x-api-key', 'x-wc-webhook-signature']) expect(log.toLowerCase(), header).not.toContain(`"${header}"`);
  });

  it('masks credentials in headers should anything log them', () => {
    const before = lines.length;
    app.log.info({ headers: { authorization: `Bearer ${EDI_TOKEN}`, cookie: 'hub_session=abc', 'x-api-key': POS_KEY, accept: 'text/plain' } }, 'headers logged');
    const logged = lines.slice(before).join('');
    expect(logged).toContain('"accept":"text/plain"');
    for (const needle of [EDI_TOKEN, 'hub_session=abc', POS_KEY]) expect(logged).not.toContain(needle);
    expect(logged).toContain('"authorization":"***"');
  });

  it('logs an error by its type, code, message and stack, never its other properties (query parameters, request headers)', () => {
    const driver = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021', where: "unnamed portal parameter $6 = '...Erika Muster...'" });
    const client = Object.assign(new Error('Request failed with status code 401'), { config: { headers: { Authorization: `Basic ${WOO.consumerSecret}` } }, response: { data: 'body' } });
    const logged = JSON.stringify([errorForLog(driver), errorForLog(new Error('wrapped', { cause: client }))]);
    expect(logged).toContain('invalid byte sequence');
    expect(logged).toContain('"code":"22021"');
    expect(logged).toContain('Request failed with status code 401');
    for (const needle of ['Erika', WOO.consumerSecret, 'Authorization', '"body"']) expect(logged).not.toContain(needle);
  });
});
