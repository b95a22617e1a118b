import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJson, sha256 } from '../util/fs.ts';
import { byId, check, compile, ValidationError } from './validate.ts';
import { taskHost } from '../tasks/hosts.ts';
import type { Assignment, AssignmentSpec, Limits } from './types.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ASSIGNMENTS_DIR = join(REPO_ROOT, 'assignments');
/** Dataset cache and job folders unless --cache-dir says otherwise. */
export const defaultCacheRoot = (): string => process.env.DLGRADE_CACHE_DIR ?? join(REPO_ROOT, '.dlgrade-cache');

/** `ref` is an assignment id (a folder of assignments/) or a path to an assignment folder or its assignment.json. */
export function loadAssignment(ref: string): Assignment {
  const candidates = [ref, join(ASSIGNMENTS_DIR, ref)];
  const found = candidates.map((c) => resolve(c)).filter((c) => existsSync(c) && (statSync(c).isDirectory() || c.endsWith('.json')));
  // A folder named like the assignment (a student's, made by dlgrade init) is not the assignment: prefer one with assignment.json.
  const dir = found.find((c) => c.endsWith('.json') || existsSync(join(c, 'assignment.json'))) ?? found[0];
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
  checkRubric(spec, specPath);
  // Hashed before the task's own defaults are filled in, as results were always keyed.
  const specHash = sha256(JSON.stringify(spec));
  checkTask(spec, specPath);
  return { spec, dir: folder, specPath, specHash };
}

/**
 * What only the task driver knows, checked when the assignment loads rather than
 * per student: the task's parameters (its defaults filled in), and that every
 * rubric item reads a metric the task computes.
 */
function checkTask(spec: AssignmentSpec, specPath: string): void {
  const host = taskHost(spec.task.kind, specPath);
  check(compile(host.paramsSchema), spec.task, specPath, 'task');
  const problems = spec.rubric.flatMap((item, i) => host.metrics.includes(item.metric) ? [] : [
    `rubric[${i}].metric "${item.metric}" is not computed by task ${host.kind} (it computes: ${host.metrics.join(', ')})`,
  ]);
  if (problems.length) throw new ValidationError(specPath, problems);
}

/**
 * Integrity: what is observed inside the submission's own process (evidence "signal")
 * can be forged there, so it may carry only a minority of the points; review bounds
 * must lie beyond the threshold on the passing side, or every pass would be flagged.
 */
function checkRubric(spec: AssignmentSpec, specPath: string): void {
  const total = spec.rubric.reduce((s, r) => s + r.points, 0);
  const signals = spec.rubric.filter((r) => r.evidence === 'signal');
  const signal = signals.reduce((s, r) => s + r.points, 0);
  if (signal > 0 && signal * 2 >= total) {
    throw new Error(`${specPath}: integrity-signal items carry ${signal} of ${total} points; they may carry less than half ` +
      `(${signals.map((r) => r.id).join(', ')} are observed inside the submission's own process and could be forged there; give the measured or verified items more points)`);
  }
  const problems: string[] = [];
  spec.rubric.forEach((r, i) => {
    const higherIsBetter = r.op === '>' || r.op === '>=';
    if (r.reviewAbove !== undefined) {
      if (!higherIsBetter) problems.push(`rubric[${i}].reviewAbove: only for higher-is-better items (op > or >=); "${r.id}" uses ${r.op} (use reviewBelow)`);
      else if (!(r.reviewAbove > r.threshold)) problems.push(`rubric[${i}].reviewAbove ${r.reviewAbove} must be above the threshold ${r.threshold}, or every pass would be flagged`);
    }
    if (r.reviewBelow !== undefined) {
      if (higherIsBetter) problems.push(`rubric[${i}].reviewBelow: only for lower-is-better items (op < or <=); "${r.id}" uses ${r.op} (use reviewAbove)`);
      else if (!(r.reviewBelow < r.threshold)) problems.push(`rubric[${i}].reviewBelow ${r.reviewBelow} must be below the threshold ${r.threshold}, or every pass would be flagged`);
    }
  });
  if (problems.length) throw new ValidationError(specPath, problems);
}

/** Source size cap when limits.json does not set one. */
export const DEFAULT_MAX_SOURCE_KIB = 1024;

export function loadDefaultLimits(path = join(REPO_ROOT, 'limits.json')): Limits {
  const value = check<Partial<Limits>>(byId('limits'), readJson(path), path);
  const missing = (['timeLimitSec', 'memoryLimitMiB', 'maxBatchSize'] as const).filter((k) => value[k] === undefined);
  if (missing.length) throw new Error(`${path}: missing field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const { timeLimitSec, memoryLimitMiB, maxBatchSize } = value as Limits;
  return { timeLimitSec, memoryLimitMiB, maxBatchSize, maxSourceKiB: value.maxSourceKiB ?? DEFAULT_MAX_SOURCE_KIB };
}

export interface LimitOverrides {
  timeLimitSec?: number;
  memoryLimitMiB?: number;
  force?: boolean;
}

/** Defaults ← assignment ← command line; the command line may only tighten unless forced. */
export function effectiveLimits(defaults: Limits, assignment: Assignment, cli: LimitOverrides = {}): Limits {
  const base: Limits = { ...defaults, ...assignment.spec.limits };
  base.maxSourceKiB ??= DEFAULT_MAX_SOURCE_KIB; // defaults built by hand, before the source cap was a limit
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
