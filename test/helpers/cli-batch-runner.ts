// The process test/helpers/cli-batch.ts starts: reads the calls (JSON) on stdin, runs each
// through main(), and prints the runs as one JSON line on stdout.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { main } from '../../grader/cli/main.ts';
import type { CliCall, CliRun } from './cli-batch.ts';

const calls = JSON.parse(readFileSync(0, 'utf8')) as CliCall[];
const home = process.cwd();
const runs: CliRun[] = [];
type Write = typeof process.stdout.write;
const realOut = process.stdout.write, realErr = process.stderr.write;
const capture = (sink: { s: string }): Write => ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
  sink.s += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  const done = typeof enc === 'function' ? enc : cb;
  if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
  return true;
}) as Write;

for (const call of calls) {
  const out = { s: '' }, err = { s: '' };
  process.chdir(call.cwd ?? home);
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  let code: number;
  try {
    code = await main(call.args);
  } catch (e) {
    err.s += `the call threw: ${(e as Error).stack}\n`;
    code = -1;
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  const files: CliRun['files'] = {};
  for (const f of call.snapshot ?? []) {
    const p = resolve(f);
    files[f] = existsSync(p) ? { mtimeMs: statSync(p).mtimeMs, text: readFileSync(p, 'utf8') } : null;
  }
  runs.push({ code, out: out.s, err: err.s, files });
}
process.stdout.write('\n' + JSON.stringify(runs) + '\n', () => process.exit(0));
