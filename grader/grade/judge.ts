// Turns what the sandbox returned into a verdict. Runs in the trusted
// grader: outputs are validated, then scored against labels kept here.
import type { ValidateFunction } from 'ajv';
import { compile } from '../spec/validate.ts';
import type { Op, RubricItem } from '../spec/types.ts';
import type { SandboxOutcome } from '../sandbox/run-sandboxed.ts';
import type { PreparedTask, VerifyResult } from '../tasks/types.ts';

export type Verdict = 'PASS' | 'FAIL' | 'TIME_LIMIT' | 'MEMORY_LIMIT' | 'CRASH' | 'BAD_SUBMISSION' | 'BAD_OUTPUT' | 'TAMPERED' | 'GRADER_ERROR' | 'ABORTED';
export const VERDICTS: readonly Verdict[] = ['PASS', 'FAIL', 'TIME_LIMIT', 'MEMORY_LIMIT', 'CRASH', 'BAD_SUBMISSION', 'BAD_OUTPUT', 'TAMPERED', 'GRADER_ERROR', 'ABORTED'];

/** A rubric item as judged; `evidence` (from the item) says whether the value is measured, verified or an integrity signal. */
export interface RubricResult extends RubricItem {
  value: number | null;
  passed: boolean;
  /** e.g. "auc 0.9843 > 0.97" or "not measured: TIME_LIMIT" */
  detail: string;
}

export interface Judgement {
  verdict: Verdict;
  reason?: string;
  metrics: Record<string, number>;
  rubric: RubricResult[];
  points: number;
  maxPoints: number;
  /** Reasons to review this result by hand (a value beyond an item's reviewAbove/reviewBelow); the verdict stands. */
  flags?: string[];
}

const compare: Record<Op, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
};

/** Validates stage-one outputs; undefined when they are fine, else a BAD_OUTPUT judgement's reason. */
export function outputProblem(outcome: SandboxOutcome, prepared: PreparedTask): string | undefined {
  if (outcome.status !== 'OK') return undefined;
  const validate: ValidateFunction = compile(prepared.outputSchema);
  if (!validate(outcome.outputs)) {
    const e = validate.errors?.[0];
    const nonFinite = JSON.stringify(outcome.outputs ?? null).includes('null');
    return `outputs ${e?.instancePath || ''} ${e?.message ?? 'invalid'}${nonFinite ? ' (NaN or Infinity in the outputs?)' : ''}`.trim();
  }
  try {
    prepared.checkOutputs(outcome.outputs);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** A verdict reached without measuring anything: every item unmeasured, no points. */
export function unmeasuredJudgement(rubric: RubricItem[], verdict: Verdict, reason?: string): Judgement {
  return {
    verdict, reason, metrics: {}, points: 0, maxPoints: rubric.reduce((s, r) => s + r.points, 0),
    rubric: rubric.map((r) => ({ ...r, value: null, passed: false, detail: `not measured: ${verdict}` })),
  };
}

export function judge(outcome: SandboxOutcome, prepared: PreparedTask, rubric: RubricItem[], verified?: VerifyResult): Judgement {
  const maxPoints = rubric.reduce((s, r) => s + r.points, 0);
  const unmeasured = (verdict: Verdict, reason?: string) => unmeasuredJudgement(rubric, verdict, reason);
  if (outcome.status !== 'OK') return unmeasured(outcome.status, outcome.reason);
  const problem = outputProblem(outcome, prepared);
  if (problem) return unmeasured('BAD_OUTPUT', problem);
  const metrics = prepared.score(outcome.outputs, verified);
  const items = rubric.map((r): RubricResult => {
    const value = metrics[r.metric];
    if (value === undefined) return { ...r, value: null, passed: false, detail: `metric "${r.metric}" was not computed` };
    const passed = compare[r.op](value, r.threshold);
    return { ...r, value, passed, detail: `${r.metric} ${fmt(value)} ${passed ? r.op : negate(r.op)} ${r.threshold}` };
  });
  const points = items.reduce((s, r) => s + (r.passed ? r.points : 0), 0);
  const flags = items.flatMap((r) => (r.value === null ? [] : reviewFlag(r, r.value)));
  // A verify stage reports problems either by failing or as `errors: string[]` beside its outputs.
  const listed = (verified?.outputs as { errors?: unknown } | undefined)?.errors;
  const problems = [verified?.error, ...(Array.isArray(listed) ? listed.map(String) : [])].filter(Boolean);
  const reason = problems.length ? `verification stage: ${problems.join('; ')}` : undefined;
  return {
    verdict: items.every((r) => r.passed) ? 'PASS' : 'FAIL', ...(reason ? { reason } : {}), metrics, rubric: items, points, maxPoints,
    ...(flags.length ? { flags } : {}),
  };
}

/**
 * A value implausibly far beyond what the reference reaches (an item's
 * reviewAbove / reviewBelow): a lookup table of public test labels looks like
 * this. Only a flag for a person to look at; the verdict does not change.
 */
export function reviewFlag(item: RubricItem, value: number): string[] {
  const ref = item.reference !== undefined ? `what the reference reaches (${item.reference}; flagged ` : undefined;
  if (item.reviewAbove !== undefined && value > item.reviewAbove) {
    return [`review: ${item.metric} ${fmt(value)} is far above ${ref ? `${ref}above ${item.reviewAbove})` : `what the assignment expects (flagged above ${item.reviewAbove})`}; a lookup table of the public test labels would look like this`];
  }
  if (item.reviewBelow !== undefined && value < item.reviewBelow) {
    return [`review: ${item.metric} ${fmt(value)} is far below ${ref ? `${ref}below ${item.reviewBelow})` : `what the assignment expects (flagged below ${item.reviewBelow})`}; a lookup table of the held-out targets would look like this`];
  }
  return [];
}

function negate(op: Op): string {
  return { '>': '≤', '>=': '<', '<': '≥', '<=': '>' }[op];
}

export function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}
