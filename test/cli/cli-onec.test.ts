import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRetention } from '../../jobs/processors/retention.ts';
import { createRegistry } from '../../jobs/registry.ts';
import { ExchangeStore } from '../../core/onec/exchange-store.ts';
import { UserService } from '../../core/identity/user-service.ts';
import type { Principal } from '../../core/identity/principal.ts';
import { runHub } from '../helpers/cli.ts';
import { makeUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

function hub(databaseUrl: string, ...args: string[]) {
  return runHub({ DATABASE_URL: databaseUrl, REDIS_URL: undefined }, ...args);
}

describe('hub 1c exchanges, exchange and reimport', { timeout: 120_000 }, () => {
  let t: TestDatabase;
  let sessionId: string;
  let fileId: string;

  beforeAll(async () => {
    t = await createTestPostgres();
    const user = await makeUser(t.db, { login: 'onec', roles: ['integration'] });
    const principal = { userId: await new UserService(t.db).idOf(user.login), login: user.login } as Principal;
    const store = new ExchangeStore(t.db);
    const { session } = await store.open(principal, 'catalog', null, 60);
    sessionId = session.id;
    await store.appendChunk(session.id, 'import.xml', Buffer.from('<?xml version="1.0"?>'));
    const file = await store.appendChunk(session.id, 'import.xml', Buffer.from('<КоммерческаяИнформация/>'));
    fileId = file.id;
    await store.updateFile(file.id, { status: 'failed', error: 'line 1: not CommerceML' });
    await store.finish(session.id, 'failed', 'import.xml: line 1: not CommerceML');
  });
  afterAll(() => t.drop());

  it('lists the sessions with who, type, status, files, bytes and the error', async () => {
    const listed = await hub(t.url!, '1c', 'exchanges');
    expect(listed.code, listed.stderr).toBe(0);
    const row = listed.stdout.split('\n').find((l) => l.startsWith(sessionId))!;
    expect(row).toMatch(/onec\s+catalog\s+failed\s+1\s+\d+/);
    expect(row).toContain('import.xml: line 1: not CommerceML');
    const json = JSON.parse((await hub(t.url!, '1c', 'exchanges', '--status', 'failed', '--json')).stdout) as { id: string; bytes: number }[];
    expect(json).toEqual([expect.objectContaining({ id: sessionId, bytes: Buffer.byteLength('<?xml version="1.0"?><КоммерческаяИнформация/>') })]);
  });

  it('shows one session with its files', async () => {
    const shown = await hub(t.url!, '1c', 'exchange', sessionId);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: sessionId, fileList: [{ id: fileId, name: 'import.xml', chunks: 2, status: 'failed', error: 'line 1: not CommerceML' }] });
  });

  it('reads a stored file again from its start through the wired reader and catalogue', async () => {
    const reimported = await hub(t.url!, '1c', 'reimport', fileId);
    expect(reimported.code, reimported.stderr).toBe(0);
    // An empty КоммерческаяИнформация is a package with no records: nothing to store, nothing to deactivate.
    expect(reimported.stdout).toContain('success\nimport.xml: 0 record(s); nothing to do');
    const [file] = await t.db.query<{ status: string; error: string | null }>(`SELECT status, error FROM onec_exchange_file WHERE id = $1`, [fileId]);
    expect(file).toEqual({ status: 'imported', error: null });
  });

  it('says which file is unknown to a reimport', async () => {
    const refused = await hub(t.url!, '1c', 'reimport', '00000000-0000-0000-0000-000000000000');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Exchange file 00000000-0000-0000-0000-000000000000 does not exist');
  });

  it('says the file was purged, and where its bytes went, once retention exported them', async () => {
    const archiveDir = await mkdtemp(join(tmpdir(), 'orderhub-onec-cli-'));
    try {
      const report = await runRetention({ db: t.db, registry: createRegistry() }, { payloadDays: 30, runDays: 0, jobDays: 0, archiveDir }, { now: new Date(Date.now() + 60 * 86_400_000) });
      expect(report.exchange.files.purged).toBe(1);
      const refused = await hub(t.url!, '1c', 'reimport', fileId);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`Exchange file ${fileId} (import.xml) cannot be read again: its bytes were purged by retention`);
      expect(refused.stderr).toContain(report.exchange.files.archive!);
    } finally {
      await rm(archiveDir, { recursive: true, force: true });
    }
  });
});
