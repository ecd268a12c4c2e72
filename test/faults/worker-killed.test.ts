import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelService } from '../../core/channels/channels.ts';
import { REAPED_RUN_CODE } from '../../core/channels/sync-reaper.ts';
import { installSecretKeyring, isEncryptedSecret, SecretKeyring } from '../../core/secrets/secret-box.ts';
import { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { SLOW_SHOP_ORDERS, SLOW_SHOP_TOKEN, slowShopRegistry } from '../helpers/slow-shop.ts';

const WORKER = fileURLToPath(new URL('../helpers/slow-sync-worker.ts', import.meta.url));

/** Resolves once the child printed `line`; rejects if it ends first. */
function untilLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the worker ended (${code}) before "${line}": ${out}${err}`)));
  });
}

/**
 * A real kill: a worker process syncs a channel, stores its first page (cursor saved), hangs on the
 * next and is killed with SIGKILL, holding the channel's lease and leaving its run `running`. The
 * embedded hub then starts: it resumes the channel at start, takes the dead worker's lease over as
 * soon as it expires (not after the follow-up delay), closes the dead run with its reason and syncs
 * the rest from the cursor: every order exactly once.
 */
describe('a sync worker killed mid-sync', () => {
  let t: TestDatabase;
  const key = randomBytes(32);
  const keyring = new SecretKeyring([{ id: 'fault-key', key }]);

  beforeAll(async () => {
    t = await createTestPostgres();
    installSecretKeyring(keyring);
  });
  afterAll(async () => {
    installSecretKeyring(undefined);
    await t.drop();
  });

  it('has its lease taken over, its run reaped with the reason, and the sync resumed from the cursor at start', async () => {
    const registry = slowShopRegistry();
    const channel = await new ChannelService(t.db, registry).create({ name: 'Slow shop', connectorType: 'slow-shop', config: { token: SLOW_SHOP_TOKEN } });
    const [raw] = await t.db.query<{ config: Record<string, unknown> }>('SELECT config FROM channel WHERE id = $1', [channel.id]);
    expect(isEncryptedSecret(raw!.config.token)).toBe(true);

    const worker = spawn(process.execPath, ['--import', 'tsx', WORKER, t.url!, channel.id], {
      env: { ...process.env, TEST_SECRET_KEYS: `fault-key:${key.toString('base64')}`, TEST_LEASE_TTL_MS: '1000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await untilLine(worker, 'hanging');
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGKILL');
      await exited;
    }

    // What the crash left: a run `running` with one page, the cursor after it, the lease in the dead worker's name.
    const left = await t.db.prisma.syncRun.findMany({ where: { channelId: channel.id } });
    expect(left).toMatchObject([{ status: 'running', pages: 1, created: 2 }]);
    expect(left[0]!.leaseOwner).toMatch(/^doomed-worker\//);
    const held = await t.db.prisma.channel.findUniqueOrThrow({ where: { id: channel.id } });
    expect(held.syncLeaseOwner).toBe(left[0]!.leaseOwner);
    expect(held.syncState).toEqual({ cursor: 2 });

    // The embedded hub starts. Its follow-up delay is long: the takeover must come from the lease's end.
    const runner = new InProcessRunner({ ctx: { db: t.db, registry, leaseTtlMs: 1000 }, schedules: true, distributionTimer: false, followUpDelayMs: 45_000 });
    const finished: string[] = [];
    runner.onSyncFinished((event) => finished.push(event.outcome?.status ?? event.error?.code ?? 'unknown'));
    try {
      await runner.start();
      await runner.whenIdle(channel.id);
    } finally {
      await runner.stop();
    }

    const runs = await t.db.prisma.syncRun.findMany({ where: { channelId: channel.id }, orderBy: { startedAt: 'asc' } });
    expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    const [dead, resumed] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(dead.errorCode).toBe(REAPED_RUN_CODE);
    expect(dead.error).toMatch(/the worker running it stopped \(lease expired at \d{4}-\d\d-\d\dT[\d:.]+Z; another sync took the channel over\); 1 page\(s\) were stored/);
    expect(dead.finishedAt).not.toBeNull();
    // Resumed from the cursor: the pages after the first, nothing read twice.
    expect(resumed).toMatchObject({ trigger: 'schedule', pages: 2, created: 4, updated: 0, unchanged: 0 });
    expect(finished).toContain('succeeded');
    const orders = await t.db.prisma.order.findMany({ where: { channelId: channel.id }, select: { externalId: true } });
    expect(orders.map((o) => o.externalId).sort()).toEqual(Array.from({ length: SLOW_SHOP_ORDERS }, (_, i) => String(i + 1)).sort());
    const after = await t.db.prisma.channel.findUniqueOrThrow({ where: { id: channel.id } });
    expect(after.syncLeaseOwner).toBeNull();
    expect(after.syncState).toEqual({ cursor: SLOW_SHOP_ORDERS });
  });
});
