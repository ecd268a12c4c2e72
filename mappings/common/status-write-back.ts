import { Type, type TSchema } from '@sinclair/typebox';
import type { ChannelStatusChoice } from '../../core/model/mapping.ts';
import { OrderStatusSchema } from '../../core/model/order.ts';

/** The core statuses, read from the core model's schema (mappings import core/model only). */
const CORE_STATUSES: string[] = OrderStatusSchema.anyOf.map((literal) => String(literal.const));

/**
 * The `statusWriteBack` entry of a webshop channel's mapping options: the per-channel switch (off by
 * default) and the channel's own status per core status, for the channels that can hear statuses back.
 */
export function statusWriteBackOptionsSchema(valueDescription: string): TSchema {
  const value = Type.String({ minLength: 1, description: valueDescription });
  return Type.Object(
    {
      enabled: Type.Boolean({ default: false, description: "Send the order's core status changes (by dealers and admins) back to the channel" }),
      /** Core status → the channel's status; replaces the connector's default for that status. */
      statuses: Type.Optional(Type.Object(Object.fromEntries(CORE_STATUSES.map((s) => [s, Type.Optional(value)])), { additionalProperties: false })),
    },
    { additionalProperties: false, description: 'Status write-back to the channel (off by default)' },
  );
}

export interface StatusWriteBackOptions {
  enabled?: boolean | undefined;
  statuses?: Partial<Record<string, string>> | undefined;
}

function writeBackOf(options: unknown): StatusWriteBackOptions | undefined {
  if (!options || typeof options !== 'object') return undefined;
  const value = (options as { statusWriteBack?: unknown }).statusWriteBack;
  return value && typeof value === 'object' ? (value as StatusWriteBackOptions) : undefined;
}

export function writeBackEnabled(options: unknown): boolean {
  return writeBackOf(options)?.enabled === true;
}

/**
 * The channel's override for the core status, else the connector's default, else a skip that says
 * what ops can set (the reason is shown on the status update).
 */
export function chooseChannelStatus(coreStatus: string, options: unknown, defaults: Readonly<Record<string, string>>, what: string): ChannelStatusChoice {
  const override = writeBackOf(options)?.statuses?.[coreStatus];
  if (typeof override === 'string' && override.trim() !== '') return { status: override.trim() };
  const fallback = defaults[coreStatus];
  if (fallback) return { status: fallback };
  return { skip: `no ${what} is set for the core status "${coreStatus}" (mapping.statusWriteBack.statuses.${coreStatus})` };
}
