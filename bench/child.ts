// Bench measurements that need a fresh process (clean RSS, one backend per
// process): runs a bench script under tsx and takes the JSON line it prints.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../grader/spec/load.ts';

/** The script's JSON line, or the error it died of (first `…Error: ` line of stderr, else its exit code). */
export function jsonFromChild<T>(script: string, args: string[]): { value: T } | { error: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', script), ...args], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status === 0 && line) return { value: JSON.parse(line) as T };
  return { error: (r.stderr.split('\n').find((l) => /^\w*Error: /.test(l)) ?? `exit ${r.status}`).slice(0, 160) };
}
