import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web app is built into web/dist by the project's own install (scripts/build-web.mjs) and served
// by the hub at / (api/web-app.ts). `npx vite --config web/vite.config.ts` serves it with hot reload
// against a hub on HUB_URL (default http://localhost:3000).
const root = fileURLToPath(new URL('.', import.meta.url));
const hub = process.env.HUB_URL ?? 'http://localhost:3000';

export default defineConfig({
  root,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 900 },
  server: { proxy: { '/v1': { target: hub, changeOrigin: false } } },
});
