// Grades a list of submissions for one assignment: prepares the task once,
// runs submissions side by side in the pool, judges each as it finishes and
// writes its result atomically. A rerun reuses every result that was graded
// under the same conditions, so an interrupted batch resumes where it stopped.
import { existsSync, mkdirSync } from 'node:fs';
import { removeTree } from '../util/fs-tree.ts';
import { join } from 'node:path';
import { GradingPool } from '../pool/pool.ts';
import { isolationFor, type Isolation } from '../sandbox/capabilities.ts';
import { NODE_MODULES } from '../sandbox/node-permissions.ts';
import { buildRunner } from '../sandbox/compile.ts';
import type { SandboxOutcome, SandboxRequest } from '../sandbox/run-sandboxed.ts';
import { wallLimitSec } from '../sandbox/cpu-time.ts';
import { cleanStale, sweepJobs, type CleanupReport } from '../sandbox/cleanup.ts';
import { OWNER_TAG } from '../sandbox/owner.ts';
import type { Assignment, Limits } from '../spec/types.ts';
import { drawSeed, type Secret } from '../spec/secret.ts';
import { check, compile } from '../spec/validate.ts';
import { taskHost } from '../tasks/hosts.ts';
import type { Mode, Progress, TaskPlots, VerifyResult } from '../tasks/types.ts';
import { readJson, sha256, writeJsonAtomic } from '../util/fs.ts';
import { runEnvironment } from '../report/environment.ts';
import { resolveBackend, type ResolvedBackend } from '../backend/resolve.ts';
import { resultSchema, type SubmissionResult } from '../report/result.ts';
import { judge, outputProblem, unmeasuredJudgement, type JudgeInputs, type Verdict } from './judge.ts';
import { planResume, rejudgeResult, runInputsHash, withPrevious, withStudent } from './regrade.ts';
import type { Submission } from './discover.ts';
import type { ShardRecord } from './shard.ts';

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
  /** The instructor's grading secret: required in grade mode (what it draws cannot be recomputed by a submission), unused in check mode. */
  secret?: Secret;
  backend: SandboxRequest['backend'];
  allowNative: boolean;
  isolation: Isolation;
  resume: boolean;
  keepJobDirs?: boolean;
  reporter: Reporter;
  signal?: AbortSignal;
  /** --shard: recorded in the summary (the submissions given are already this shard's). */
  shard?: ShardRecord;
}

export interface BatchSummary {
  assignment: { id: string; title: string; specHash: string };
  mode: Mode;
  total: number;
  passed: number;
  reused: number;
  /** Results judged again from their stored metrics after a rubric change (nothing ran). */
  rejudged?: number;
  /** Submissions run again although a result of the same bytes was on file (grader code, task or limits changed; or --no-resume). */
  regraded?: number;
  /** Of the re-judged and regraded, those whose verdict or points changed (they carry `previous`). */
  changed?: number;
  counts: Partial<Record<Verdict, number>>;
  points: number;
  maxPoints: number;
  elapsedSec: number;
  interrupted: boolean;
  results: SubmissionResult[];
  /** Set when graded with --shard i/n (grader/grade/shard.ts). */
  shard?: ShardRecord;
  /** Set by dlgrade merge: which shards the summary was merged from (grader/cli/merge.ts). */
  merged?: { count: number; indices: number[]; missing: number[] };
}

export interface Reporter {
  begin(info: { assignment: Assignment; mode: Mode; total: number; toRun: number; concurrency: number; limits: Limits; isolation: Isolation; backend: ResolvedBackend; cleaned: CleanupReport }): void;
  start(id: string): void;
  progress(id: string, p: Progress, elapsedSec: number): void;
  done(result: SubmissionResult, reused: boolean): void;
  end(summary: BatchSummary): void;
}

const validateResult = compile(resultSchema);

export async function runBatch(o: BatchOptions): Promise<BatchSummary> {
  const t0 = performance.now();
  const { spec } = o.assignment;
  const host = taskHost(spec.task.kind, o.assignment.specPath); // its params were checked (and defaulted) when the assignment loaded
  // The draw seed stays in this process: only what the host derives from it (indices, points) reaches a sandbox.
  const draw = drawSeed(o.assignment, o.mode, o.secret);
  const drawId = o.mode === 'grade' ? o.secret!.id : 'public';
  const prepared = await host.prepare({ assignment: o.assignment, mode: o.mode, draw, cacheRoot: o.cacheRoot, dataDir: o.dataDir, weights: o.weights });
  mkdirSync(o.cacheRoot, { recursive: true });
  const isolation = isolationFor(o.isolation, [o.cacheRoot, NODE_MODULES]);
  const environment = runEnvironment(isolation);
  const backend = resolveBackend(o.backend, o.allowNative);
  const resultsDir = join(o.outDir, 'results');
  mkdirSync(resultsDir, { recursive: true });

  // What decides the run (grader/grade/regrade.ts): not the rubric, which only decides the judgement.
  const inputsHash = runInputsHash(spec, prepared);
  const keyOf = (s: Submission) => sha256(JSON.stringify(['run', inputsHash, o.mode, o.limits, backend.name, s.sha256, environment.packages, environment.graderHash, drawId]));
  const plan = planResume(o.submissions, resultsDir, keyOf, o.assignment.specHash, spec.rubric, o.resume);
  const previous = plan.reuse;
  const rejudged = new Map<string, SubmissionResult>();
  for (const s of o.submissions) {
    const kept = previous.get(s.id), old = plan.rejudge.get(s.id);
    // Reused as is, but named as intake names the student now (a roster may have changed).
    const renamed = kept && withStudent(kept, s.student);
    const next = renamed ?? (old && rejudgeResult(old, spec, o.assignment.specHash, prepared.checkMeasuredOn, s.student));
    if (!next) continue;
    try { writeJsonAtomic(join(resultsDir, `${s.id}.json`), next); } catch { /* kept in the summary */ }
    (renamed ? previous : rejudged).set(s.id, next);
  }
  const toRun = o.submissions.filter((s) => !previous.has(s.id) && !rejudged.has(s.id));
  const cleaned = cleanStale(o.cacheRoot, isolation);
  o.reporter.begin({ assignment: o.assignment, mode: o.mode, total: o.submissions.length, toRun: toRun.length, concurrency: o.concurrency, limits: o.limits, isolation, backend, cleaned });
  for (const r of previous.values()) o.reporter.done(r, true);
  for (const r of rejudged.values()) o.reporter.done(r, false);

  const results = new Map<string, SubmissionResult>([...previous, ...rejudged]);
  let interrupted = false;
  // A reporter is display only: its failure must never cost a result.
  const report = <K extends keyof Reporter>(k: K, ...args: Parameters<Reporter[K]>) => {
    try { (o.reporter[k] as (...a: unknown[]) => void)(...args); } catch { /* display only */ }
  };
  const jobIds: string[] = [];
  if (toRun.length > 0) {
    const runnerPath = await buildRunner(o.cacheRoot);
    const pool = new GradingPool(o.concurrency);
    const onAbort = () => { interrupted = true; pool.abortAll(); };
    o.signal?.addEventListener('abort', onAbort);
    try {
      // Each submission is contained: whatever goes wrong in any step becomes its own verdict.
      await Promise.all(toRun.map(async (s) => {
        if (interrupted) return;
        const ctx: StepContext = { step: 'run', startedAt: new Date(), tStart: performance.now() };
        let result: SubmissionResult;
        try {
          result = s.refused ? refusedResult(s, ctx) : await gradeOne(s, ctx);
        } catch (e) {
          result = graderErrorResult(s, ctx, e);
        }
        if (result.verdict === 'ABORTED') { results.set(s.id, result); return; } // not a verdict: left for the resumed batch
        result = withPrevious(result, plan.earlier.get(s.id)); // a regrade: says what it had before, when that changed
        try {
          writeJsonAtomic(join(resultsDir, `${s.id}.json`), result);
        } catch (e) {
          result = graderErrorResult(s, { ...ctx, step: 'write' }, e);
          try { writeJsonAtomic(join(resultsDir, `${s.id}.json`), result); } catch { /* kept in the summary */ }
        }
        results.set(s.id, result);
        report('done', result, false);
      }));
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      await pool.close().catch(() => {});
      sweepJobs(o.cacheRoot, isolation, jobIds, !!o.keepJobDirs);
    }

    async function gradeOne(s: Submission, ctx: StepContext): Promise<SubmissionResult> {
      const request: SandboxRequest = {
        id: `${OWNER_TAG}-${s.id}-${Date.now().toString(36)}`,
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
        ...(prepared.maxOutputBytes ? { maxResultBytes: prepared.maxOutputBytes } : {}),
        keepJobDir: o.keepJobDirs,
        typeCheck: o.mode === 'check', // a student's self-check also reports type errors (as warnings)
      };
      jobIds.push(request.id);
      // Time starts when the pool actually takes it: time spent queued is nobody's cost.
      const outcome = await pool.run(request, {
        onBegin: () => { ctx.startedAt = new Date(); ctx.tStart = performance.now(); },
        onStart: () => report('start', s.id),
        onProgress: (p, t) => report('progress', s.id, p, t),
      });
      ctx.outcome = outcome;
      let verified: VerifyResult | undefined;
      try {
        ctx.step = 'validate';
        if (prepared.verify && outcome.status === 'OK' && !outputProblem(outcome, prepared)) {
          // Stage two: trusted task code in a fresh sandbox reads what the submission saved.
          ctx.step = 'verify';
          jobIds.push(`${request.id}-verify`);
          const v = await pool.run({ ...request, id: `${request.id}-verify`, stage: 'verify', submissionPath: undefined, keepArtifacts: false, artifactsIn: outcome.artifactsDir, params: prepared.verify.params, maxResultBytes: undefined });
          verified = v.status === 'OK' ? { outputs: v.outputs } : { error: `${v.status}: ${v.reason ?? ''}`.trim() };
        }
      } finally {
        if (outcome.artifactsDir) removeTree(outcome.artifactsDir);
      }
      ctx.step = 'score';
      const j = judge(outcome, prepared, spec.rubric, verified);
      ctx.judgeInputs = j.inputs;
      let plots: TaskPlots | undefined;
      if (prepared.plots && (j.verdict === 'PASS' || j.verdict === 'FAIL')) {
        try { plots = prepared.plots(outcome.outputs, verified); } catch { /* report plots only: never costs a grade */ }
      }
      let artifacts: string[] | undefined;
      if (prepared.render && (j.verdict === 'PASS' || j.verdict === 'FAIL')) {
        ctx.step = 'render';
        const dir = join(o.outDir, 'artifacts', s.id);
        mkdirSync(dir, { recursive: true });
        try {
          artifacts = prepared.render(outcome.outputs, dir).map((f) => join('artifacts', s.id, f));
        } catch (e) {
          artifacts = [`(rendering failed: ${clip((e as Error).message, 500)})`];
        }
      }
      return makeResult(s, ctx, { verdict: j.verdict, reason: j.reason, rubric: j.rubric, metrics: j.metrics, points: j.points, maxPoints: j.maxPoints, artifacts, flags: j.flags, ...(plots && Object.keys(plots).length ? { plots } : {}) });
    }
  }

  function makeResult(s: Submission, ctx: StepContext, j: Pick<SubmissionResult, 'verdict' | 'reason' | 'rubric' | 'metrics' | 'points' | 'maxPoints'> & Pick<Partial<SubmissionResult>, 'artifacts' | 'flags' | 'warnings' | 'plots'>): SubmissionResult {
    const outcome = ctx.outcome;
    const total = (performance.now() - ctx.tStart) / 1000;
    const inSubmission = outcome?.timings.startupSec !== undefined ? outcome.elapsedSec - outcome.timings.startupSec : 0;
    const warnings = [...(outcome?.warnings ?? []), ...(j.warnings ?? []), ...(outcome ? closeToLimits(outcome, j.verdict, o.limits) : [])];
    const flags = [...(j.flags ?? []), ...(j.verdict === 'TAMPERED' ? ['review: the submission forged messages on the grader\'s result channel'] : [])];
    return {
      schemaVersion: 1,
      submission: { id: s.id, path: s.path, sha256: s.sha256 },
      ...(s.student ? { student: s.student } : {}),
      assignment: { id: spec.id, title: spec.title, specHash: o.assignment.specHash },
      mode: o.mode,
      gradingKey: keyOf(s),
      verdict: j.verdict,
      ...(j.reason ? { reason: clip(j.reason, MAX_REASON) } : {}),
      ...(flags.length ? { flags } : {}),
      ...(warnings.length ? { warnings } : {}),
      rubric: j.rubric,
      metrics: j.metrics,
      points: j.points,
      maxPoints: j.maxPoints,
      ...(outcome?.lastProgress ? { lastProgress: outcome.lastProgress } : {}),
      ...(outcome?.history?.length ? { history: outcome.history } : {}),
      ...(j.plots ? { plots: j.plots } : {}),
      ...(j.artifacts ? { artifacts: j.artifacts } : {}),
      outputTail: outcome?.outputTail ?? [],
      outputBytes: outcome?.outputBytes ?? 0,
      usage: {
        elapsedSec: outcome?.elapsedSec ?? 0,
        cpuSec: outcome?.cpuSec ?? 0,
        peakMiB: outcome?.peakMiB ?? 0,
        compileSec: outcome?.timings.compileSec ?? 0,
        ...(outcome?.timings.startupSec !== undefined ? { startupSec: outcome.timings.startupSec } : {}),
        harnessSec: round2(total - inSubmission),
      },
      limits: o.limits,
      environment: { ...environment, ...(outcome?.backend ? { backend: outcome.backend } : {}) },
      dataset: { ...prepared.dataset, drawId },
      seed: spec.seed,
      startedAt: ctx.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      judgedAt: new Date().toISOString(),
      ...(ctx.judgeInputs ? { judgeInputs: ctx.judgeInputs } : {}),
    };
  }

  // A declaration (hoisted): the grading loop above calls these before this point is reached.
  function unmeasured(verdict: Verdict, reason: string) {
    return unmeasuredJudgement(spec.rubric, verdict, reason);
  }

  function refusedResult(s: Submission, ctx: StepContext): SubmissionResult {
    return makeResult(s, ctx, unmeasured('BAD_SUBMISSION', s.refused!));
  }

  function graderErrorResult(s: Submission, ctx: StepContext, e: unknown): SubmissionResult {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const r = makeResult(s, ctx, unmeasured('GRADER_ERROR', `the grader failed while ${STEP_WORDS[ctx.step]} this submission (${clip(message, 2000)}); this is not the student's fault: report it, then regrade`));
    return r;
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
    rejudged: rejudged.size,
    regraded: ordered.filter((r) => plan.earlier.has(r.submission.id) && !rejudged.has(r.submission.id) && r.verdict !== 'ABORTED').length,
    changed: ordered.filter((r) => r.previous && (rejudged.has(r.submission.id) || plan.earlier.has(r.submission.id))).length,
    counts,
    points: ordered.reduce((s, r) => s + r.points, 0),
    maxPoints: ordered.reduce((s, r) => s + r.maxPoints, 0),
    elapsedSec: round2((performance.now() - t0) / 1000),
    interrupted,
    results: ordered,
    ...(o.shard ? { shard: o.shard } : {}),
  };
  writeJsonAtomic(join(o.outDir, 'summary.json'), summary);
  o.reporter.end(summary);
  return summary;
}

/** Above this share of a limit, a run that passed the limit is told it came close: the grading machine may be slower. */
export const CLOSE_TO_LIMIT = 0.8;

/** Warnings for a run that stayed within its limits but used more than CLOSE_TO_LIMIT of one. */
export function closeToLimits(outcome: Pick<SandboxOutcome, 'cpuSec' | 'elapsedSec' | 'peakMiB'>, verdict: Verdict, limits: Limits): string[] {
  const out: string[] = [];
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  const cpu = outcome.cpuSec / limits.timeLimitSec;
  const wall = outcome.elapsedSec / wallLimitSec(limits.timeLimitSec);
  const mem = outcome.peakMiB / limits.memoryLimitMiB;
  if (verdict !== 'TIME_LIMIT' && cpu > CLOSE_TO_LIMIT) out.push(`close to the time limit: used ${Math.round(outcome.cpuSec)} s of CPU time of ${limits.timeLimitSec} s (${pct(cpu)}); the grading machine may be slower: leave more room`);
  if (verdict !== 'TIME_LIMIT' && wall > CLOSE_TO_LIMIT) out.push(`close to the wall-clock limit: ran ${Math.round(outcome.elapsedSec)} s of ${wallLimitSec(limits.timeLimitSec)} s (${pct(wall)})`);
  if (verdict !== 'MEMORY_LIMIT' && mem > CLOSE_TO_LIMIT) out.push(`close to the memory limit: peak ${outcome.peakMiB} MiB of ${limits.memoryLimitMiB} MiB (${pct(mem)}); the grading machine may need more: leave more room`);
  return out;
}

type Step = 'run' | 'validate' | 'verify' | 'score' | 'render' | 'write';
const STEP_WORDS: Record<Step, string> = { run: 'running', validate: 'validating the outputs of', verify: 'verifying', score: 'scoring', render: 'rendering', write: 'writing the result of' };
interface StepContext { step: Step; startedAt: Date; tStart: number; outcome?: SandboxOutcome; judgeInputs?: JudgeInputs }
const MAX_REASON = 8192;

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}… [${s.length - n} more characters]` : s;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
