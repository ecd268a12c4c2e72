import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import iconv from 'iconv-lite';
import { isDatabaseOutage } from '../../core/db/sql-errors.ts';
import { HubError, isHubError } from '../../core/errors.ts';
import { EXCHANGE_COOKIE, type OnecExchange } from '../../core/onec/onec-exchange.ts';
import type { ExchangeSession, ExchangeType } from '../../core/onec/exchange-store.ts';
import { staff } from '../auth/access.ts';
import type { RouteDeps } from '../deps.ts';

/**
 * 1C's CommerceML exchange ("обмен с сайтом"), where a 1C configured for a site calls it: at
 * /1c/exchange and at the 1C-Bitrix path /bitrix/admin/1c_exchange.php (so a 1C set up for a Bitrix
 * site works unchanged), GET and POST, `?type=catalog|sale&mode=…`. The protocol lives in
 * core/onec/onec-exchange.ts; this file only speaks its text: lines in the configured encoding
 * (windows-1251 by default), `failure\n<reason>` for every refusal, so 1C shows the reason to its user.
 *
 * Who may call: integration users (`onec.exchange`): HTTP Basic at checkauth, then the session cookie
 * checkauth gave (and its sessid, when 1C sends one).
 */

export const ONEC_EXCHANGE_PATHS = ['/1c/exchange', '/bitrix/admin/1c_exchange.php'] as const;

const QuerySchema = Type.Object({
  type: Type.Optional(Type.String()),
  mode: Type.Optional(Type.String()),
  filename: Type.Optional(Type.String()),
  sessid: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
});
type Query = { type?: string; mode?: string; filename?: string; sessid?: string; version?: string };

/** The largest body a mode=file call may carry, whatever file_limit says (it is checked against file_limit after). */
const BODY_LIMIT = 100 * 1024 * 1024 + 1024;

declare module 'fastify' {
  interface FastifyRequest {
    onecSession?: ExchangeSession | undefined;
  }
}

const onecExchangeRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  // 1C sends a chunk as whatever content type its platform picks: every body is taken as bytes, unparsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));

  const encodingOf = async (): Promise<'windows-1251' | 'utf-8'> => {
    try {
      return deps.onecExchange ? (await deps.onecExchange.settings()).settings.encoding : 'windows-1251';
    } catch {
      return 'windows-1251';
    }
  };
  const answer = async (reply: FastifyReply, lines: string[], status = 200) => {
    const encoding = await encodingOf();
    return reply
      .code(status)
      .header('content-type', `text/plain; charset=${encoding}`)
      .header('cache-control', 'no-store')
      .send(iconv.encode(`${lines.join('\n')}\n`, encoding));
  };

  const errorHandler = async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let message: string;
    let status = 200;
    if (isHubError(error)) {
      message = error.code === 'internal' ? 'Internal error' : error.message;
      const presented = !!request.headers.authorization || !!request.cookies?.[EXCHANGE_COOKIE];
      if (error.code === 'unauthorized' && !presented) {
        // No credentials at all: challenge, so a 1C that waits for one sends its Basic credentials.
        status = 401;
        void reply.header('www-authenticate', 'Basic realm="orderhub 1C exchange", charset="UTF-8"');
      }
      // A signed-in user without the permission: 403 like every route (1C shows the status and the reason).
      if (error.code === 'not_allowed') status = 403;
    } else if (isDatabaseOutage(error)) {
      request.log.error({ err: error }, '1C exchange call failed: the database cannot be reached');
      message = 'The hub cannot reach its database right now; nothing was done. Try again shortly.';
      status = 503;
    } else if (typeof error.statusCode === 'number' && error.statusCode < 500) {
      message = error.message;
    } else {
      request.log.error({ err: error }, '1C exchange call failed');
      message = 'Internal error';
    }
    if (request.onecSession && deps.onecExchange) {
      const query = request.query as Query;
      await deps.onecExchange.store
        .logStep(request.onecSession.id, { mode: query.mode ?? '', filename: query.filename, answer: `failure: ${message}`.slice(0, 500), ms: 0, at: new Date().toISOString() })
        .catch(() => undefined);
    }
    return answer(reply, ['failure', message], status);
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const exchange = deps.onecExchange;
    if (!exchange) throw new HubError('not_found', 'This app was built without the 1C exchange\'s ports (AppDeps.onec: reader, catalogue, writer).');
    const query = request.query as Query;
    const type = exchangeType(query.type);
    const mode = query.mode ?? '';
    const principal = request.principal!;
    if (mode === 'checkauth') {
      if (!/^basic /i.test(request.headers.authorization ?? '')) throw new HubError('unauthorized', 'checkauth needs the login and password of an integration user (HTTP Basic).');
      const opened = await exchange.checkauth(principal, type);
      void reply.setCookie(EXCHANGE_COOKIE, opened.secret, { path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https' });
      return answer(reply, opened.lines);
    }
    const secret = request.cookies[EXCHANGE_COOKIE];
    const { session, principal: owner } = await exchange.sessionOf(secret, query.sessid);
    if (owner.userId !== principal.userId) throw new HubError('unauthorized', 'The exchange session belongs to another user: start again with mode=checkauth.');
    // 1C names the type on every call; the session's files are read as this call's type says.
    const current: ExchangeSession = { ...session, type };
    request.onecSession = current;
    const started = Date.now();
    const log = (first: string) => exchange.store.logStep(session.id, { mode, filename: query.filename, answer: first.slice(0, 500), ms: Date.now() - started, at: new Date().toISOString() });
    if (mode === 'query') {
      if (type !== 'sale') throw new HubError('invalid_data', 'mode=query is for type=sale.');
      // The Content-Type names the encoding the document was written in, not the settings read again.
      const { document, encoding } = await exchange.query(current);
      await log(`document: ${document.byteLength} bytes`);
      return reply.code(200).header('content-type', `application/xml; charset=${encoding}`).header('cache-control', 'no-store').send(document);
    }
    const lines = await runMode(exchange, current, mode, query, request.body, secret!);
    await log(lines.join(' | '));
    return answer(reply, lines);
  };

  for (const url of ONEC_EXCHANGE_PATHS) {
    app.route({
      method: ['GET', 'POST'],
      url,
      config: { ...staff('onec.exchange'), exchangeCookie: EXCHANGE_COOKIE },
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ['1c'],
        summary: "1C's CommerceML exchange (обмен с сайтом): checkauth, init, file, import, query, success",
        querystring: QuerySchema,
      },
      errorHandler,
      handler,
    });
  }
};

async function runMode(exchange: OnecExchange, session: ExchangeSession, mode: string, query: Query, body: unknown, secret: string): Promise<string[]> {
  switch (mode) {
    case 'init':
      return exchange.init(session, query.version, secret);
    case 'file':
      return exchange.file(session, query.filename, Buffer.isBuffer(body) ? body : Buffer.alloc(0));
    case 'import':
      return exchange.import(session, query.filename);
    case 'success':
      return exchange.success(session);
    // Newer 1C exchange modules end a catalogue exchange with these; nothing is left to do then.
    case 'complete':
    case 'deactivate':
      return ['success'];
    default:
      throw new HubError('invalid_data', `Unknown mode "${mode}": checkauth, init, file, import, query or success.`);
  }
}

function exchangeType(type: string | undefined): ExchangeType {
  if (type === 'catalog' || type === 'sale') return type;
  throw new HubError('invalid_data', `Unknown type "${type ?? ''}": catalog or sale.`);
}

export default onecExchangeRoutes;
