import net from 'node:net';
import pg from 'pg';
import { POSTGRES_ADMIN_URL, REDIS_TEST_URL } from './databases.ts';
import { ensureWebBuilt } from './web-build.ts';

/**
 * Before any test file: are PostgreSQL and Redis up? In CI (CI=true) a missing service stops the
 * run at once with one clear message instead of every file failing on its own; elsewhere it warns.
 */
export default async function globalSetup(): Promise<void> {
  // The browser tests use the built web app: rebuilt here, once, when web/ changed since the last build.
  ensureWebBuilt();
  const problems = (await Promise.all([pingPostgres(POSTGRES_ADMIN_URL), pingRedis(REDIS_TEST_URL)])).filter((p): p is string => p !== undefined);
  if (problems.length === 0) return;
  const message = `The tests need PostgreSQL and Redis:\n  - ${problems.join('\n  - ')}\nStart them (bash .ci/run does), or point TEST_POSTGRES_URL / TEST_REDIS_URL at running ones.`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`warning: ${message}`);
}

async function pingPostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL is not reachable at ${redact(url)} (${(error as Error).message || String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** PING over a plain socket (RESP), so the check needs no client library and never retries. */
function pingRedis(url: string): Promise<string | undefined> {
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 6379);
  const password = decodeURIComponent(parsed.password);
  const username = decodeURIComponent(parsed.username);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let answer = '';
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(3_000, () => done(`Redis at ${redact(url)} did not answer within 3 s`));
    socket.on('error', (error) => done(`Redis is not reachable at ${redact(url)} (${error.message})`));
    socket.on('connect', () => {
      if (password) socket.write(username ? `AUTH ${username} ${password}\r\n` : `AUTH ${password}\r\n`);
      socket.write('PING\r\n');
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('+PONG')) done(undefined);
      else if (answer.startsWith('-') && answer.includes('\r\n')) done(`Redis at ${redact(url)} answered ${answer.trim()}`);
    });
  });
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
