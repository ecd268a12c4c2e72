#!/usr/bin/env node
// The `hub` command: runs the TypeScript CLI through tsx (the project has no build step).
import { spawn } from 'node:child_process';
import { heapDecision } from './heap-limit.js';

const decision = heapDecision(process.argv, process.execArgv, process.env);
if ('error' in decision) {
  console.error(`error: ${decision.error}`);
  process.exit(1);
}
if (decision.relaunch) {
  // The server runs in a child given the heap limit (heap-limit.js says why). The child has its own
  // process group, so a terminal's Ctrl+C reaches it once, through here, like a service manager's SIGTERM.
  const child = spawn(process.execPath, [...decision.execArgv, ...process.argv.slice(1)], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/hub.ts');
}
