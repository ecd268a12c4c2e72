import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Database } from '../core/db/database.ts';
import type { ConnectorCatalog, HubActions } from '../core/ports.ts';
import { registerErrorHandling } from './errors.ts';
import healthRoutes from './routes/health.ts';
import v1Routes from './routes/v1/index.ts';

export interface AppDeps {
  db: Database;
  catalog: ConnectorCatalog;
  actions: HubActions;
  /** fastify's logger option: false (default) for none, true or pino options to log. */
  logger?: boolean | object;
  /** Largest webhook body accepted, in bytes (default 10 MB); larger ones get 413. */
  webhookBodyLimit?: number;
}

/**
 * The hub's HTTP API as a self-contained fastify app: every route validated and serialised by
 * its TypeBox schema, one error handler, OpenAPI at /docs. The caller listens (or injects).
 */
/** Query parameters that may carry a credential (URL-token webhooks, query-string auth). */
const SECRET_PARAMS = /^(token|.*secret.*|.*key.*|password|signature|sig)$/i;

/** Request URLs are logged without the values of credential parameters. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const params = new URLSearchParams(url.slice(at + 1));
  for (const key of [...params.keys()]) if (SECRET_PARAMS.test(key)) params.set(key, '***');
  return `${url.slice(0, at)}?${params.toString()}`;
}

function withRedactedUrls(logger: boolean | object): FastifyServerOptions['logger'] {
  if (logger === false) return false;
  const options = logger === true ? {} : (logger as Record<string, unknown>);
  return {
    ...options,
    serializers: {
      req: (request: { method: string; url: string; hostname?: string; ip?: string }) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.hostname,
        remoteAddress: request.ip,
      }),
      ...(options.serializers as object | undefined),
    },
  } as FastifyServerOptions['logger'];
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: withRedactedUrls(deps.logger ?? false),
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandling(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'orderhub API',
        version: '1',
        description: 'Orders from every sales channel in one core model: channels, sync, webhooks, orders, raw payload archive.',
      },
      tags: [
        { name: 'health' },
        { name: 'connectors' },
        { name: 'channels' },
        { name: 'orders' },
        { name: 'raw-payloads' },
        { name: 'sales desk', description: 'Manual orders and quotes' },
        { name: 'reports' },
        { name: 'exclusivity', description: 'Regions and regional exclusivity rules' },
        { name: 'stock', description: 'Products, stock, incoming supply, availability, reservations, manual review' },
        { name: 'dealers', description: 'Dealers, their regions, assortment, managers, promotions and points' },
        { name: 'distribution', description: 'Distribution of orders to dealers: strategy configuration, offers, taking, fulfilment, trace, what-if, notifications' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, { deps });
  await app.register(v1Routes, { prefix: '/v1', deps });
  return app as unknown as FastifyInstance;
}
