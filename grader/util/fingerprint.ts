// The grader's own identity: its version, its locked dependencies and every
// file of its code. A result graded by other grader code (a scoring fix, a
// changed task driver) is not the same result, so this goes into the resume key.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './fs.ts';

const DEFAULT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cache = new Map<string, string>();

/**
 * sha256 over package.json's version, package-lock.json's digest and the path and
 * content of every file under `root`/grader/ (sorted). Computed once per root.
 */
export function graderFingerprint(root: string = DEFAULT_ROOT): string {
  const key = resolve(root);
  let hash = cache.get(key);
  if (hash === undefined) {
    hash = computeFingerprint(key);
    cache.set(key, hash);
  }
  return hash;
}

/** The same digest, computed afresh (no cache). */
export function computeFingerprint(root: string): string {
  const pkgPath = join(root, 'package.json');
  const version = existsSync(pkgPath) ? String((JSON.parse(readFileSync(pkgPath, 'utf8')) as { version?: unknown }).version) : '(no package.json)';
  const lockPath = join(root, 'package-lock.json');
  const lock = existsSync(lockPath) ? sha256(readFileSync(lockPath)) : '(no package-lock.json)';
  const lines = [`version ${version}`, `package-lock.json ${lock}`];
  for (const rel of filesUnder(join(root, 'grader'))) lines.push(`grader/${rel} ${sha256(readFileSync(join(root, 'grader', rel)))}`);
  return sha256(lines.join('\n'));
}

/** Regular files under `dir`, as sorted '/'-separated relative paths (symlinks are not followed). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  if (existsSync(dir)) walk('');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
