// Plain JavaScript: the `hub` launcher decides this before loading TypeScript, so it stays small.
/**
 * The server's heap is bounded by default (issue 11). V8's own limit is a quarter of the machine's
 * memory, and it collects garbage lazily up to it: a hub importing a 100 MB interchange holds little
 * (bodies stream), yet its RSS wandered to ~780 MB on a 23 GB machine. With a limit of 256 MB the
 * same import stays far lower (docs/performance.md). A heap limit can only be set when the process
 * starts, so `hub start` and `hub worker` run the hub in a child process given
 * `--max-old-space-size`, unless the operator already chose one (node's own flag, or NODE_OPTIONS)
 * or switched it off (`HUB_MAX_HEAP_MB=0`).
 */
export const DEFAULT_MAX_HEAP_MB = 256;
/** Commands that run the long-lived server; one-shot commands keep V8's default. */
const SERVER_COMMANDS = ['start', 'worker'];
const HEAP_FLAG = /(^|\s)--max-old-space-size(=|\s|$)/;

/** Whether the command in `argv` (process.argv) runs again with a heap limit, and with which node flags. */
export function heapDecision(argv, execArgv, env) {
  const command = argv.slice(2).find((arg) => !arg.startsWith('-'));
  if (!command || !SERVER_COMMANDS.includes(command)) return { relaunch: false, reason: 'not a server command' };
  const text = env.HUB_MAX_HEAP_MB?.trim();
  const maxHeapMb = text === undefined || text === '' ? DEFAULT_MAX_HEAP_MB : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(maxHeapMb) || (maxHeapMb !== 0 && maxHeapMb < 64)) {
    return { error: `HUB_MAX_HEAP_MB must be a whole number of megabytes, at least 64 (or 0: V8's default), got "${text}"` };
  }
  if (execArgv.some((arg) => HEAP_FLAG.test(arg)) || HEAP_FLAG.test(env.NODE_OPTIONS ?? '')) return { relaunch: false, reason: 'a heap limit is set already' };
  if (maxHeapMb === 0) return { relaunch: false, reason: 'HUB_MAX_HEAP_MB=0' };
  return { relaunch: true, maxHeapMb, execArgv: [...execArgv, `--max-old-space-size=${maxHeapMb}`] };
}
