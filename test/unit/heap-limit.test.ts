import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_HEAP_MB, heapDecision } from '../../bin/heap-limit.js';

/** `hub start` / `hub worker` bound the server's heap by default (issue 11), and respect an operator's own choice. */
describe('the hub launcher’s heap limit', () => {
  const argv = (...args: string[]) => ['/usr/bin/node', '/app/bin/hub.js', ...args];

  it('runs the server commands again with the default limit, keeping node’s other flags', () => {
    expect(DEFAULT_MAX_HEAP_MB).toBe(256);
    expect(heapDecision(argv('start'), [], {})).toEqual({ relaunch: true, maxHeapMb: 256, execArgv: ['--max-old-space-size=256'] });
    expect(heapDecision(argv('worker'), ['--enable-source-maps'], { HUB_MAX_HEAP_MB: '512' })).toEqual({
      relaunch: true,
      maxHeapMb: 512,
      execArgv: ['--enable-source-maps', '--max-old-space-size=512'],
    });
  });

  it('leaves one-shot commands, a limit the operator set and HUB_MAX_HEAP_MB=0 alone', () => {
    expect(heapDecision(argv('payloads', 'list'), [], {})).toMatchObject({ relaunch: false });
    expect(heapDecision(argv(), [], {})).toMatchObject({ relaunch: false });
    expect(heapDecision(argv('start'), ['--max-old-space-size=1024'], {})).toMatchObject({ relaunch: false });
    expect(heapDecision(argv('start'), [], { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=300' })).toMatchObject({ relaunch: false });
    expect(heapDecision(argv('start'), [], { HUB_MAX_HEAP_MB: '0' })).toMatchObject({ relaunch: false });
  });

  it('refuses a setting that is not a size', () => {
    expect(heapDecision(argv('start'), [], { HUB_MAX_HEAP_MB: '256m' })).toEqual({ error: expect.stringContaining('HUB_MAX_HEAP_MB must be a whole number') });
    expect(heapDecision(argv('start'), [], { HUB_MAX_HEAP_MB: '16' })).toEqual({ error: expect.stringContaining('at least 64') });
  });
});
