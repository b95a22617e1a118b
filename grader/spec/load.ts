import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJson, sha256 } from '../util/fs.ts';
import { byId, check } from './validate.ts';
import type { Assignment, AssignmentSpec, Limits } from './types.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ASSIGNMENTS_DIR = join(REPO_ROOT, 'assignments');
/** Dataset cache and job folders unless --cache-dir says otherwise. */
export const defaultCacheRoot = (): string => process.env.DLGRADE_CACHE_DIR ?? join(REPO_ROOT, '.dlgrade-cache');

/** `ref` is an assignment id (a folder of assignments/) or a path to an assignment folder or its assignment.json. */
export function loadAssignment(ref: string): Assignment {
  const candidates = [ref, join(ASSIGNMENTS_DIR, ref)];
  const dir = candidates.map((c) => resolve(c)).find((c) => existsSync(c) && (statSync(c).isDirectory() || c.endsWith('.json')));
  if (!dir) throw new Error(`assignment "${ref}" not found (looked for ${candidates.map((c) => resolve(c)).join(' and ')})`);
  const specPath = dir.endsWith('.json') ? dir : join(dir, 'assignment.json');
  const spec = check<AssignmentSpec>(byId('assignment'), readJson(specPath), specPath);
  const folder = dirname(specPath);
  if (spec.id !== folder.split('/').pop()) throw new Error(`${specPath}: id "${spec.id}" must match its folder name "${folder.split('/').pop()}"`);
  const ids = new Set<string>();
  for (const item of spec.rubric) {
    if (ids.has(item.id)) throw new Error(`${specPath}: rubric id "${item.id}" appears twice`);
    ids.add(item.id);
  }
  return { spec, dir: folder, specPath, specHash: sha256(JSON.stringify(spec)) };
}

export function loadDefaultLimits(path = join(REPO_ROOT, 'limits.json')): Limits {
  const value = check<Partial<Limits>>(byId('limits'), readJson(path), path);
  const missing = (['timeLimitSec', 'memoryLimitMiB', 'maxBatchSize'] as const).filter((k) => value[k] === undefined);
  if (missing.length) throw new Error(`${path}: missing field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const { timeLimitSec, memoryLimitMiB, maxBatchSize } = value as Limits;
  return { timeLimitSec, memoryLimitMiB, maxBatchSize };
}

export interface LimitOverrides {
  timeLimitSec?: number;
  memoryLimitMiB?: number;
  force?: boolean;
}

/** Defaults ← assignment ← command line; the command line may only tighten unless forced. */
export function effectiveLimits(defaults: Limits, assignment: Assignment, cli: LimitOverrides = {}): Limits {
  const base: Limits = { ...defaults, ...assignment.spec.limits };
  const out = { ...base };
  for (const key of ['timeLimitSec', 'memoryLimitMiB'] as const) {
    const v = cli[key];
    if (v === undefined) continue;
    if (!(v > 0)) throw new Error(`--${key === 'timeLimitSec' ? 'time-limit' : 'memory-limit'} must be a positive number`);
    if (v > base[key] && !cli.force) {
      throw new Error(`--${key === 'timeLimitSec' ? 'time-limit' : 'memory-limit'} ${v} is above what ${assignment.spec.id} allows (${base[key]}); pass --force to raise it`);
    }
    out[key] = v;
  }
  return out;
}
