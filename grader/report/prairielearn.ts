// PrairieLearn's external-grader results.json from the one result model
// (SubmissionResult): a writer, like junit.ts, not a second result format.
//
// The format is PrairieLearn's published "External Grading" documentation,
// section "Grading results":
// https://prairielearn.readthedocs.io/en/latest/externalGrading/#grading-results
// (schemas/prairielearn-results.schema.json is written from it; every file
// written here is validated against it first, and kept under its 1 MB limit).
//
// gradable: the docs say `"gradable": false` marks a submission whose "input was invalid or
// formatted incorrectly, for example if it has a syntax error that prevented compilation": no
// points are awarded or lost and the student is not charged an attempt; `format_errors` says why.
// So:
//   BAD_SUBMISSION (does not compile or load, lacks an export, forbidden import, batch size over
//                  the limit, too much source): gradable false, the reason in format_errors. The
//                  code never ran to an evaluation, exactly the docs' syntax-error case.
//   GRADER_ERROR, and a grader that cannot run at all: gradable false. Not the student's fault, so
//                  it must not cost an attempt or record a 0; the log (instructor) has the details.
//   everything else (PASS, FAIL, CRASH, TIME_LIMIT, MEMORY_LIMIT, BAD_OUTPUT, TAMPERED): gradable
//                  true with score = points / maxPoints (0 when nothing was measured): the code was
//                  run and evaluated, and what it did is its grade.
// Review flags go to the job's log only (results may be shown to students).
import type { ValidateFunction } from 'ajv';
import { compile } from '../spec/validate.ts';
import { writeAtomic } from '../util/fs.ts';
import schema from './schemas/prairielearn-results.schema.json' with { type: 'json' };
import { clipText, itemName, itemOutput, summaryText, verdictLines, VERDICT_WORDS } from './platform-text.ts';
import type { SubmissionResult } from './result.ts';

export interface PrairieLearnTest {
  name: string;
  description?: string;
  points: number;
  max_points: number;
  message?: string;
  output?: string;
}

export interface PrairieLearnResults {
  gradable: boolean;
  score?: number;
  format_errors?: string | string[];
  message?: string;
  output?: string;
  tests?: PrairieLearnTest[];
}

/** "this file should be limited to 1 MB" (the docs); each text field is kept far below it. */
export const PL_MAX_BYTES = 1_000_000;
const MAX_FIELD = 64 * 1024;

/** Verdicts that are not graded in PrairieLearn's sense (see above). */
const NOT_GRADABLE = new Set<SubmissionResult['verdict']>(['BAD_SUBMISSION', 'GRADER_ERROR', 'ABORTED']);

export function prairielearnResults(r: SubmissionResult): PrairieLearnResults {
  const message = verdictLines(r).join('\n');
  if (NOT_GRADABLE.has(r.verdict)) {
    return {
      gradable: false,
      format_errors: [clipText(r.verdict === 'BAD_SUBMISSION' ? r.reason ?? VERDICT_WORDS.BAD_SUBMISSION : `${VERDICT_WORDS[r.verdict]}${r.reason ? ` (${r.reason})` : ''}`, MAX_FIELD)],
      message: clipText(message, MAX_FIELD),
      output: clipText(summaryText(r), MAX_FIELD),
    };
  }
  return {
    gradable: true,
    score: r.maxPoints > 0 ? Math.min(1, Math.max(0, r.points / r.maxPoints)) : 0,
    message: clipText(message, MAX_FIELD),
    output: clipText(summaryText(r), MAX_FIELD),
    tests: r.rubric.map((item) => ({
      name: itemName(item),
      description: `${item.metric} ${item.op} ${item.threshold} (${item.evidence ?? 'measured'})`,
      points: item.passed ? item.points : 0,
      max_points: item.points,
      message: item.value === null ? `not measured: ${r.verdict}` : item.detail,
      output: clipText(itemOutput(item, r), MAX_FIELD),
    })),
  };
}

/**
 * No SubmissionResult to report: the upload is not one submission (`upload`), or the grader could
 * not run (`grader`). Both are gradable false: the first is the docs' invalid-input case, the second
 * must not cost the student an attempt.
 */
export function prairielearnFailure(kind: 'upload' | 'grader', message: string): PrairieLearnResults {
  return {
    gradable: false,
    format_errors: [clipText(message, MAX_FIELD)],
    message: kind === 'upload'
      ? 'Your files could not be graded as one submission.'
      : 'The autograder failed before it could grade your submission. This is not your fault and costs you no attempt; please tell your instructor.',
  };
}

const validate: ValidateFunction = compile(schema);

/** Problems with `value` against the schema written from PrairieLearn's documentation, and its size; empty when it conforms. */
export function prairielearnProblems(value: unknown): string[] {
  const problems = validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}`);
  const bytes = Buffer.byteLength(JSON.stringify(value ?? null));
  if (bytes > PL_MAX_BYTES) problems.push(`${bytes} bytes: PrairieLearn limits results.json to 1 MB`);
  return problems;
}

/** Validates, then writes atomically (PrairieLearn does not create /grade/results; writeAtomic's caller must). */
export function writePrairieLearnResults(path: string, results: PrairieLearnResults): void {
  const problems = prairielearnProblems(results);
  if (problems.length) throw new Error(`results.json does not follow PrairieLearn's format: ${problems.join('; ')}`);
  writeAtomic(path, JSON.stringify(results, null, 2) + '\n');
}
