import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelService } from '../../core/channels/channels.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import { runHub } from '../helpers/cli.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { goodPage, pagedShop, reportedBrokenPage, truncatedPage } from '../helpers/paged-shop.ts';

/** `hub …` against a PostgreSQL database the test synced channels into (the syncs run in this process). */
function hub(databaseUrl: string, ...args: string[]) {
  return runHub({ DATABASE_URL: databaseUrl, REDIS_URL: undefined }, ...args);
}

describe('hub channels list and hub payloads after failed, partial and good syncs', { timeout: 120_000 }, () => {
  let t: TestDatabase;
  const ids: Record<'failed' | 'partial' | 'good', string> = { failed: '', partial: '', good: '' };

  beforeAll(async () => {
    t = await createTestPostgres();
    const kit = pagedShop();
    const ctx = { db: t.db, registry: kit.registry, leaseTtlMs: 30_000 };
    const channels = new ChannelService(t.db, kit.registry);
    for (const [key, name] of [['failed', 'Broken shop'], ['partial', 'Patchy shop'], ['good', 'Good shop']] as const) {
      ids[key] = (await channels.create({ name, connectorType: 'paged', config: { token: 't' } })).id;
    }
    kit.shop.pages = [reportedBrokenPage(1, 2), truncatedPage(2, 2)];
    await expect(syncChannel(ctx, ids.failed, 'manual')).rejects.toMatchObject({ code: 'upstream_unavailable' });
    kit.shop.pages = [goodPage(1, ['P1', 'P2'], 2), truncatedPage(2, 2)];
    await expect(syncChannel(ctx, ids.partial, 'manual')).resolves.toMatchObject({ status: 'partial' });
    kit.shop.pages = [goodPage(1, ['G1'])];
    await expect(syncChannel(ctx, ids.good, 'manual')).resolves.toMatchObject({ status: 'succeeded' });
  });
  afterAll(() => t.drop());

  it('lists each channel’s last sync as failed, partial or succeeded, with the error count and the first error', async () => {
    const listed = await hub(t.url!, 'channels', 'list');
    expect(listed.code, listed.stderr).toBe(0);
    const row = (name: string) => listed.stdout.split('\n').find((l) => l.startsWith(name))!;
    expect(row('Broken shop')).toMatch(/ failed \d+s ago: invalid_data \(2 errors, first: page 1: The shop answered HTML, not JSON\) /);
    expect(row('Patchy shop')).toMatch(/ partial \d+s ago \(\+2, ~0; 1 error, first: page 2: .*JSON.*\) /);
    expect(row('Good shop')).toMatch(/ succeeded \d+s ago \(\+1, ~0\) /);

    const json = await hub(t.url!, 'channels', 'list', '--json');
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as { name: string; lastSync: { status: string; errorCount: number; firstError: { page: number | null } | null } }[];
    expect(Object.fromEntries(rows.map((r) => [r.name, [r.lastSync.status, r.lastSync.errorCount, r.lastSync.firstError?.page ?? null]]))).toEqual({
      'Broken shop': ['failed', 2, 1],
      'Patchy shop': ['partial', 1, 2],
      'Good shop': ['succeeded', 0, null],
    });
  });

  it('lists the failed payloads, of one channel with --channel, at most --limit', async () => {
    const all = await hub(t.url!, 'payloads', 'list', '--json');
    expect(all.code, all.stderr).toBe(0);
    expect((JSON.parse(all.stdout) as unknown[]).length).toBe(5);

    const failed = await hub(t.url!, 'payloads', 'list', '--failed');
    expect(failed.code, failed.stderr).toBe(0);
    const lines = failed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID +CHANNEL +KIND +SOURCE +STATUS +ORDERS +RECEIVED +ERROR$/);
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((l) => / pull +\S+ +failed +0 /.test(l))).toBe(true);
    expect(lines.filter((l) => l.includes('Broken shop'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('Patchy shop'))).toHaveLength(1);
    expect(failed.stdout).toContain('The shop answered HTML, not JSON');

    const patchy = await hub(t.url!, 'payloads', 'list', '--failed', '--channel', 'Patchy shop', '--json');
    expect(patchy.code, patchy.stderr).toBe(0);
    expect((JSON.parse(patchy.stdout) as { channelId: string; status: string; source: string }[]).map((p) => [p.channelId, p.status, p.source])).toEqual([
      [ids.partial, 'failed', 'memory://paged/orders?page=2'],
    ]);

    const limited = await hub(t.url!, 'payloads', 'list', '--failed', '--limit', '1', '--json');
    expect((JSON.parse(limited.stdout) as unknown[]).length).toBe(1);

    const none = await hub(t.url!, 'payloads', 'list', '--failed', '--channel', 'Good shop');
    expect(none.stdout.trim()).toBe('No failed payloads.');
  });

  it('shows one payload: its metadata, status, error and the body as stored', async () => {
    const stored = await t.db.prisma.rawPayload.findFirstOrThrow({ where: { channelId: ids.failed, source: 'memory://paged/orders?page=1' } });
    const shown = await hub(t.url!, 'payloads', 'show', stored.id);
    expect(shown.code, shown.stderr).toBe(0);
    const out = shown.stdout;
    expect(out).toMatch(new RegExp(`^Payload: +${stored.id}$`, 'm'));
    expect(out).toMatch(new RegExp(`^Channel: +Broken shop \\(${ids.failed}\\)$`, 'm'));
    expect(out).toMatch(/^Kind: +pull$/m);
    expect(out).toMatch(/^Source: +memory:\/\/paged\/orders\?page=1$/m);
    expect(out).toMatch(/^Content type: +text\/html$/m);
    expect(out).toMatch(/^Status: +failed$/m);
    expect(out).toMatch(/^Orders: +0$/m);
    expect(out).toMatch(/^Error: +invalid_data: The shop answered HTML, not JSON$/m);
    expect(out).toMatch(/^Encoding: +utf-8$/m);
    const text = Buffer.from(stored.body).toString('utf8');
    expect(out.endsWith(`--- body (${stored.body.length} bytes, read as utf-8) ---\n${text}\n`)).toBe(true);

    const good = await t.db.prisma.rawPayload.findFirstOrThrow({ where: { channelId: ids.good } });
    const parsed = await hub(t.url!, 'payloads', 'show', good.id);
    expect(parsed.stdout).toMatch(/^Status: +parsed$/m);
    expect(parsed.stdout).toMatch(/^Orders: +1$/m);
    expect(parsed.stdout).not.toMatch(/^Error:/m);
    expect(parsed.stdout).not.toMatch(/^Warning:/m);

    // What the mapping noticed without rejecting anything (EDI envelope findings), one line each.
    await t.db.prisma.rawPayload.update({ where: { id: good.id }, data: { warnings: ['interchange IC13: UNZ says "3" messages, the interchange holds 1', 'interchange IC13: unknown syntax identifier UNOL'] } });
    const warned = await hub(t.url!, 'payloads', 'show', good.id);
    expect(warned.stdout).toMatch(/^Warning: +interchange IC13: UNZ says "3" messages, the interchange holds 1$/m);
    expect(warned.stdout).toMatch(/^Warning: +interchange IC13: unknown syntax identifier UNOL$/m);

    // A body that is not text: its encoding says so and the start of its bytes shows in hex.
    const gzip = await archivePayload(t.db, { channelId: ids.good, kind: 'upload', source: 'orders.edi.gz', body: gzipSync('UNA:+.? \'') });
    const binary = await hub(t.url!, 'payloads', 'show', gzip.id);
    expect(binary.code, binary.stderr).toBe(0);
    expect(binary.stdout).toMatch(/^Encoding: +gzip \(not text\)$/m);
    // An uploaded file's name is its source: shown, and named in its error.
    expect(binary.stdout).toMatch(/^Source: +orders\.edi\.gz$/m);
    expect(binary.stdout).toMatch(/--- body \(\d+ bytes, not text: the first bytes in hex\) ---\n00000000 {2}1f 8b 08 /);

    const missing = await hub(t.url!, 'payloads', 'show', randomUUID());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: Raw payload .* does not exist\./);
  });
  it('acknowledges a failed payload as cli:<OS user> with --reason; `list --failed` then hides it unless --all', async () => {
    const [broken] = (await t.db.prisma.rawPayload.findMany({ where: { channelId: ids.partial, status: 'failed' } })).map((p) => p.id);
    const noReason = await hub(t.url!, 'payloads', 'ack', broken!);
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain('--reason');

    const ack = await hub(t.url!, 'payloads', 'ack', broken!, '--reason', 'page 2 was re-read by hand');
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout).toMatch(new RegExp(`^Acknowledged ${broken} \\(failed\\) as cli:\\S+: page 2 was re-read by hand`));
    const row = await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: broken! } });
    expect(row).toMatchObject({ status: 'failed', acknowledgeReason: 'page 2 was re-read by hand', acknowledgedBy: expect.stringMatching(/^cli:/) });

    const failed = await hub(t.url!, 'payloads', 'list', '--failed', '--channel', 'Patchy shop');
    expect(failed.stdout.trim()).toBe('No failed payloads.');
    const all = await hub(t.url!, 'payloads', 'list', '--failed', '--all', '--channel', 'Patchy shop');
    expect(all.stdout).toMatch(new RegExp(`${broken} +Patchy shop +pull +\\S+ +failed \\(acknowledged\\) `));
    const shown = await hub(t.url!, 'payloads', 'show', broken!);
    expect(shown.stdout).toMatch(/Acknowledged: .* by cli:\S+: page 2 was re-read by hand/);

    const parsed = (await t.db.prisma.rawPayload.findFirstOrThrow({ where: { channelId: ids.good } })).id;
    const refused = await hub(t.url!, 'payloads', 'ack', parsed, '--reason', 'nothing wrong');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('only failed or partial payloads are acknowledged');
  });
});
