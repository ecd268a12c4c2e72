import { randomUUID } from 'node:crypto';
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../core/errors.ts';

/** The lock file's name inside the data directory. */
export const EMBEDDED_LOCK_FILE = 'pglite.lock';

export interface EmbeddedLock {
  readonly path: string;
  /** Removes the lock file if it is still ours; idempotent. */
  release(): Promise<void>;
}

interface LockContent {
  pid: number;
  token: string;
  command?: string | undefined;
  since?: string | undefined;
}

/**
 * PGlite has no lock of its own: two processes opening one data directory corrupt it. This takes
 * an exclusive lock file (`<dataDir>/pglite.lock`, created with O_EXCL, holding the pid) before
 * the embedded database is opened. A lock whose process is gone is stale and taken over; a live
 * one fails with `conflict`, naming the process and what to do instead.
 */
export async function acquireEmbeddedLock(dataDir: string, command: string = describeCommand()): Promise<EmbeddedLock> {
  const path = join(dataDir, EMBEDDED_LOCK_FILE);
  const mine: LockContent = { pid: process.pid, token: randomUUID(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(JSON.stringify(mine));
      } finally {
        await handle.close();
      }
      return lockHandle(path, mine.token);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(path);
    if (holder === 'gone') continue; // released meanwhile: try again
    if (holder && isAlive(holder.pid)) {
      const what = holder.command ? `${holder.command}` : 'hub start?';
      throw new HubError(
        'conflict',
        `The embedded database in ${dataDir} is in use by process ${holder.pid} (${what}). Stop it, or use the API / set DATABASE_URL.`,
        { details: { lockFile: path, pid: holder.pid } },
      );
    }
    // Stale: its process is gone (or the file is unreadable garbage from a crash mid-write).
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  throw new HubError('conflict', `Could not take the lock ${path}: other processes keep taking it. Stop them, or use the API / set DATABASE_URL.`);
}

function lockHandle(path: string, token: string): EmbeddedLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      const holder = await readLock(path);
      if (holder && holder !== 'gone' && holder.token === token) await unlink(path).catch(() => undefined);
    },
  };
}

/** The lock's content; 'gone' when the file vanished; undefined when it cannot be read as a lock. */
async function readLock(path: string): Promise<LockContent | 'gone' | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockContent>;
    if (typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0) {
      return { pid: parsed.pid, token: String(parsed.token ?? ''), command: parsed.command, since: parsed.since };
    }
  } catch {
    // A plain pid (written by hand or an older hub).
    const pid = Number.parseInt(text.trim(), 10);
    if (Number.isInteger(pid) && pid > 0) return { pid, token: '' };
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describeCommand(): string {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  return args.length > 0 ? `hub ${args.slice(0, 2).join(' ')}` : 'hub';
}
