import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Authenticator } from '../core/identity/authenticator.ts';
import { installAuth } from './auth/auth-hooks.ts';
import type { AppDeps, RouteDeps } from './deps.ts';
import { registerErrorHandling } from './errors.ts';
import { OrderLifecycle } from '../core/flows/order-lifecycle.ts';
import { OnecExchange } from '../core/onec/onec-exchange.ts';
import healthRoutes from './routes/health.ts';
import onecExchangeRoutes from './routes/onec-exchange.ts';
import v1Routes from './routes/v1/index.ts';
import { webAppRoutes } from './web-app.ts';

export type { AppDeps } from './deps.ts';

/**
 * The hub's HTTP API as a self-contained fastify app: every route validated and serialised by
 * its TypeBox schema, one error handler, OpenAPI at /docs. The caller listens (or injects).
 */
/** Query parameters that may carry a credential (URL-token webhooks, query-string auth). */
// sessid: 1C's exchange passes its session's check token in the query string.
const SECRET_PARAMS = /^(token|.*secret.*|.*key.*|password|signature|sig|sessid)$/i;

/** Request URLs are logged without the values of credential parameters. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const params = new URLSearchParams(url.slice(at + 1));
  for (const key of [...params.keys()]) if (SECRET_PARAMS.test(key)) params.set(key, '***');
  return `${url.slice(0, at)}?${params.toString()}`;
}

/**
 * Credentials a logged object may carry in headers. Requests are logged without headers anyway
 * (see the req serializer); this holds should anything log headers itself.
 */
const SECRET_HEADERS = ['authorization', 'cookie', '["set-cookie"]', '["x-api-key"]', '["x-wc-webhook-signature"]', '["x-shoprenter-hmac"]'];
const REDACTED_LOG_PATHS = ['req.headers', 'headers', '*.headers', 'config.headers', '*.config.headers'].flatMap((at) =>
  SECRET_HEADERS.map((name) => (name.startsWith('[') ? `${at}${name}` : `${at}.${name}`)),
);

function withRedactedUrls(logger: boolean | object): FastifyServerOptions['logger'] {
  if (logger === false) return false;
  const options = logger === true ? {} : (logger as Record<string, unknown>);
  return {
    redact: { paths: REDACTED_LOG_PATHS, censor: '***' },
    ...options,
    serializers: {
      req: (request: { method: string; url: string; hostname?: string; ip?: string }) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.hostname,
        remoteAddress: request.ip,
      }),
      err: errorForLog,
      ...(options.serializers as object | undefined),
    },
  } as unknown as FastifyServerOptions['logger'];
}

/**
 * Errors are logged by their type, code, message and stack only. Their other properties are not:
 * driver errors carry the query's parameters (PostgreSQL's `where` quotes a refused value, i.e. a
 * payload body), HTTP client errors carry the request's headers (credentials) and the answer.
 */
export function errorForLog(error: Error): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error as unknown) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === 'string' && { code }),
    message: error.message,
    stack: error.stack,
    ...(error.cause !== undefined && { cause: error.cause instanceof Error ? errorForLog(error.cause) : '(not an Error)' }),
  };
}

/**
 * The ops routes alone (/health, /health/live, /health/ready, /metrics) with the same access
 * declarations and error handling: what `hub worker` serves on HUB_METRICS_PORT, so that its sync
 * and payload counters can be scraped without serving the API.
 */
export async function buildOpsApp(appDeps: AppDeps): Promise<FastifyInstance> {
  const security = appDeps.security ?? {};
  const deps: RouteDeps = { ...appDeps, authenticator: new Authenticator(appDeps.db, security.policy, security.clock) };
  const app = Fastify({ logger: withRedactedUrls(deps.logger ?? false), trustProxy: security.trustProxy ?? false }).withTypeProvider<TypeBoxTypeProvider>();
  registerErrorHandling(app);
  await installAuth(app as unknown as FastifyInstance, deps);
  await app.register(healthRoutes, { deps });
  return app as unknown as FastifyInstance;
}

export async function buildApp(appDeps: AppDeps): Promise<FastifyInstance> {
  const security = appDeps.security ?? {};
  const deps: RouteDeps = { ...appDeps, authenticator: new Authenticator(appDeps.db, security.policy, security.clock), onecExchange: onecExchangeOf(appDeps) };
  const app = Fastify({
    logger: withRedactedUrls(deps.logger ?? false),
    trustProxy: security.trustProxy ?? false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandling(app);
  // Security headers on every answer, refusals included, so before the auth hook (CSP, no sniffing, no framing, HSTS on HTTPS).
  await app.register(helmet, {
    global: true,
    // Not upgrade-insecure-requests: a hub served over plain HTTP on a LAN (the embedded default) would send its pages' requests to an HTTPS port that is not there.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  // Before any plugin that adds routes: every route after it must declare its access.
  await installAuth(app as unknown as FastifyInstance, deps);
  // Cross-origin browser calls only from the origins the operator lists; none by default.
  await app.register(cors, { origin: security.corsOrigins?.length ? [...security.corsOrigins] : false, credentials: true });

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
        { name: 'auth', description: 'Sign-in, sessions, API tokens, users and roles, the audit log' },
        { name: 'connectors' },
        { name: 'channels' },
        { name: 'orders' },
        { name: 'raw-payloads' },
        { name: 'sales desk', description: 'Manual orders and quotes' },
        { name: 'reports' },
        { name: 'exclusivity', description: 'Regions and regional exclusivity rules' },
        { name: 'stock', description: 'Products, stock, incoming supply, availability, reservations, manual review' },
        { name: 'dealers', description: 'Dealers, their regions, assortment, managers, promotions and points' },
        { name: '1c', description: "1C's CommerceML exchange (обмен с сайтом) and its log" },
        { name: 'distribution', description: 'Distribution of orders to dealers: strategy configuration, offers, taking, fulfilment, trace, what-if, notifications' },
      ],
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });

  await app.register(healthRoutes, { deps });
  await app.register(v1Routes, { prefix: '/v1', deps });
  await app.register(onecExchangeRoutes, { deps });
  // The browser app last: its catch-all route answers only paths no API route took.
  await app.register(async (web) => webAppRoutes(web as unknown as FastifyInstance, { dist: appDeps.webDist }));
  return app as unknown as FastifyInstance;
}

function onecExchangeOf(deps: AppDeps): OnecExchange | undefined {
  if (!deps.onec) return undefined;
  return new OnecExchange(deps.db, deps.onec.ports, {
    lifecycle: new OrderLifecycle(deps.db),
    batchSize: deps.onec.batchSize,
    recordBudget: deps.onec.recordBudget,
    clock: deps.security?.clock,
  });
}
