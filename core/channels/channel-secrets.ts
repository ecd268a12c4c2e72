import type { Database } from '../db/database.ts';
import type { ConnectorCatalog } from '../ports.ts';
import { installedSecretKeyring, needsSealing, openConfigSecrets, sealConfigSecrets, type SecretKeyring } from '../secrets/secret-box.ts';
import { HubError } from '../errors.ts';

export interface ReencryptReport {
  /** Channels looked at. */
  channels: number;
  /** Channels whose secrets were written again with the current key (plain text or an older key before). */
  reencrypted: number;
  /** The key id everything is now encrypted with. */
  keyId: string;
  /** Channels that could not be read (a key missing, a damaged value): name and why, never the value. */
  failed: { channel: string; error: string }[];
}

/**
 * Re-encrypts every channel's secret fields with the keyring's current key: plain-text values stored
 * before encryption came in, and values encrypted with an older key (rotation). Each row is written
 * only if it did not change meanwhile (a concurrent edit wins; run it again). Idempotent.
 */
export async function reencryptChannelSecrets(db: Database, catalog: ConnectorCatalog, keyring: SecretKeyring | undefined = installedSecretKeyring()): Promise<ReencryptReport> {
  if (!keyring) throw new HubError('invalid_data', 'No secret key is configured: set HUB_SECRET_KEYS (docs/ops/secrets.md).');
  const rows = await db.query<{ id: string; name: string; connector_type: string; config: unknown }>(`SELECT id, name, connector_type, config FROM channel ORDER BY name`);
  const report: ReencryptReport = { channels: rows.length, reencrypted: 0, keyId: keyring.currentKeyId, failed: [] };
  for (const row of rows) {
    const secretFields = catalog.get(row.connector_type)?.secretFields ?? [];
    const stored = (typeof row.config === 'string' ? JSON.parse(row.config) : row.config) as Record<string, unknown>;
    if (!needsSealing(stored, secretFields, keyring)) continue;
    let sealed: Record<string, unknown>;
    try {
      // Every value opened first: a value the keyring cannot read is reported, not overwritten.
      openConfigSecrets(stored, keyring, `Channel "${row.name}" config`);
      sealed = sealConfigSecrets(stored, secretFields, keyring, { rekey: true });
    } catch (error) {
      report.failed.push({ channel: row.name, error: (error as Error).message });
      continue;
    }
    const updated = await db.query(`UPDATE channel SET config = $2::jsonb WHERE id = $1 AND config = $3::jsonb RETURNING id`, [row.id, JSON.stringify(sealed), JSON.stringify(stored)]);
    if (updated.length > 0) report.reencrypted += 1;
    else report.failed.push({ channel: row.name, error: 'the channel changed while it was being re-encrypted; run the command again' });
  }
  return report;
}
