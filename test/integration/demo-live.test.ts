import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../demo/run-demo.ts';
import { loadConfig } from '../../jobs/config.ts';
import { parseMetrics } from '../helpers/prometheus.ts';

/**
 * The long-running demo as `hub demo` runs it (embedded database, sandboxes, the API, scheduled
 * syncs): ops looking at it see a live worker, as they would with `hub start`; a newcomer sees the
 * web app's address and the logins first, and finds something on every screen.
 */
describe('when the demo runs', () => {
  let dataDir: string | undefined;

  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('shows the web address first, writes its worker heartbeat, and seeds what every screen needs (a failed payload, the 50 + 70 supply, exclusivity, a purchase, settlements)', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'orderhub-demo-'));
    const lines: string[] = [];
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    let scraped: string | undefined;
    let failedPayloads: { status: string; error: string | null }[] = [];
    let purchaseCheck: { lines: { sku: string; unitPrice: string | null; availability: Record<string, unknown> }[] } | undefined;
    let refused: { exclusivity: { allowed: boolean } } | undefined;
    let purchases: { purchases: { reference: string | null }[] } | undefined;
    let settlements: { documents: unknown[] } | undefined;
    let failure: unknown;
    const print = (line: string) => {
      lines.push(line);
      // The demo is up (API listening, runner started) once it says it syncs on a schedule.
      if (!line.startsWith('[demo] syncing every')) return;
      void (async () => {
        try {
          const api = /\[demo\] API at (\S+) /.exec(lines.join('\n'))![1]!;
          const signIn = async (user: string, role: string) => {
            const password = new RegExp(`^ {2}${user.replace('.', '\\.')} +(\\S+) +${role}`, 'm').exec(lines.join('\n'))![1]!;
            const login = await fetch(`${api}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: user, password }) });
            expect(login.status).toBe(200);
            const csrf = ((await login.json()) as { csrfToken?: string }).csrfToken;
            return { cookie: login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), ...(csrf && { 'x-csrf-token': csrf }) };
          };
          const admin = await signIn('admin', 'admin');
          scraped = await (await fetch(`${api}/metrics`, { headers: admin })).text();
          failedPayloads = ((await (await fetch(`${api}/v1/raw-payloads?status=failed`, { headers: admin })).json()) as { items: typeof failedPayloads }).items;
          const head = await signIn('kert.head', 'dealer_head');
          const post = (url: string, body: object) => fetch(`${api}${url}`, { method: 'POST', headers: { ...head, 'content-type': 'application/json' }, body: JSON.stringify(body) });
          const supplyArrives = /KP-TOLGY: 50 in stock and 70 arriving on (\S+);/.exec(lines.join('\n'))![1]!;
          const late = new Date(Date.parse(supplyArrives) + 3 * 86_400_000).toISOString().slice(0, 10);
          purchaseCheck = (await (await post('/v1/dealers/BP-KERT/purchases/check', { lines: [{ sku: 'KP-TOLGY', quantity: '100' }], desiredDate: late })).json()) as typeof purchaseCheck;
          refused = ((await (await post('/v1/dealers/BP-KERT/purchases/check', { lines: [{ sku: 'NE-300', quantity: '1' }] })).json()) as { lines: [typeof refused] }).lines[0];
          purchases = (await (await fetch(`${api}/v1/dealers/BP-KERT/purchases`, { headers: head })).json()) as typeof purchases;
          const today = new Date().toISOString().slice(0, 10);
          const monthAgo = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
          settlements = (await (await fetch(`${api}/v1/dealers/BP-KERT/settlements?from=${monthAgo}&to=${today}`, { headers: head })).json()) as typeof settlements;
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

    // What a newcomer sees first: the web app's address, then who to sign in as.
    const web = lines.findIndex((l) => /^\[demo\] web app: http:\/\/\S+\/ — sign in as one of:$/.test(l));
    expect(web).toBeGreaterThanOrEqual(0);
    expect(lines[web + 1]).toMatch(/^ {2}admin +demo-\S+ +admin$/);
    expect(web).toBeLessThan(lines.findIndex((l) => l.startsWith('[demo] API at')));
    // Ops have a failed payload to look at and reprocess.
    expect(failedPayloads).toEqual([expect.objectContaining({ status: 'failed', error: expect.stringContaining('currency') })]);
    // The seed's 50 + 70 example, at the dealers' price column.
    expect(purchaseCheck!.lines[0]).toMatchObject({ sku: 'KP-TOLGY', unitPrice: '36800', availability: { status: 'available', inStock: '30', incoming: [{ quantity: '70' }], short: '0' } });
    expect(refused).toMatchObject({ exclusivity: { allowed: false } });
    expect(purchases!.purchases.map((p) => p.reference)).toEqual(['KERT-PO-0001']);
    expect(settlements!.documents.length).toBeGreaterThan(0);
  }, 120_000);
});
