// What a rerun does with the results already in --out: reuse them, re-judge
// them from their stored metrics, or run the submission again.
//
// A result's gradingKey covers what decides the *run*, and so its metrics: the
// submission's bytes, the task (kind, params, seed, id) and the inputs it
// prepared for the sandbox, the limits, the backend, the dataset checksum, the
// secret's drawId, the package versions and the fingerprint of the grader code
// that runs or scores (grader/util/fingerprint.ts). The rubric (thresholds,
// points, titles) only decides the *judgement*: a result whose key matches but
// whose assignment.json differs is re-judged from its stored metrics without
// running anything, if it was PASS or FAIL (the only verdicts reached from
// metrics alone; the others are run again). Report and CLI code decide only
// the *presentation* and are not in the key at all.
//
// One exception is handled by the key itself: a task may derive its inputs from
// the rubric (function-fit spreads the secret cubic by the MSE threshold), so the
// prepared inputs are part of the key and such a rubric change reruns.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AssignmentSpec, RubricItem } from '../spec/types.ts';
import { check, compile } from '../spec/validate.ts';
import type { PreparedTask } from '../tasks/types.ts';
import { readJson, sha256 } from '../util/fs.ts';
import { resultSchema, type SubmissionResult } from '../report/result.ts';
import { judgeMetrics } from './judge.ts';
import type { Submission } from './discover.ts';

const validateResult = compile(resultSchema);

/** The part of the run key that comes from the assignment: its task and what the task prepared (not the rubric's words). */
export function runInputsHash(spec: AssignmentSpec, prepared: Pick<PreparedTask, 'params' | 'files' | 'dataset' | 'verify'>): string {
  return sha256(JSON.stringify([spec.id, spec.seed, spec.task, prepared.params, prepared.verify?.params ?? null, Object.keys(prepared.files).sort(), prepared.dataset]));
}

export interface ResumePlan {
  /** Graded under the same run key and the same assignment.json: reused as they are. */
  reuse: Map<string, SubmissionResult>;
  /** Same run key, another assignment.json (a rubric change), PASS or FAIL with stored judge inputs: re-judged, not run. */
  rejudge: Map<string, SubmissionResult>;
  /** The same submission (same bytes) graded before under other conditions: run again; its verdict becomes `previous`. */
  earlier: Map<string, SubmissionResult>;
}

/**
 * Sorts the results on file for these submissions. With `resume` false every
 * submission runs again, but earlier results still feed `previous`.
 */
export function planResume(submissions: Submission[], resultsDir: string, keyOf: (s: Submission) => string, specHash: string, rubric: RubricItem[], resume: boolean): ResumePlan {
  const plan: ResumePlan = { reuse: new Map(), rejudge: new Map(), earlier: new Map() };
  for (const s of submissions) {
    const file = join(resultsDir, `${s.id}.json`);
    if (!existsSync(file)) continue;
    let r: SubmissionResult;
    try {
      r = check<SubmissionResult>(validateResult, readJson(file), file);
    } catch {
      continue; // unreadable or from another schema: grade again, nothing to compare with
    }
    if (r.submission.sha256 !== s.sha256) continue; // a resubmission is graded afresh, not regraded
    if (resume && r.gradingKey === keyOf(s) && r.verdict !== 'ABORTED') {
      if (r.assignment.specHash === specHash) { plan.reuse.set(s.id, r); continue; }
      if (canRejudge(r, rubric)) { plan.rejudge.set(s.id, r); continue; }
    }
    if (r.verdict !== 'ABORTED') plan.earlier.set(s.id, r);
  }
  return plan;
}

/**
 * Whether a result can be judged again from what it stored: PASS and FAIL are
 * reached from metrics alone (plus the hints and verify problems kept in
 * judgeInputs); every other verdict rests on the run (a crash, a limit, bad
 * outputs), so it is run again. So is a result lacking a metric the rubric names.
 */
export function canRejudge(r: SubmissionResult, rubric: RubricItem[]): boolean {
  return (r.verdict === 'PASS' || r.verdict === 'FAIL') && !!r.judgeInputs && rubric.every((item) => typeof r.metrics[item.metric] === 'number');
}

/** The same run judged against the current rubric; `previous` is set when the verdict or points changed. */
export function rejudgeResult(r: SubmissionResult, spec: AssignmentSpec, specHash: string, checkMeasuredOn: string | undefined, student: Submission['student']): SubmissionResult {
  const j = judgeMetrics(r.metrics, spec.rubric, r.judgeInputs!, checkMeasuredOn);
  const { reason: _reason, flags: _flags, previous: _previous, student: _student, ...rest } = r;
  const next: SubmissionResult = {
    ...rest,
    ...(student ? { student } : {}),
    assignment: { id: spec.id, title: spec.title, specHash },
    verdict: j.verdict,
    ...(j.reason ? { reason: j.reason } : {}),
    ...(j.flags?.length ? { flags: j.flags } : {}),
    rubric: j.rubric,
    points: j.points,
    maxPoints: j.maxPoints,
    judgedAt: new Date().toISOString(),
  };
  return withPrevious(next, r);
}

/** `next` with `previous` set from `earlier` when the verdict or points differ (and without it when they do not). */
export function withPrevious(next: SubmissionResult, earlier: SubmissionResult | undefined): SubmissionResult {
  const { previous: _drop, ...rest } = next;
  if (!earlier || (earlier.verdict === next.verdict && earlier.points === next.points)) return rest;
  return { ...rest, previous: { verdict: earlier.verdict, points: earlier.points, gradedAt: earlier.judgedAt ?? earlier.finishedAt } };
}

/** A reused result with the student as intake names them now (a roster may have changed); undefined when nothing changed. */
export function withStudent(r: SubmissionResult, student: Submission['student']): SubmissionResult | undefined {
  if (JSON.stringify(r.student ?? null) === JSON.stringify(student ?? null)) return undefined;
  const { student: _old, ...rest } = r;
  return student ? { ...rest, student } : rest;
}
