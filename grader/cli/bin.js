#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step); worker threads inherit the loader.
// The grader runs in its own process group so that a terminal's Ctrl-C reaches
// it once, through here; signals are forwarded, and a grader killed by a signal
// is reported as such (exit 128 + signal number), never as "some submission failed".
// If this wrapper is killed outright, the grader notices (DLGRADE_PARENT_PID) and stops.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', require.resolve('tsx'), main, ...process.argv.slice(2)], {
  stdio: 'inherit',
  detached: true,
  env: { ...process.env, DLGRADE_PARENT_PID: String(process.pid) },
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { try { child.kill(sig); } catch { /* gone */ } });
}
child.on('error', (e) => {
  process.stderr.write(`dlgrade: cannot start the grader: ${e.message}\n`);
  process.exit(4);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.stderr.write(`dlgrade: the grader was killed by ${signal}; finished results are kept (run the same command again to resume)\n`);
    process.exit(128 + (constants.signals[signal] ?? 0));
  }
  process.exit(code ?? 4);
});
