// Generates the Prisma client on `npm ci`. `prisma generate` needs no native engine, but the CLI
// still tries to download the schema engine unless PRISMA_SCHEMA_ENGINE_BINARY names an existing
// file; on machines without internet that download fails, so point it at node itself.
import { spawnSync } from 'node:child_process';

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const result = spawnSync(process.execPath, ['node_modules/prisma/build/index.js', 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
