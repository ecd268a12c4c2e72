import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouteDeps } from '../../deps.ts';
import { errors, IdParamsSchema } from '../../schemas/common.ts';
import {
  CreateQuoteBodySchema,
  ListQuotesQuerySchema,
  LoseQuoteBodySchema,
  QuoteConversionSchema,
  QuoteSchema,
  ReviseQuoteBodySchema,
} from '../../schemas/sales-desk.ts';
import { staff } from '../../auth/access.ts';
import { actorOf } from '../../auth/request-context.ts';

/** /v1/quotes: the sales desk's quotes, which may become orders (an order recorded directly is in channels/orders.ts). */
const quoteRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const quotes = deps.actions.quotes;

  app.get(
    '/quotes',
    { config: staff('sales.quotes'), schema: { tags: ['sales desk'], summary: 'List quotes, newest first', querystring: ListQuotesQuerySchema, response: { 200: Type.Object({ items: Type.Array(QuoteSchema) }) } } },
    async (request) => ({ items: await quotes.list(request.query) }),
  );

  app.post(
    '/quotes',
    { config: staff('sales.quotes'), schema: { tags: ['sales desk'], summary: 'Make a quote on a manual channel', body: CreateQuoteBodySchema, response: { 201: QuoteSchema, ...errors(400, 404) } } },
    async (request, reply) => reply.code(201).send(await quotes.create({ ...request.body, createdBy: actorOf(request).login })),
  );

  app.get(
    '/quotes/:id',
    { config: staff('sales.quotes'), schema: { tags: ['sales desk'], summary: 'A quote with every version', params: IdParamsSchema, response: { 200: QuoteSchema, ...errors(404) } } },
    async (request) => quotes.get(request.params.id, { withVersions: true }),
  );

  app.put(
    '/quotes/:id',
    {
      config: staff('sales.quotes'),
      schema: {
        tags: ['sales desk'],
        summary: 'Revise a quote: a new version, to be sent again',
        params: IdParamsSchema,
        body: ReviseQuoteBodySchema,
        response: { 200: QuoteSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => quotes.revise(request.params.id, request.body.content, actorOf(request).login),
  );

  const step = (action: 'send' | 'accept', summary: string) =>
    app.post(
      `/quotes/:id/${action}`,
      { config: staff('sales.quotes'), schema: { tags: ['sales desk'], summary, params: IdParamsSchema, response: { 200: QuoteSchema, ...errors(404, 409) } } },
      async (request) => quotes[action](request.params.id),
    );
  step('send', 'Mark a quote as sent to the buyer');
  step('accept', 'Mark a sent quote as accepted by the buyer');

  app.post(
    '/quotes/:id/lose',
    {
      config: staff('sales.quotes'),
      schema: { tags: ['sales desk'], summary: 'Mark a quote as lost, with the reason', params: IdParamsSchema, body: LoseQuoteBodySchema, response: { 200: QuoteSchema, ...errors(400, 404, 409) } },
    },
    async (request) => quotes.lose(request.params.id, request.body.reason),
  );

  app.post(
    '/quotes/:id/convert',
    {
      config: staff('sales.quotes'),
      schema: {
        tags: ['sales desk'],
        summary: 'Turn an accepted quote into an order (exactly once; converting again answers the same order)',
        params: IdParamsSchema,
        response: { 200: QuoteConversionSchema, 201: QuoteConversionSchema, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const conversion = await quotes.convert(request.params.id);
      return reply.code(conversion.created ? 201 : 200).send(conversion);
    },
  );
};

export default quoteRoutes;
