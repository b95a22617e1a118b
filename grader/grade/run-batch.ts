// Grades a list of submissions for one assignment: prepares the task once,
// runs submissions side by side in the pool, judges each as it finishes and
// writes its result atomically. A rerun reuses every result that was graded
// under the same conditions, so an interrupted batch resumes where it stopped.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GradingPool } from '../pool/pool.ts';
import { isolationFor, type Isolation } from '../sandbox/capabilities.ts';
import { NODE_MODULES } from '../sandbox/node-permissions.ts';
import { buildRunner } from '../sandbox/compile.ts';
import type { SandboxRequest } from '../sandbox/run-sandboxed.ts';
import type { Assignment, Limits } from '../spec/types.ts';
import { check, compile } from '../spec/validate.ts';
import { taskHost } from '../tasks/hosts.ts';
import type { Mode, Progress, VerifyResult } from '../tasks/types.ts';
import { readJson, sha256, writeJsonAtomic } from '../util/fs.ts';
import { runEnvironment } from '../report/environment.ts';
import { resolveBackend, type ResolvedBackend } from '../backend/resolve.ts';
import { resultSchema, type SubmissionResult } from '../report/result.ts';
import { judge, outputProblem, type Verdict } from './judge.ts';
import type { Submission } from './discover.ts';

export interface BatchOptions {
  assignment: Assignment;
  submissions: Submission[];
  mode: Mode;
  outDir: string;
  concurrency: number;
  limits: Limits;
  cacheRoot: string;
  dataDir?: string;
  weights?: string;
  backend: SandboxRequest['backend'];
  allowNative: boolean;
  isolation: Isolation;
  resume: boolean;
  keepJobDirs?: boolean;
  reporter: Reporter;
  signal?: AbortSignal;
}

export interface BatchSummary {
  assignment: { id: string; title: string; specHash: string };
  mode: Mode;
  total: number;
  passed: number;
  reused: number;
  counts: Partial<Record<Verdict, number>>;
  points: number;
  maxPoints: number;
  elapsedSec: number;
  interrupted: boolean;
  results: SubmissionResult[];
}

export interface Reporter {
  begin(info: { assignment: Assignment; mode: Mode; total: number; toRun: number; concurrency: number; limits: Limits; isolation: Isolation; backend: ResolvedBackend }): void;
  start(id: string): void;
  progress(id: string, p: Progress, elapsedSec: number): void;
  done(result: SubmissionResult, reused: boolean): void;
  end(summary: BatchSummary): void;
}

const validateResult = compile(resultSchema);

export async function runBatch(o: BatchOptions): Promise<BatchSummary> {
  const t0 = performance.now();
  const { spec } = o.assignment;
  const host = taskHost(spec.task.kind, o.assignment.specPath);
  check(compile(host.paramsSchema), spec.task, `${o.assignment.specPath} (task)`);
  const prepared = await host.prepare({ assignment: o.assignment, mode: o.mode, cacheRoot: o.cacheRoot, dataDir: o.dataDir, weights: o.weights });
  mkdirSync(o.cacheRoot, { recursive: true });
  const isolation = isolationFor(o.isolation, [o.cacheRoot, NODE_MODULES]);
  const environment = runEnvironment(isolation);
  const backend = resolveBackend(o.backend, o.allowNative);
  const resultsDir = join(o.outDir, 'results');
  mkdirSync(resultsDir, { recursive: true });

  const keyOf = (s: Submission) => sha256(JSON.stringify([o.assignment.specHash, o.mode, o.limits, backend.name, prepared.dataset.checksum, s.sha256, environment.packages]));
  const previous = new Map<string, SubmissionResult>();
  if (o.resume) {
    for (const s of o.submissions) {
      const file = join(resultsDir, `${s.id}.json`);
      if (!existsSync(file)) continue;
      try {
        const r = check<SubmissionResult>(validateResult, readJson(file), file);
        if (r.gradingKey === keyOf(s)) previous.set(s.id, r);
      } catch { /* unreadable or stale result: grade again */ }
    }
  }
  const toRun = o.submissions.filter((s) => !previous.has(s.id));
  o.reporter.begin({ assignment: o.assignment, mode: o.mode, total: o.submissions.length, toRun: toRun.length, concurrency: o.concurrency, limits: o.limits, isolation, backend });
  for (const r of previous.values()) o.reporter.done(r, true);

  const results = new Map<string, SubmissionResult>(previous);
  let interrupted = false;
  if (toRun.length > 0) {
    const runnerPath = await buildRunner(o.cacheRoot);
    const pool = new GradingPool(o.concurrency);
    const onAbort = () => { interrupted = true; pool.abortAll(); };
    o.signal?.addEventListener('abort', onAbort);
    try {
      await Promise.all(toRun.map(async (s) => {
        if (interrupted) return;
        // Set again when the pool actually starts it: time spent queued is nobody's cost.
        let startedAt = new Date();
        let tStart = performance.now();
        const request: SandboxRequest = {
          id: `${process.pid}-${s.id}-${Date.now().toString(36)}`,
          submissionPath: s.path,
          keepArtifacts: !!prepared.verify,
          task: spec.task.kind,
          files: prepared.files,
          params: prepared.params,
          seed: spec.seed,
          limits: o.limits,
          backend: backend.name,
          allowNative: o.allowNative,
          cacheRoot: o.cacheRoot,
          runnerPath,
          isolation,
          keepJobDir: o.keepJobDirs,
        };
        const outcome = await pool.run(request, { onBegin: () => { startedAt = new Date(); tStart = performance.now(); }, onStart: () => o.reporter.start(s.id), onProgress: (p, t) => o.reporter.progress(s.id, p, t) });
        let verified: VerifyResult | undefined;
        if (prepared.verify && outcome.status === 'OK' && !outputProblem(outcome, prepared)) {
          // Stage two: trusted task code in a fresh sandbox reads what the submission saved.
          const v = await pool.run({ ...request, id: `${request.id}-verify`, stage: 'verify', submissionPath: undefined, keepArtifacts: false, artifactsIn: outcome.artifactsDir, params: prepared.verify.params });
          verified = v.status === 'OK' ? { outputs: v.outputs } : { error: `${v.status}: ${v.reason ?? ''}`.trim() };
        }
        if (outcome.artifactsDir) rmSync(outcome.artifactsDir, { recursive: true, force: true });
        const j = judge(outcome, prepared, spec.rubric, verified);
        let artifacts: string[] | undefined;
        if (prepared.render && (j.verdict === 'PASS' || j.verdict === 'FAIL')) {
          const dir = join(o.outDir, 'artifacts', s.id);
          mkdirSync(dir, { recursive: true });
          try {
            artifacts = prepared.render(outcome.outputs, dir).map((f) => join('artifacts', s.id, f));
          } catch (e) {
            artifacts = [`(rendering failed: ${(e as Error).message})`];
          }
        }
        const total = (performance.now() - tStart) / 1000;
        const inSubmission = outcome.timings.startupSec !== undefined ? outcome.elapsedSec - outcome.timings.startupSec : 0;
        const result: SubmissionResult = {
          schemaVersion: 1,
          submission: { id: s.id, path: s.path, sha256: s.sha256 },
          assignment: { id: spec.id, title: spec.title, specHash: o.assignment.specHash },
          mode: o.mode,
          gradingKey: keyOf(s),
          verdict: j.verdict,
          ...(j.reason ? { reason: j.reason } : {}),
          rubric: j.rubric,
          metrics: j.metrics,
          points: j.points,
          maxPoints: j.maxPoints,
          ...(outcome.lastProgress ? { lastProgress: outcome.lastProgress } : {}),
          ...(artifacts ? { artifacts } : {}),
          outputTail: outcome.outputTail,
          outputBytes: outcome.outputBytes,
          usage: {
            elapsedSec: outcome.elapsedSec,
            peakMiB: outcome.peakMiB,
            compileSec: outcome.timings.compileSec,
            ...(outcome.timings.startupSec !== undefined ? { startupSec: outcome.timings.startupSec } : {}),
            harnessSec: round2(total - inSubmission),
          },
          limits: o.limits,
          environment: { ...environment, ...(outcome.backend ? { backend: outcome.backend } : {}) },
          dataset: prepared.dataset,
          seed: spec.seed,
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
        };
        // An interrupted run is not a verdict: leave it for the resumed batch.
        if (result.verdict !== 'ABORTED') writeJsonAtomic(join(resultsDir, `${s.id}.json`), result);
        results.set(s.id, result);
        o.reporter.done(result, false);
      }));
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      await pool.close();
    }
  }
  const ordered = o.submissions.map((s) => results.get(s.id)).filter((r): r is SubmissionResult => !!r);
  const counts: Partial<Record<Verdict, number>> = {};
  for (const r of ordered) counts[r.verdict] = (counts[r.verdict] ?? 0) + 1;
  const summary: BatchSummary = {
    assignment: { id: spec.id, title: spec.title, specHash: o.assignment.specHash },
    mode: o.mode,
    total: o.submissions.length,
    passed: counts.PASS ?? 0,
    reused: previous.size,
    counts,
    points: ordered.reduce((s, r) => s + r.points, 0),
    maxPoints: ordered.reduce((s, r) => s + r.maxPoints, 0),
    elapsedSec: round2((performance.now() - t0) / 1000),
    interrupted,
    results: ordered,
  };
  writeJsonAtomic(join(o.outDir, 'summary.json'), summary);
  o.reporter.end(summary);
  return summary;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
