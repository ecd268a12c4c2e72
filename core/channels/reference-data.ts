/**
 * Reference data: what a mapping needs besides the payload, learnt from the channel by its connector
 * (e.g. the UNAS shop's status list with each status's type, from getOrderStatus). The connector keeps
 * it in its sync state under `referenceData` (the sync driver persists the state; the connector never
 * writes the database); core never interprets it and hands it to the mapping as
 * `options.referenceData`, beside the channel's own mapping options. The options schemas do not
 * declare that key, so ops cannot set it through the channel's mapping.
 */
export const REFERENCE_DATA_KEY = 'referenceData';

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The options a channel's payloads are mapped with: its mapping options plus its connector's reference data. */
export function mappingOptionsOf(channel: { mapping?: unknown; syncState?: unknown }): Record<string, unknown> {
  const options = isPlainObject(channel.mapping) ? channel.mapping : {};
  const reference = isPlainObject(channel.syncState) ? channel.syncState[REFERENCE_DATA_KEY] : undefined;
  if (!isPlainObject(reference)) return options;
  return { ...options, [REFERENCE_DATA_KEY]: reference };
}
