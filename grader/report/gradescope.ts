// Gradescope's results.json from the one result model (SubmissionResult): a
// writer, like junit.ts, not a second result format.
//
// The format is Gradescope's published "Autograder Specifications", section
// "Output format": https://gradescope-autograders.readthedocs.io/en/latest/specs/
// (schemas/gradescope-results.schema.json is written from it, and every file
// written here is validated against that schema first).
//
// What goes where, and who sees it:
//   score          the submission's points (all-or-nothing per rubric item, as dlgrade scores).
//   tests[]        one per rubric item: name "Title (metric op threshold)", score/max_score, status
//                  passed/failed, and in `output` the measured value against the threshold and what the
//                  value rests on (measured / verified / integrity signal). visibility: "visible" by
//                  default: the thresholds are in the statement and students see the same numbers with
//                  `dlgrade check`; hidden labels never leave the grader. `--visibility after_due_date`
//                  (or after_published) on export hides them until then; note that Gradescope then also
//                  hides the total score from students (specs: "If test cases are hidden, students will
//                  not be able to see their total score").
//   output         the verdict and its reason, the rubric in one line per item, warnings, and for a crash
//                  or a limit the last lines the program printed (its own output).
//   stdout_visibility  "hidden" by default: the run's log holds the grader's own paths and the review
//                  flags, for the instructor only (Gradescope shows stdout to instructors).
//   extra_data     stored, not shown to students: verdict, review flags, the submission's sha256, the
//                  grading key, the secret's id, backend and grader hash, so a grade can be traced.
// Review flags (an implausibly high AUC…) go to extra_data and the log, never into a hidden test: a
// hidden test would hide the student's total score (see above).
// All formats are "text": student-controlled strings (error messages, printed lines) are never
// rendered as HTML or Markdown (the top-level default, simple_format, would render HTML).
import type { ValidateFunction } from 'ajv';
import { compile } from '../spec/validate.ts';
import { writeAtomic } from '../util/fs.ts';
import schema from './schemas/gradescope-results.schema.json' with { type: 'json' };
import { clipText, firstLine, itemName, itemOutput, summaryText } from './platform-text.ts';
import type { SubmissionResult } from './result.ts';

export type GradescopeVisibility = 'hidden' | 'after_due_date' | 'after_published' | 'visible';
export const GRADESCOPE_VISIBILITIES: readonly GradescopeVisibility[] = ['hidden', 'after_due_date', 'after_published', 'visible'];
type Format = 'text' | 'html' | 'simple_format' | 'md' | 'ansi';

export interface GradescopeTest {
  score?: number;
  max_score?: number;
  status?: 'passed' | 'failed';
  name?: string;
  name_format?: Format;
  number?: string;
  output?: string;
  output_format?: Format;
  tags?: string[];
  visibility?: GradescopeVisibility;
  extra_data?: Record<string, unknown>;
}

export interface GradescopeResults {
  score?: number;
  execution_time?: number;
  output?: string;
  output_format?: Format;
  test_output_format?: Format;
  test_name_format?: Format;
  visibility?: GradescopeVisibility;
  stdout_visibility?: GradescopeVisibility;
  extra_data?: Record<string, unknown>;
  tests?: GradescopeTest[];
  leaderboard?: { name: string; value: number | string; order?: 'asc' | 'desc' }[];
}

export interface GradescopeOptions {
  /** Visibility of the rubric tests (default: visible). */
  visibility?: GradescopeVisibility;
  /** Gradescope's stdout_visibility (default: hidden; the log is the instructor's). */
  stdoutVisibility?: GradescopeVisibility;
  /** The whole run_autograder's seconds (default: the submission's own elapsed time). */
  executionTimeSec?: number;
}

/** Gradescope puts no documented cap on a field; a few hundred KiB of crash output helps nobody. */
const MAX_OUTPUT = 64 * 1024;

export function gradescopeResults(r: SubmissionResult, o: GradescopeOptions = {}): GradescopeResults {
  const tests: GradescopeTest[] = r.rubric.map((item, i) => ({
    name: itemName(item),
    number: String(i + 1),
    score: item.passed ? item.points : 0,
    max_score: item.points,
    status: item.passed ? 'passed' : 'failed',
    output: clipText(itemOutput(item, r), MAX_OUTPUT),
    tags: [item.evidence ?? 'measured', item.metric],
    ...(o.visibility ? { visibility: o.visibility } : {}),
    extra_data: { id: item.id, metric: item.metric, value: item.value, op: item.op, threshold: item.threshold, evidence: item.evidence ?? null },
  }));
  return {
    score: r.points,
    execution_time: Math.max(0, Math.round(o.executionTimeSec ?? r.usage.elapsedSec)),
    output: clipText(summaryText(r), MAX_OUTPUT),
    output_format: 'text',
    test_output_format: 'text',
    test_name_format: 'text',
    stdout_visibility: o.stdoutVisibility ?? 'hidden',
    extra_data: {
      dlgrade: {
        verdict: r.verdict,
        ...(r.reason ? { reason: firstLine(r.reason) } : {}),
        flags: r.flags ?? [],
        points: r.points,
        maxPoints: r.maxPoints,
        metrics: r.metrics,
        submissionSha256: r.submission.sha256,
        gradingKey: r.gradingKey,
        drawId: r.dataset.drawId ?? null,
        backend: r.environment.backend?.name ?? null,
        graderHash: r.environment.graderHash,
        version: r.environment.dlgrade,
      },
    },
    tests,
  };
}

/**
 * No SubmissionResult to report: the upload cannot be graded as one submission (`upload`, the
 * student's to fix), or the grader could not run at all (`grader`, not the student's fault).
 * Gradescope has no "not graded" state, so this is score 0 with the reason; a grader failure says
 * that the instructor will regrade.
 */
export function gradescopeFailure(kind: 'upload' | 'grader', message: string, o: GradescopeOptions & { maxScore?: number } = {}): GradescopeResults {
  const head = kind === 'upload'
    ? 'Your upload could not be graded as one submission:'
    : 'The autograder failed before it could grade your submission. This is not your fault: your instructor has been told by the log and will regrade it.';
  return {
    score: 0,
    execution_time: Math.max(0, Math.round(o.executionTimeSec ?? 0)),
    output: clipText(`${head}\n${message}`, MAX_OUTPUT),
    output_format: 'text',
    test_output_format: 'text',
    test_name_format: 'text',
    stdout_visibility: o.stdoutVisibility ?? 'hidden',
    extra_data: { dlgrade: { verdict: kind === 'upload' ? 'BAD_SUBMISSION' : 'GRADER_ERROR', reason: firstLine(message), ...(o.maxScore !== undefined ? { maxPoints: o.maxScore } : {}) } },
  };
}

const validate: ValidateFunction = compile(schema);

/** Problems with `value` against the schema written from Gradescope's specification; empty when it conforms. */
export function gradescopeProblems(value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}`);
}

/** Validates, then writes atomically. A writer bug throws here rather than reaching Gradescope. */
export function writeGradescopeResults(path: string, results: GradescopeResults): void {
  const problems = gradescopeProblems(results);
  if (problems.length) throw new Error(`results.json does not follow Gradescope's specification: ${problems.join('; ')}`);
  writeAtomic(path, JSON.stringify(results, null, 2) + '\n');
}
