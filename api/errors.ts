import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseOutage } from '../core/db/sql-errors.ts';
import { ERROR_CODES, isHubError, type ErrorCode } from '../core/errors.ts';
import type { ErrorBody } from './schemas/common.ts';

export function errorBody(code: ErrorCode, message: string, field?: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(field !== undefined && { field }), ...(details !== undefined && { details }) } };
}

/**
 * The one place errors become HTTP answers: HubError by its code, request validation as 400
 * invalid_data naming the field, fastify's own client errors (bad JSON, body too large) by their
 * status, a database that cannot be reached as 503 upstream_unavailable (try again later), everything
 * else as a 500 whose details stay in the log.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    void reply.code(404).send(errorBody('not_found', `Route ${request.method} ${request.url.split('?')[0]} does not exist.`));
  });

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // Error bodies are ours; a route's schema for the same status (e.g. /health's 503 report)
    // must not be used to serialise them.
    reply.serializer(JSON.stringify).type('application/json; charset=utf-8');
    if (isHubError(error)) {
      const status = ERROR_CODES[error.code].http;
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      if (error.code === 'unauthorized') {
        // Basic only to a caller that tried it (1C); a browser shown a Basic challenge would pop up a password dialog.
        const basic = (error.details as { scheme?: string } | undefined)?.scheme === 'basic';
        void reply.header('www-authenticate', basic ? 'Basic realm="orderhub", charset="UTF-8"' : 'Bearer realm="orderhub"');
      }
      const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (error.code === 'rate_limited' && typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
      // Codes in the closed vocabulary carry messages written for callers; only `internal` hides its text.
      const message = error.code === 'internal' ? 'Internal error' : error.message;
      // Details say which case of a code it was (already_taken, not_offered...); a 5xx keeps its details in the log.
      return reply.code(status).send(errorBody(error.code, message, error.field, status < 500 ? error.details : undefined));
    }

    if (error.validation && error.validation.length > 0) {
      const first = error.validation[0]!;
      const field = validationField(error.validationContext, first.instancePath, first.params);
      const subject = field ?? error.validationContext ?? 'request';
      const message = first.keyword === 'required' ? `${subject} is required` : `${subject} ${first.message ?? 'is not valid'}`;
      return reply.code(400).send(errorBody('invalid_data', message, field));
    }

    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      // fastify's own client errors: malformed JSON (400), body too large (413), unsupported media type (415)...
      const code: ErrorCode = status === 404 ? 'not_found' : status === 401 ? 'unauthorized' : status === 403 ? 'not_allowed' : status === 409 ? 'conflict' : 'invalid_data';
      return reply.code(status).send(errorBody(code, error.message));
    }

    if (isDatabaseOutage(error)) {
      // Not the request's fault nor a bug: the caller should try again once the database is back.
      request.log.error({ err: error }, 'request failed: the database cannot be reached');
      void reply.header('retry-after', '5');
      return reply.code(503).send(errorBody('upstream_unavailable', 'The hub cannot reach its database right now; nothing was done. Try again shortly.'));
    }

    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorBody('internal', 'Internal error'));
  });
}

/** `config.url` from instancePath `/config/url`; the missing property for `required` errors. */
function validationField(context: string | undefined, instancePath: string, params: Record<string, unknown> | undefined): string | undefined {
  const segments = instancePath.split('/').filter(Boolean).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const missing = params?.missingProperty;
  if (typeof missing === 'string') segments.push(missing);
  const additional = params?.additionalProperty;
  if (typeof additional === 'string') segments.push(additional);
  if (segments.length > 0) return segments.join('.');
  return context === 'body' ? undefined : context;
}
