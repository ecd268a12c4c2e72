import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/hub.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/hub.js …` as a user would, with the given environment on top of this one.
 * A variable set to undefined is removed (e.g. DATABASE_URL for the embedded database).
 */
export function runHub(env: Record<string, string | undefined>, ...args: string[]): Promise<CliResult> {
  return runHubWithInput(env, undefined, ...args);
}

/** runHub with text on standard input (a password for --password-stdin). */
export function runHubWithInput(env: Record<string, string | undefined>, input: string | undefined, ...args: string[]): Promise<CliResult> {
  const merged = hubEnvironment(env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: merged, stdio: ['pipe', 'pipe', 'pipe'] });
    // No input: standard input is closed at once, as `< /dev/null` would.
    child.stdin.end(input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function hubEnvironment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/**
 * Starts `hub start` and resolves with what it printed once a line matches `until` (it is then
 * stopped with SIGTERM and awaited). Rejects if the process ends first.
 */
export function startHubUntil(env: Record<string, string | undefined>, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'start'], { env: hubEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let matched = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!matched && until.test(output)) {
        matched = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => (matched ? resolve(output) : reject(new Error(`hub start ended (${code}) before printing ${until}: ${output}`))));
  });
}
