// Builds the browser app (web/) into web/dist on `npm ci`, so the hub serves it at / with nothing
// else to run. Vite is a dependency (not a devDependency) for this reason: `npm ci --omit=dev`
// (deploy/Dockerfile) builds it too.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const vite = fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)))) {
  console.error('build-web: web/ is not here (copy it before installing); the hub will answer / with a note instead of the web app.');
  process.exit(0);
}
if (!existsSync(vite)) {
  console.error('build-web: vite is not installed; the hub will answer / with a note instead of the web app.');
  process.exit(0);
}
const result = spawnSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
  stdio: 'inherit',
  // Always the production build: vitest (NODE_ENV=test) or a shell's NODE_ENV must not give the hub React's development build.
  env: { ...process.env, NODE_ENV: 'production' },
});
process.exit(result.status ?? 1);
