import { Type } from '@sinclair/typebox';

export const ConnectorSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  channelKind: Type.String(),
  config: Type.Unknown({ description: "JSON schema of a channel's config" }),
  secretFields: Type.Array(Type.String()),
  canPull: Type.Boolean(),
  canReceiveWebhooks: Type.Boolean(),
  canWriteStatus: Type.Boolean({ description: "can send order statuses back to the channel (switched on per channel in its mapping: statusWriteBack.enabled)" }),
});

export const ConnectorListSchema = Type.Object({ items: Type.Array(ConnectorSchema) });
