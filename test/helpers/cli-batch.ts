// Several dlgrade commands run one after the other in ONE node process: grader/cli/main.ts's
// main() is called in turn, each call with its own working directory and its own captured
// stdout/stderr, and its exit code is what main() returned. What a sequence of separate CLI
// calls checks, without paying the CLI's start-up (tsx and the grader's imports, about 2.5 s
// of CPU) once per call. The process exit path itself (bin.js, process.exitCode) is exercised
// by the tests that still spawn the CLI on its own.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface CliCall {
  args: string[];
  /** The working directory of this call (default: the batch's). */
  cwd?: string;
  /** Files to look at right after this call, before the next one runs (null: absent). */
  snapshot?: string[];
}
export interface CliRun { code: number; out: string; err: string; files: Record<string, { mtimeMs: number; text: string } | null> }

const RUNNER = fileURLToPath(new URL('./cli-batch-runner.ts', import.meta.url));
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

export function cliBatch(calls: CliCall[], options: { cwd: string; env?: NodeJS.ProcessEnv }): CliRun[] {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), RUNNER], {
    input: JSON.stringify(calls), cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024,
  });
  const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('[')) throw new Error(`the CLI batch ended with ${r.status ?? r.signal}:\n${r.stderr}\n${r.stdout.slice(-4000)}`);
  const runs = JSON.parse(last) as CliRun[];
  if (runs.length !== calls.length) throw new Error(`the CLI batch ran ${runs.length} of ${calls.length} calls:\n${r.stderr}`);
  return runs.map((x) => ({ ...x, err: plain(x.err) }));
}
