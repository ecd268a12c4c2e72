import { Type, type Static } from '@sinclair/typebox';
import type { ConnectorDefinition, WebhookVerdict } from '../_kit/definition.ts';
import { presentedApiKey, secretsEqual } from '../_kit/secret-token.ts';

/**
 * A physical store: its POS terminals push completed sales to the hub
 * (`POST /v1/channels/<id>/webhook`, `Authorization: Bearer <apiKey>`), one channel per store so
 * store turnover stays separable from every other channel. Nothing is pulled.
 */
export const PosConfigSchema = Type.Object(
  {
    storeCode: Type.String({ minLength: 1, description: 'The store as the business names it, e.g. "BP-01"' }),
    storeName: Type.Optional(Type.String()),
    apiKey: Type.String({ minLength: 24, description: 'Shared by the store’s terminals; at least 24 characters' }),
  },
  { additionalProperties: false },
);
export type PosConfig = Static<typeof PosConfigSchema>;

export const posConnector: ConnectorDefinition<PosConfig> = {
  type: 'pos',
  title: 'POS store (terminals push sales)',
  channelKind: 'pos',
  spec: PosConfigSchema,
  secretFields: ['apiKey'],
  async check(config) {
    if (!config?.storeCode || !config.apiKey) return { ok: false, message: 'A store code and an API key of at least 24 characters are required.' };
    return {
      ok: true,
      message: `Store ${config.storeCode} is ready: its terminals push completed sales with "Authorization: Bearer <apiKey>"; nothing is pulled.`,
    };
  },
  webhook: {
    verify(request, config): WebhookVerdict {
      if (!secretsEqual(presentedApiKey(request.headers), config?.apiKey)) {
        return { kind: 'rejected', reason: 'Missing or wrong store API key (Authorization: Bearer <apiKey> or X-Api-Key).' };
      }
      return { kind: 'accepted', topic: 'pos.sale' };
    },
  },
};
