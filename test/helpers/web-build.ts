import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WEB_DIST } from '../../api/web-app.ts';

const WEB_SRC = fileURLToPath(new URL('../../web/', import.meta.url));

/** The newest modification time under a folder (sources of the web app). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * The install builds web/dist (npm ci → postinstall); a developer who changed web/ since gets it rebuilt
 * once before the tests (global-setup.ts: one build, not one per test file racing the others), so the
 * browser tests never run against a stale app.
 */
export function ensureWebBuilt(): void {
  const index = join(WEB_DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(WEB_SRC)) return;
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build-web.mjs', import.meta.url))], { stdio: 'inherit' });
}

