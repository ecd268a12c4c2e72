import { Type, type Static } from '@sinclair/typebox';
import type { ConnectorDefinition } from '../_kit/definition.ts';

/**
 * The sales desk: operators record orders on a buyer's behalf (phone, e-mail, field rep, new deal)
 * and make quotes, through the API (`POST /v1/channels/<id>/orders`, `/v1/quotes`) and the CLI.
 * Nothing talks to the outside, so there is nothing to pull and no webhook.
 */
export const ManualConfigSchema = Type.Object(
  {
    /** Shown to operators as the desk's name, e.g. "Phone orders Budapest". */
    desk: Type.Optional(Type.String()),
    /**
     * Dealers' own purchase orders to the manufacturer (POST /v1/dealers/:code/purchases) are recorded
     * on this channel: the oldest enabled manual channel that says so takes them.
     */
    dealerPurchases: Type.Optional(Type.Boolean({ description: "dealers' purchase orders from the dealer portal are recorded on this channel" })),
  },
  { additionalProperties: false },
);
export type ManualConfig = Static<typeof ManualConfigSchema>;

export const manualConnector: ConnectorDefinition<ManualConfig> = {
  type: 'manual',
  title: 'Sales desk (manual orders and quotes)',
  channelKind: 'manual',
  spec: ManualConfigSchema,
  secretFields: [],
  async check() {
    return { ok: true, message: 'Manual channel: operators record orders and quotes through the API and the CLI; nothing to connect to.' };
  },
};
