import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../../deps.ts';
import { ConnectorListSchema } from '../../schemas/connectors.ts';
import { staff } from '../../auth/access.ts';

/** GET /v1/connectors: what channels can be made of, with each connector's config schema. */
const connectorRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  app.get(
    '/connectors',
    { config: staff('channels.read'), schema: { tags: ['connectors'], summary: 'List connectors', response: { 200: ConnectorListSchema } } },
    async () => ({
      items: deps.catalog.list().map((c) => ({
        type: c.type,
        title: c.title,
        channelKind: c.channelKind,
        // TypeBox schemas are plain JSON schema (their Kind markers are symbols, which JSON leaves out).
        config: c.spec,
        secretFields: [...c.secretFields],
        canPull: c.canPull,
        canReceiveWebhooks: c.canReceiveWebhooks,
        canWriteStatus: c.canWriteStatus === true,
      })),
    }),
  );
};

export default connectorRoutes;
