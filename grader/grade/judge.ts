// Turns what the sandbox returned into a verdict. Runs in the trusted
// grader: outputs are validated, then scored against labels kept here.
import type { ErrorObject, ValidateFunction } from 'ajv';
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
  /** For PASS and FAIL: the hints and verify problems the verdict's reason used (kept to re-judge after a rubric change). */
  inputs?: JudgeInputs;
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
  const reported = reportedProblem(outcome.outputs);
  if (reported) return reported;
  const validate: ValidateFunction = compile(prepared.outputSchema);
  if (!validate(outcome.outputs)) return describeOutputErrors(prepared.outputSchema, outcome.outputs, validate.errors ?? []);
  try {
    prepared.checkOutputs(outcome.outputs);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** The sandbox half's own account of returned values it could not use (shared/images.ts reportingOutputProblems). */
function reportedProblem(outputs: unknown): string | undefined {
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) return undefined;
  const keys = Object.keys(outputs);
  const problem = (outputs as { outputProblem?: unknown }).outputProblem;
  return keys.length === 1 && typeof problem === 'string' ? problem.slice(0, 2000) || 'the submission returned something the grader cannot use' : undefined;
}

/**
 * Where an output came from, written into a task's output schema on the array
 * it describes: `returnedBy` names the student's function ("distance()"),
 * `each` what one item stands for ("pair"), `noun` what one item is
 * ("distance"; default: each).
 */
interface OutputOrigin { returnedBy: string; each?: string; noun?: string }

type SchemaNode = { properties?: Record<string, SchemaNode>; items?: SchemaNode } & Partial<OutputOrigin>;

/** A failed output schema in the student's words: which function returned what, and what was expected. */
export function describeOutputErrors(schema: object, outputs: unknown, errors: readonly ErrorObject[]): string {
  // A NaN (null in JSON) says the most; then the first error.
  const e = errors.find((x) => x.keyword === 'type' && valueAt(outputs, x.instancePath) === null) ?? errors[0];
  const nonFinite = JSON.stringify(outputs ?? null).includes('null');
  if (!e) return 'the outputs are invalid';
  const segments = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  // The nearest annotated array on the path, and the item index below it.
  let node: SchemaNode | undefined = schema as SchemaNode, origin: OutputOrigin | undefined, originDepth = -1;
  if (node?.returnedBy) { origin = node as OutputOrigin; originDepth = 0; }
  for (let i = 0; i < segments.length && node; i++) {
    node = /^\d+$/.test(segments[i]!) && node.items ? node.items : node.properties?.[segments[i]!];
    if (node?.returnedBy) { origin = node as OutputOrigin; originDepth = i + 1; }
  }
  if (!origin) {
    const field = segments.join('.') || '(top level)';
    return `the outputs the grader collected are invalid (${field}: ${e.message ?? 'invalid'})${nonFinite ? '; NaN or Infinity in the returned values?' : ''}`;
  }
  const each = origin.each ?? 'value', noun = origin.noun ?? each;
  const list = valueAt(outputs, '/' + segments.slice(0, originDepth).join('/'));
  const index = segments[originDepth];
  const value = valueAt(outputs, e.instancePath);
  if (value === null && Array.isArray(list)) {
    const bad = list.reduce((k: number, v) => k + (v === null ? 1 : 0), 0);
    const first = list.indexOf(null);
    return `${origin.returnedBy} returned NaN or Infinity for ${count(bad)} of the ${count(list.length)} ${plural(each, list.length)} (the first is ${each} ${first}); every ${noun} must be a finite number`;
  }
  const expected = e.keyword === 'type' ? ` where ${article(String((e.params as { type?: unknown }).type))} was expected` : ` (${e.message ?? 'invalid'})`;
  return `${origin.returnedBy} returned ${jsonKind(value)}${index !== undefined ? ` as ${each} ${index}` : ''}${expected}; return a tensor of numbers (or an array of numbers)`;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const seg of pointer.split('/').slice(1)) {
    if (seg === '') continue;
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

const count = (n: number) => n.toLocaleString('en-US');
const plural = (word: string, n: number) => (n === 1 ? word : `${word}s`);
const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function jsonKind(v: unknown): string {
  if (v === null) return 'NaN or Infinity';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array of ${count(v.length)}`;
  return article(typeof v);
}

/** A verdict reached without measuring anything: every item unmeasured, no points. */
export function unmeasuredJudgement(rubric: RubricItem[], verdict: Verdict, reason?: string): Judgement {
  return {
    verdict, reason, metrics: {}, points: 0, maxPoints: rubric.reduce((s, r) => s + r.points, 0),
    rubric: rubric.map((r) => ({ ...r, value: null, passed: false, detail: `not measured: ${verdict}` })),
  };
}

export function judge(outcome: SandboxOutcome, prepared: PreparedTask, rubric: RubricItem[], verified?: VerifyResult): Judgement {
  const unmeasured = (verdict: Verdict, reason?: string) => unmeasuredJudgement(rubric, verdict, reason);
  if (outcome.status !== 'OK') return unmeasured(outcome.status, outcome.reason);
  const problem = outputProblem(outcome, prepared);
  if (problem) return unmeasured('BAD_OUTPUT', problem);
  const metrics = prepared.score(outcome.outputs, verified);
  const hints = { ...prepared.hints?.(outcome.outputs, metrics, verified) };
  // A verify stage reports problems either by failing or as `errors: string[]` beside its outputs.
  const listed = (verified?.outputs as { errors?: unknown } | undefined)?.errors;
  const verifyProblems = [verified?.error, ...(Array.isArray(listed) ? listed.map(String) : [])].filter((p): p is string => !!p);
  return judgeMetrics(metrics, rubric, { hints, verifyProblems }, prepared.checkMeasuredOn);
}

/**
 * What a PASS/FAIL verdict rests on besides the metrics: every metric's hint
 * (shown when its item fails) and the verify stage's problems. Stored in the
 * result, so that a rubric change re-judges it without running anything.
 */
export interface JudgeInputs { hints: Record<string, string>; verifyProblems: string[] }

/**
 * The verdict of measured metrics against a rubric: PASS when every item meets
 * its threshold, else FAIL. Used by judge() and, with a result's stored
 * metrics and inputs, to re-judge after a rubric change.
 */
export function judgeMetrics(metrics: Record<string, number>, rubric: RubricItem[], inputs: JudgeInputs, checkMeasuredOn?: string): Judgement {
  const maxPoints = rubric.reduce((s, r) => s + r.points, 0);
  const { hints } = inputs;
  const items = rubric.map((r): RubricResult => {
    const title = checkMeasuredOn && r.evidence === 'measured' ? checkTitle(r.title, checkMeasuredOn) : r.title;
    const value = metrics[r.metric];
    if (value === undefined) return { ...r, title, value: null, passed: false, detail: `metric "${r.metric}" was not computed` };
    const passed = compare[r.op](value, r.threshold);
    const hint = passed ? undefined : (hints[r.metric] ?? genericHint(r.metric, value));
    return { ...r, title, value, passed, detail: `${r.metric} ${fmt(value)} ${passed ? r.op : negate(r.op)} ${r.threshold}${hint ? `; ${hint}` : ''}` };
  });
  const points = items.reduce((s, r) => s + (r.passed ? r.points : 0), 0);
  const flags = items.flatMap((r) => (r.value === null ? [] : reviewFlag(r, r.value)));
  const lines = inputs.verifyProblems.length ? [`verification stage: ${inputs.verifyProblems.join('; ')}`] : [];
  // Each failing item's hint, once (a verify problem may already say it).
  for (const r of items) {
    const hint = r.passed || r.value === null ? undefined : (hints[r.metric] ?? genericHint(r.metric, r.value));
    if (hint && !lines.some((l) => l.includes(hint))) lines.push(hint);
  }
  const reason = lines.length ? lines.join('\n') : undefined;
  return {
    verdict: items.every((r) => r.passed) ? 'PASS' : 'FAIL', ...(reason ? { reason } : {}), metrics, rubric: items, points, maxPoints,
    ...(flags.length ? { flags } : {}), inputs,
  };
}

/** Hints that hold for a metric whatever the task. */
function genericHint(metric: string, value: number): string | undefined {
  if (/(^|_)auc($|_)/.test(metric) && value < 0.5) return 'an AUC below 0.5 means your scores may be reversed: larger must mean the positive class';
  return undefined;
}

/**
 * A measured item's title in check mode, where the data differs from what the
 * title names ("test accuracy on the 10,000 test images"): the measure, then
 * what this check measures it on.
 */
export function checkTitle(title: string, measuredOn: string): string {
  const measure = title.replace(/^test\s+/i, '').replace(/\s+on\s+.*$/i, '').replace(/\s+test\s+set$/i, '');
  return `${measure} on ${measuredOn}`;
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
