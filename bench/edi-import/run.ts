/**
 * bench/edi-import: one large EDIFACT interchange uploaded to a running hub, end to end. The hub is a
 * child process running `hub start` as ops run it (`node bin/hub.js start`, so with the launcher's
 * default heap limit; the server is the launcher's own child, and its RSS is what is measured) against
 * a fresh PostgreSQL database;
 * this process only builds the file, uploads it to `POST /v1/channels/:id/files`, and watches:
 *
 * - the server's peak RSS (VmHWM of the child, read from /proc, plus VmRSS sampled every 100 ms), and
 *   separately the highest RSS while the upload itself is received and the range while importing,
 * - the API meanwhile: `GET /health` (which asks the database) and `GET /v1/raw-payloads` in turn,
 *   one request every 200 ms; the slowest answer and any failure,
 * - time to the 202, to every order stored, and to the payload's verdict (the steps — stock,
 *   acknowledgement, distribution — of every order included).
 *
 *   npm run bench:edi-import                         # 100 MB
 *   BENCH_EDI_IMPORT_MB=10 npm run bench:edi-import
 *   BENCH_SERVER_NODE_OPTIONS=--max-old-space-size=512 npm run bench:edi-import   # another heap limit (HUB_MAX_HEAP_MB works too)
 *   BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres (default) names the server to create the bench database on;
 *   BENCH_DB_NAME and BENCH_PORT let two runs side by side; BENCH_MAX_SECONDS=300 stops watching
 *   after 5 minutes and reports what was stored by then.
 *
 * Linux only (/proc). Takes a while at 100 MB: see docs/performance.md for the figures.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { cliActor } from '../../core/audit/actor.ts';
import { openDatabase } from '../../core/db/database.ts';
import { ApiTokens } from '../../core/identity/api-tokens.ts';
import { UserService } from '../../core/identity/user-service.ts';
import { buildInterchange } from '../edi/interchange.ts';

const TARGET_MB = Number(process.env.BENCH_EDI_IMPORT_MB ?? 100);
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DB_NAME = process.env.BENCH_DB_NAME ?? 'orderhub_bench_edi_import';
/** Node options of the server only, e.g. `--max-old-space-size=512` (without one, the launcher's default heap limit applies). */
const SERVER_NODE_OPTIONS = process.env.BENCH_SERVER_NODE_OPTIONS ?? '';
/** Stop watching after this long and report what was stored by then (0: wait for the verdict). */
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 0);
const PORT = Number(process.env.BENCH_PORT ?? 3917);
const BASE = `http://127.0.0.1:${PORT}`;
const UPLOAD_TOKEN = 'bench-upload-token-0123456789abcdef';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

/** Resident set of a process and its peak so far, in bytes (Linux /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: 0, peak: 0 }; // the server is gone (the watch loop reports its exit)
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

async function recreateDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
}

async function main(): Promise<void> {
  console.log(`Building a ${TARGET_MB} MB EDIFACT interchange…`);
  const { text, messages } = buildInterchange(TARGET_MB * 1024 * 1024);
  const file = Buffer.from(text, 'utf8');
  console.log(`${messages} ORDERS messages, ${(file.length / 1024 / 1024).toFixed(1)} MB${SERVER_NODE_OPTIONS ? `; server NODE_OPTIONS=${SERVER_NODE_OPTIONS}` : ''}`);

  const databaseUrl = await recreateDatabase();
  // The server: `hub start` exactly as ops run it, in its own process, so its RSS is the hub's alone.
  const server = spawn(process.execPath, ['bin/hub.js', 'start'], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: SERVER_NODE_OPTIONS, DATABASE_URL: databaseUrl, PORT: String(PORT), HOST: '127.0.0.1', LOG_LEVEL: 'warn', REDIS_URL: '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const serverExit = new Promise<number | null>((resolve) => server.once('exit', resolve));
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  let hubPid: number | undefined;
  try {
    for (let i = 0; ; i++) {
      if (i > 600) throw new Error('the hub did not answer /health within 60 s');
      if (server.exitCode !== null) throw new Error(`the hub exited with ${server.exitCode}`);
      if ((await fetch(`${BASE}/health`).catch(() => undefined))?.ok) break;
      await sleep(100);
    }
    // The launcher runs the server as its child when it sets the heap limit: that child is the hub.
    const launcher = server.pid!;
    const child = Number(readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/)[0] || 0);
    const pid = child || launcher;
    hubPid = pid;
    const heapFlag = /--max-old-space-size=\d+/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ') + ' ' + SERVER_NODE_OPTIONS)?.[0] ?? 'V8 default heap';
    const idle = memoryOf(pid);
    console.log(`hub up (pid ${pid}, ${heapFlag}${child ? `, launcher pid ${launcher} RSS ${mb(memoryOf(launcher).rss)} MB` : ''}), RSS ${mb(idle.rss)} MB idle`);

    db = await openDatabase({ url: databaseUrl, poolSize: 2 });
    const users = new UserService(db);
    await users.create({ login: 'bench-admin', roles: ['admin'] }, cliActor());
    const { token } = await new ApiTokens(db).create(await users.idOf('bench-admin'), { name: 'bench' }, cliActor());
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${BASE}/v1/channels`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'Bench partner', connectorType: 'edi', config: { ourId: '4098765000010', uploadToken: UPLOAD_TOKEN, maxFileBytes: 128 * 1024 * 1024 } }),
    });
    if (created.status !== 201) throw new Error(`channel: ${created.status} ${await created.text()}`);
    const channelId = ((await created.json()) as { id: string }).id;

    // Watchers: memory every 100 ms, the API every 200 ms (one request at a time, alternating endpoints).
    let watching = true;
    let uploading = true;
    let rssMax = idle.rss;
    let uploadMax = idle.rss;
    const importing = { min: Infinity, max: 0 };
    const memoryWatch = (async () => {
      while (watching) {
        const rss = memoryOf(pid).rss;
        rssMax = Math.max(rssMax, rss);
        if (uploading) uploadMax = Math.max(uploadMax, rss);
        else if (rss > 0) {
          importing.min = Math.min(importing.min, rss);
          importing.max = Math.max(importing.max, rss);
        }
        await sleep(100);
      }
    })();
    const api = { requests: 0, failures: 0, worstMs: 0, latencies: [] as number[] };
    const apiWatch = (async () => {
      for (let n = 0; watching; n++) {
        const url = n % 2 === 0 ? `${BASE}/health` : `${BASE}/v1/raw-payloads?channelId=${channelId}&limit=5`;
        const t0 = performance.now();
        const ok = await fetch(url, { headers: n % 2 === 0 ? {} : auth, signal: AbortSignal.timeout(30_000) })
          .then(async (r) => (await r.arrayBuffer(), r.ok))
          .catch(() => false);
        const ms = performance.now() - t0;
        api.requests++;
        if (!ok) api.failures++;
        api.latencies.push(ms);
        api.worstMs = Math.max(api.worstMs, ms);
        await sleep(200);
      }
    })();

    const t0 = performance.now();
    const response = await fetch(`${BASE}/v1/channels/${channelId}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${UPLOAD_TOKEN}`, 'content-type': 'application/edifact', 'content-disposition': 'attachment; filename="bench-interchange.edi"' },
      body: file,
    });
    const accepted = (performance.now() - t0) / 1000;
    uploading = false;
    uploadMax = Math.max(uploadMax, memoryOf(pid).rss);
    console.log(`RSS while the upload was received: up to ${mb(uploadMax)} MB`);
    if (response.status !== 202) throw new Error(`upload: ${response.status} ${await response.text()}`);
    const { payloadId } = (await response.json()) as { payloadId: string };
    console.log(`202 after ${accepted.toFixed(1)} s (payload ${payloadId})`);

    let allStored: number | undefined;
    let verdict: { status: string; error: string | null; order_count: number } | undefined;
    for (let tick = 0; ; tick++) {
      await sleep(1000);
      if (server.exitCode !== null) throw new Error(`the hub exited with ${server.exitCode} during the import`);
      const orders = (await db.query<{ orders: number }>(`SELECT count(*)::int AS orders FROM "order" WHERE channel_id = $1`, [channelId]))[0]?.orders ?? 0;
      const [row] = await db.query<{ status: string; error: string | null; order_count: number }>(`SELECT status, error, order_count FROM raw_payload WHERE id = $1`, [payloadId]);
      const elapsed = (performance.now() - t0) / 1000;
      if (allStored === undefined && orders >= messages) allStored = elapsed;
      if (tick % 15 === 0) console.log(`${elapsed.toFixed(0)} s: ${orders} orders, payload ${row!.status}, RSS ${mb(memoryOf(pid).rss)} MB, API worst ${api.worstMs.toFixed(0)} ms`);
      if (row!.status !== 'pending') {
        verdict = row;
        break;
      }
      if (MAX_SECONDS > 0 && elapsed > MAX_SECONDS) {
        console.log(`stopped watching after ${elapsed.toFixed(0)} s: ${orders} of ${messages} orders stored (${(orders / elapsed).toFixed(0)} orders/s)`);
        verdict = { ...row!, status: `still pending, ${orders} stored` };
        break;
      }
    }
    const done = (performance.now() - t0) / 1000;
    watching = false;
    await Promise.all([memoryWatch, apiWatch]);
    const peak = Math.max(rssMax, memoryOf(pid).peak);
    const sorted = [...api.latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
    const steps = (await db.query<{ steps: number }>(`SELECT count(*)::int AS steps FROM order_step s JOIN "order" o ON o.id = s.order_id WHERE o.channel_id = $1`, [channelId]))[0]?.steps ?? 0;

    console.log('\n| file | messages | 202 after | all orders stored | verdict | orders/s | server RSS idle → peak | API answers | worst / p99 latency |');
    console.log('|---|---:|---:|---:|---|---:|---:|---:|---:|');
    console.log(
      `| ${(file.length / 1024 / 1024).toFixed(1)} MB | ${messages} | ${accepted.toFixed(1)} s | ${allStored?.toFixed(0) ?? 'never'} s | ${verdict!.status} (${verdict!.order_count} orders) after ${done.toFixed(0)} s | ${(messages / done).toFixed(0)} | ${mb(idle.rss)} → ${mb(peak)} MB | ${api.requests - api.failures}/${api.requests} | ${api.worstMs.toFixed(0)} / ${p99.toFixed(0)} ms |`,
    );
    console.log(`server RSS: idle ${mb(idle.rss)} MB, receiving the upload up to ${mb(uploadMax)} MB, importing ${mb(importing.min === Infinity ? 0 : importing.min)}–${mb(importing.max)} MB, peak ${mb(peak)} MB (${heapFlag})`);
    console.log(`order steps recorded: ${steps}${verdict!.error ? `; payload error: ${verdict!.error.slice(0, 300)}` : ''}`);
    if (peak >= 500 * 1024 * 1024) console.log(`PEAK RSS ${mb(peak)} MB is above the 500 MB target`);
  } finally {
    await db?.close();
    server.kill('SIGTERM');
    const code = await Promise.race([serverExit, sleep(20_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      server.kill('SIGKILL');
      // The launcher's child has its own process group: it is not taken down with the launcher.
      if (hubPid && hubPid !== server.pid) process.kill(hubPid, 'SIGKILL');
    }
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
