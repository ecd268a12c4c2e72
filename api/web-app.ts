import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { anyone } from './auth/access.ts';

/** web/dist, built by the install (scripts/build-web.mjs). */
export const WEB_DIST = fileURLToPath(new URL('../web/dist/', import.meta.url));

/** Paths that belong to the API and machines: an unknown one is a JSON 404, never the web app's page. */
const NOT_THE_APP = /^\/(v\d+|1c|bitrix|docs|health|metrics)(\/|$)/;

/**
 * The browser app at /: its built files under /assets (content-hashed, cached for a year) and
 * index.html for every other path, so the app's own routes (/dealer/orders/…) survive a reload.
 * The files hold no data: every screen asks the API, which checks who is asking.
 */
export async function webAppRoutes(app: FastifyInstance, options: { dist?: string } = {}): Promise<void> {
  const dist = options.dist ?? WEB_DIST;
  const built = existsSync(`${dist}index.html`);
  await app.register(fastifyStatic, { root: dist, serve: false });

  const page = anyone('the web app: static files that hold no data');
  app.get('/assets/*', { config: page, schema: { hide: true } }, (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    return reply.sendFile(`assets/${file}`, { maxAge: 31_536_000_000, immutable: true });
  });

  const index = (request: FastifyRequest, reply: FastifyReply) => {
    if (NOT_THE_APP.test(request.url)) return reply.callNotFound();
    if (!built) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built: run `npm ci` (or `node scripts/build-web.mjs`). The API is at /v1 and its documentation at /docs.');
    }
    // index.html names the current assets: never cached, so a new build is picked up at once.
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  };
  app.get('/', { config: page, schema: { hide: true } }, index);
  app.get('/*', { config: page, schema: { hide: true } }, index);
}
