import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hubEnvironment } from './cli.ts';

const BIN = fileURLToPath(new URL('../../bin/hub.js', import.meta.url));

export interface HubExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A long-lived `hub start` / `hub worker` process of the fault suite, run through bin/hub.js as a
 * deployment would. HUB_MAX_HEAP_MB=0 keeps the hub in this very process (no heap-limit relaunch),
 * so `pid` is the process that holds leases and a SIGKILL reaches it. Every process started is
 * remembered: `HubProcess.killAll()` in afterAll leaves none behind, whatever failed.
 */
export class HubProcess {
  static readonly #running = new Set<HubProcess>();
  readonly #child: ChildProcess;
  #output = '';
  readonly #watchers = new Set<() => void>();
  readonly exited: Promise<HubExit>;

  constructor(
    readonly name: string,
    env: Record<string, string | undefined>,
    ...args: string[]
  ) {
    this.#child = spawn(process.execPath, [BIN, ...args], { env: hubEnvironment({ HUB_MAX_HEAP_MB: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
    HubProcess.#running.add(this);
    const onData = (chunk: Buffer) => {
      this.#output += chunk.toString();
      for (const watcher of this.#watchers) watcher();
    };
    this.#child.stdout!.on('data', onData);
    this.#child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        HubProcess.#running.delete(this);
        for (const watcher of this.#watchers) watcher();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** Everything it printed so far (stdout and stderr). */
  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Resolves with the output once it matches `pattern`; rejects if the process ends first. */
  untilOutput(pattern: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const look = () => {
        if (pattern.test(this.#output)) {
          this.#watchers.delete(look);
          resolve(this.#output);
        } else if (!this.running) {
          this.#watchers.delete(look);
          reject(new Error(`${this.name} ended (${this.#child.exitCode ?? this.#child.signalCode}) before printing ${pattern}:\n${this.#output}`));
        }
      };
      this.#watchers.add(look);
      look();
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** SIGKILLs every process still running and waits for each to be gone. */
  static async killAll(): Promise<void> {
    await Promise.all(
      [...HubProcess.#running].map(async (hub) => {
        hub.kill('SIGKILL');
        await hub.exited;
      }),
    );
  }
}
