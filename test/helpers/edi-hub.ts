import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { actingAs, makeUser } from './auth.ts';
import type { TestDatabase } from './databases.ts';

/** The partner's upload token of every EDI channel `ediChannel` makes. */
export const EDI_UPLOAD_TOKEN = 'partner-upload-token-0123456789';

export interface EdiHub {
  t: TestDatabase;
  hub: Hub;
  /** The API as the partner sees it (no user; uploads carry the channel's token). */
  app: FastifyInstance;
  /** The API acting as an admin. */
  admin: FastifyInstance;
  /** An EDI channel (our id 5412345000013, the upload token) with extra config. */
  ediChannel(name: string, config?: Record<string, unknown>): Promise<string>;
  /** Uploads a file to the channel as the partner does (extra headers: a file name, another content type). */
  upload(channelId: string, body: Buffer, token?: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** The partner's API on a real port (for requests that stream or break off), listening from the first call. */
  baseUrl(): Promise<string>;
  close(): Promise<void>;
}

/** A hub without schedules and its API on a fresh database, for tests of EDI partners' files. */
export async function startEdiHub(createDb: () => Promise<TestDatabase>): Promise<EdiHub> {
  const t = await createDb();
  const hub = await createHub(loadConfig({}), { db: t.db, schedules: false });
  const app = await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions });
  const admin = actingAs(app, await makeUser(t.db, { roles: ['admin'] }));
  let listening: Promise<string> | undefined;
  return {
    t,
    hub,
    app,
    admin,
    async ediChannel(name, config = {}) {
      const response = await admin.inject({ method: 'POST', url: '/v1/channels', payload: { name, connectorType: 'edi', config: { ourId: '5412345000013', uploadToken: EDI_UPLOAD_TOKEN, ...config } } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json<{ id: string }>().id;
    },
    upload: (channelId, body, token = EDI_UPLOAD_TOKEN, headers = {}) =>
      app.inject({ method: 'POST', url: `/v1/channels/${channelId}/files`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/edifact', ...headers }, payload: body }),
    async baseUrl() {
      listening ??= app.listen({ port: 0, host: '127.0.0.1' });
      return listening;
    },
    async close() {
      await app.close();
      await hub.close();
      await t.drop();
    },
  };
}
