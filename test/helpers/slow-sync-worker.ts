/**
 * A sync worker as its own process, for the fault suite (test/faults/worker-killed.test.ts): syncs
 * one channel of the slow shop, which hangs after its first page; prints "page <n>" per stored page
 * and "hanging" once stuck, then waits to be killed. Run: node --import tsx slow-sync-worker.ts <db url> <channel id>
 * Environment: TEST_SECRET_KEYS (the keyring the channel's secrets were encrypted with), TEST_LEASE_TTL_MS.
 */
import { openDatabase } from '../../core/db/database.ts';
import { installSecretKeyring, SecretKeyring } from '../../core/secrets/secret-box.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import { slowShopRegistry } from './slow-shop.ts';

const [url, channelId] = process.argv.slice(2);
installSecretKeyring(SecretKeyring.parse(process.env.TEST_SECRET_KEYS ?? ''));
const db = await openDatabase({ url });
// Stays alive while stuck (the lease heartbeat's timer does not hold the process).
setInterval(() => undefined, 1 << 30);
const registry = slowShopRegistry({ hangAfterPage: 1, onHang: () => process.stdout.write('hanging\n') });
await syncChannel({ db, registry, workerId: 'doomed-worker', leaseTtlMs: Number(process.env.TEST_LEASE_TTL_MS ?? '1000') }, channelId!, 'schedule', (progress) => {
  process.stdout.write(`page ${progress.page}\n`);
});
