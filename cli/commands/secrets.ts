import type { Command } from 'commander';
import { reencryptChannelSecrets } from '../../core/channels/channel-secrets.ts';
import { SecretKeyring } from '../../core/secrets/secret-box.ts';
import { auditCli, withHub } from '../support.ts';

/**
 * `hub secrets rotate`: every channel's secrets encrypted again with the current key (the first of
 * HUB_SECRET_KEYS), plain-text ones included; `hub secrets new-key`: a fresh key to put first.
 * docs/ops/secrets.md says how a rotation goes.
 */
export function registerSecretCommands(program: Command): void {
  const secrets = program.command('secrets').description('channel secrets at rest (encryption keys, rotation)');

  secrets
    .command('rotate')
    .alias('reencrypt')
    .description('encrypt every channel secret again with the current key (the first of HUB_SECRET_KEYS); plain-text ones too')
    .action(async () => {
      await withHub(async (hub) => {
        const report = await reencryptChannelSecrets(hub.db, hub.catalog, hub.secrets);
        await auditCli(hub.db, { action: 'secrets.rotate', target: { type: 'secret-key', id: report.keyId }, details: { channels: report.channels, reencrypted: report.reencrypted, failed: report.failed.map((f) => f.channel) } });
        console.log(`${report.reencrypted} of ${report.channels} channel(s) re-encrypted with key "${report.keyId}"; the others were already on it.`);
        for (const failure of report.failed) console.log(`FAILED "${failure.channel}": ${failure.error}`);
        if (report.failed.length > 0) {
          console.log('Keep the old key in HUB_SECRET_KEYS until every channel is re-encrypted.');
          process.exitCode = 1;
        }
      });
    });

  secrets
    .command('new-key')
    .description('print a fresh random key (base64 of 32 bytes) to put first in HUB_SECRET_KEYS as "<id>:<key>"')
    .action(() => {
      console.log(SecretKeyring.generateKey());
    });
}
