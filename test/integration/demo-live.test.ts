import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../demo/run-demo.ts';
import { loadConfig } from '../../jobs/config.ts';
import { parseMetrics } from '../helpers/prometheus.ts';

/**
 * The long-running demo as `hub demo` runs it (embedded database, sandboxes, the API, scheduled
 * syncs): ops looking at it see a live worker, as they would with `hub start`.
 */
describe('when the demo runs', () => {
  let dataDir: string | undefined;

  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('writes its worker heartbeat: /metrics shows one live worker while it runs', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'orderhub-demo-'));
    const lines: string[] = [];
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    let scraped: string | undefined;
    let failure: unknown;
    const print = (line: string) => {
      lines.push(line);
      // The demo is up (API listening, runner started) once it says it syncs on a schedule.
      if (!line.startsWith('[demo] syncing every')) return;
      void (async () => {
        try {
          const api = /\[demo\] API at (\S+) /.exec(lines.join('\n'))![1]!;
          const admin = /^ {2}admin +(\S+) +admin$/m.exec(lines.join('\n'))![1]!;
          const login = await fetch(`${api}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: admin }) });
          expect(login.status).toBe(200);
          const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
          scraped = await (await fetch(`${api}/metrics`, { headers: { cookie } })).text();
        } catch (error) {
          failure = error;
        } finally {
          stop();
        }
      })();
    };
    await runDemo({ config: loadConfig({ HUB_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }), everySeconds: 59, print, until });
    expect(failure).toBeUndefined();
    expect(parseMetrics(scraped!).value('orderhub_workers_live')).toBe(1);
  }, 120_000);
});
