import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

const run = promisify(execFile);
/** PG_BIN, else /usr/local/bin (this machine's links), else Debian's newest /usr/lib/postgresql/<version>/bin. */
const BIN = process.env.PG_BIN ?? (existsSync('/usr/local/bin/initdb') ? '/usr/local/bin' : debianBin());

function debianBin(): string {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return versions[0] ? `/usr/lib/postgresql/${versions[0]}/bin` : '/usr/local/bin';
}

/**
 * A PostgreSQL of the test's own (never the shared one on 5432): initdb into a temp directory,
 * started on a free port, stopped and started again by the test. PostgreSQL refuses to run as
 * root, so as root (CI, this machine) its commands run as the `postgres` user.
 */
export class OwnPostgres {
  #running = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** initdb (trust, user postgres) and start; the database `postgres` is there to use. */
  static async start(): Promise<OwnPostgres> {
    const dir = await mkdtemp(join(tmpdir(), 'orderhub-own-pg-'));
    if (isRoot()) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    const pg = new OwnPostgres(dir, await freePort());
    await pg.#pg('initdb', ['-D', pg.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
    await pg.up();
    return pg;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server and waits until it accepts connections (pg_ctl -w). */
  async up(): Promise<void> {
    if (this.#running) return;
    await this.#pg('pg_ctl', [
      '-D', this.dataDir, '-w', '-t', '60', '-l', join(this.dir, 'server.log'),
      '-o', `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c full_page_writes=off`,
      'start',
    ]);
    this.#running = true;
  }

  /** Stops the server at once (immediate: open connections are cut, as in a crash) and waits for it to be gone. */
  async down(): Promise<void> {
    if (!this.#running) return;
    await this.#pg('pg_ctl', ['-D', this.dataDir, '-w', '-m', 'immediate', 'stop']);
    this.#running = false;
  }

  /** Stops the server and removes its directory. */
  async destroy(): Promise<void> {
    await this.down().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  async #pg(command: string, args: string[]): Promise<void> {
    const binary = join(BIN, command);
    if (isRoot()) await run('runuser', ['-u', 'postgres', '--', binary, ...args], { cwd: this.dir });
    else await run(binary, args, { cwd: this.dir });
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}
