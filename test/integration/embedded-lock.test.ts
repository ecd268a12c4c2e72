import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../jobs/config.ts';
import { acquireEmbeddedLock, EMBEDDED_LOCK_FILE } from '../../jobs/embedded-lock.ts';
import { createHub } from '../../jobs/hub.ts';

/** The pid of a process that has exited (nobody holds it now). */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}

const exists = (path: string) => stat(path).then(() => true, () => false);

describe('embedded database lock', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'orderhub-lock-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('when the data dir is free', () => {
    it('takes the lock with this pid and removes it on release', async () => {
      const lock = await acquireEmbeddedLock(dataDir, 'hub start');
      expect(lock.path).toBe(join(dataDir, EMBEDDED_LOCK_FILE));
      expect(JSON.parse(await readFile(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, command: 'hub start' });
      await lock.release();
      expect(await exists(lock.path)).toBe(false);
      await lock.release(); // idempotent
    });
  });

  describe('when a live process holds it', () => {
    it('fails clearly, naming the directory, the process and what to do', async () => {
      const lock = await acquireEmbeddedLock(dataDir, 'hub start');
      try {
        await expect(acquireEmbeddedLock(dataDir, 'hub channels list')).rejects.toMatchObject({
          code: 'conflict',
          message: `The embedded database in ${dataDir} is in use by process ${process.pid} (hub start). Stop it, or use the API / set DATABASE_URL.`,
        });
      } finally {
        await lock.release();
      }
      const again = await acquireEmbeddedLock(dataDir);
      await again.release();
    });
  });

  describe('when the holder is gone', () => {
    it('takes over a stale lock', async () => {
      const pid = await deadPid();
      await writeFile(join(dataDir, EMBEDDED_LOCK_FILE), JSON.stringify({ pid, token: 'old', command: 'hub start' }));
      const lock = await acquireEmbeddedLock(dataDir, 'hub migrate');
      expect(JSON.parse(await readFile(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, command: 'hub migrate' });
      await lock.release();
    });

    it('does not remove a lock that another process took over meanwhile', async () => {
      const lock = await acquireEmbeddedLock(dataDir);
      await writeFile(lock.path, JSON.stringify({ pid: process.pid, token: 'someone-else' }));
      await lock.release();
      expect(await exists(lock.path)).toBe(true);
    });
  });

  describe('when two hubs open the same embedded database', () => {
    it('refuses the second until the first is closed', async () => {
      const config = loadConfig({ HUB_DATA_DIR: dataDir });
      const first = await createHub(config);
      try {
        await expect(createHub(config)).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(`is in use by process ${process.pid}`) });
      } finally {
        await first.close();
      }
      expect(await exists(join(dataDir, EMBEDDED_LOCK_FILE))).toBe(false);
      const freed = await acquireEmbeddedLock(dataDir);
      await freed.release();
    });
  });
});
