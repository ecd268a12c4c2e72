import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { openDatabase, type Database } from '../../core/db/database.ts';
import { migrate } from '../../core/db/migrate.ts';
import { fakeCatalog, FakeActions } from '../api/fakes.ts';

// The hub serves its browser app itself: a built web/dist stands in, so the test does not depend on the install's build.
let dir: string;
let db: Database;
let app: FastifyInstance;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-web-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/app-1234.js"></script>');
  await writeFile(join(dir, 'assets', 'app-1234.js'), 'console.log("app")');
  db = await openDatabase({});
  await migrate(db);
  app = await buildApp({ db, catalog: fakeCatalog, actions: new FakeActions(db), webDist: `${dir}/` });
});

afterAll(async () => {
  await app?.close();
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the web app at /', () => {
  it('answers / and every app path with index.html, never cached, under the strict CSP', async () => {
    for (const url of ['/', '/dealer/orders', '/ops/channels/abc?x=1']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toMatch(/script-src 'self'/);
      expect(response.body).toContain('/assets/app-1234.js');
    }
  });

  it('serves the content-hashed assets cached for a year, and 404s a missing one', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/app-1234.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe('console.log("app")');
    expect((await app.inject({ method: 'GET', url: '/assets/gone.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/assets/../index.html' })).statusCode).not.toBe(500);
  });

  it('keeps unknown API and machine paths JSON 404s instead of the page', async () => {
    for (const url of ['/v1/nothing', '/v1', '/health/nothing', '/1c/other', '/metrics/x']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('says how to build the app when web/dist is missing', async () => {
    const bare = await buildApp({ db, catalog: fakeCatalog, actions: new FakeActions(db), webDist: join(dir, 'missing/') });
    try {
      const response = await bare.inject({ method: 'GET', url: '/dealer/orders' });
      expect(response.statusCode).toBe(503);
      expect(response.body).toContain('npm ci');
    } finally {
      await bare.close();
    }
  });
});
