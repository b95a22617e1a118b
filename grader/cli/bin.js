#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step); worker threads inherit the loader.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const r = spawnSync(process.execPath, ['--import', require.resolve('tsx'), main, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
