import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ExchangeDetailSchema, ExchangeListQuerySchema, ExchangeSummarySchema, getExchange, listExchanges } from '../../../core/onec/exchange-log.ts';
import { staff } from '../../auth/access.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors, IdParamsSchema } from '../../schemas/common.ts';

/** /v1/onec/exchanges: the log of 1C's exchange sessions (the exchange itself is at /1c/exchange). */
const onecRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const tags = ['1c'];

  app.get(
    '/onec/exchanges',
    {
      config: staff('onec.exchanges.read'),
      schema: {
        tags,
        summary: "1C's exchange sessions, newest first: who, type, files and bytes, counts, errors",
        querystring: ExchangeListQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(ExchangeSummarySchema) }), ...errors(400) },
      },
    },
    async (request) => ({ items: await listExchanges(deps.db, request.query) }),
  );

  app.get(
    '/onec/exchanges/:id',
    {
      config: staff('onec.exchanges.read'),
      schema: {
        tags,
        summary: 'One exchange session: every call with its answer and duration, every file with its size, import position, counts and error',
        params: IdParamsSchema,
        response: { 200: ExchangeDetailSchema, ...errors(404) },
      },
    },
    async (request) => getExchange(deps.db, request.params.id),
  );
};

export default onecRoutes;
