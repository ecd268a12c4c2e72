import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelService } from '../../core/channels/channels.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { reprocessPayload } from '../../jobs/processors/process-payload.ts';
import { runHub } from '../helpers/cli.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { pagedShop } from '../helpers/paged-shop.ts';

describe('hub retention run and hub jobs (in-process: no REDIS_URL)', { timeout: 120_000 }, () => {
  let t: TestDatabase;
  let dir: string;
  let payloadId: string;
  const hub = (...args: string[]) => runHub({ DATABASE_URL: t.url!, REDIS_URL: undefined, HUB_ARCHIVE_DIR: join(dir, 'archive'), HUB_RETENTION_PAYLOAD_DAYS: '30' }, ...args);

  beforeAll(async () => {
    t = await createTestPostgres();
    dir = await mkdtemp(join(tmpdir(), 'orderhub-cli-archive-'));
    const kit = pagedShop();
    const channelId = (await new ChannelService(t.db, kit.registry).create({ name: 'Archived shop', connectorType: 'paged', config: { token: 't' } })).id;
    payloadId = (await archivePayload(t.db, { channelId, kind: 'pull', source: 'memory://paged/1', contentType: 'application/json', body: '[{"id":"CLI-1","total":"3.00"}]' })).id;
    await reprocessPayload({ db: t.db, registry: kit.registry }, payloadId);
    await t.db.query(`UPDATE raw_payload SET received_at = now() - interval '31 days', last_received_at = now() - interval '31 days' WHERE id = $1`, [payloadId]);
  });
  afterAll(async () => {
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a dry run says what would go and changes nothing; a run exports and drops the old body', async () => {
    const dry = await hub('retention', 'run', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run: 1 payload bodies \(\d+ bytes; older than 30 day\(s\)\) would be exported to .*archive and dropped; 0 sync runs \(older than 90 day\(s\)\) deleted\.$/m);
    expect((await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: payloadId } })).bodyPurgedAt).toBeNull();

    const run = await hub('retention', 'run');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Payload bodies: 1 exported to .*payloads-\d{4}-\d{2}-\d{2}\.ndjson\.gz and dropped \(older than 30 day\(s\)\)\.$/m);
    expect(run.stdout).toContain('Finished jobs: 0 removed (the in-process runner keeps no finished jobs)');
    expect(await readdir(join(dir, 'archive'))).toEqual([expect.stringMatching(/^payloads-\d{4}-\d{2}-\d{2}\.ndjson\.gz$/)]);
    const shown = await hub('payloads', 'show', payloadId);
    expect(shown.stdout).toMatch(/Body: +dropped by retention .*, exported to .*payloads-.*\.ndjson\.gz/);
  });

  it('hub jobs failed says why the list is empty in-process; hub jobs retry needs an id or --all', async () => {
    const failed = await hub('jobs', 'failed');
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stdout).toMatch(/^No failed jobs: jobs run in-process \(no REDIS_URL\) and keep no failed jobs/);
    const none = await hub('jobs', 'retry');
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('--all');
    const all = await hub('jobs', 'retry', '--all');
    expect(all.stdout.trim()).toBe('0 failed job(s) queued again.');
  });
});
