#!/usr/bin/env node
// The `hub` command: runs the TypeScript CLI through tsx (the project has no build step).
import { register } from 'tsx/esm/api';

register();
await import('../cli/hub.ts');
