export interface Limits {
  timeLimitSec: number;
  memoryLimitMiB: number;
  maxBatchSize: number;
  /** Most a submission's source files may total, in KiB (compile refuses more: BAD_SUBMISSION). */
  maxSourceKiB: number;
}

export type Op = '>' | '>=' | '<' | '<=';

/**
 * What a rubric item's value rests on:
 * - measured: computed by the grader from the outputs, against data the sandbox never sees (hidden labels, held-out targets);
 * - verified: computed by a verify process that runs no student code, over the artifacts the submission left;
 * - signal: observed inside the submission's own process (call counts, model inspection…): an integrity signal, not proof.
 */
export type Evidence = 'measured' | 'verified' | 'signal';

export interface RubricItem {
  id: string;
  title: string;
  metric: string;
  op: Op;
  threshold: number;
  points: number;
  evidence: Evidence;
  /** A value above this is flagged for review (far beyond what the reference reaches); the verdict stands. */
  reviewAbove?: number;
  /** The same for lower-is-better metrics: a value below this is flagged. */
  reviewBelow?: number;
  /** What the instructor's reference solution reaches on this metric, quoted in review flags. */
  reference?: number;
}

export interface AssignmentSpec {
  id: string;
  title: string;
  source: string;
  statement: string;
  starter: string;
  seed: number;
  limits?: Partial<Limits>;
  task: { kind: string; [param: string]: unknown };
  rubric: RubricItem[];
}

export interface Assignment {
  spec: AssignmentSpec;
  dir: string;
  specPath: string;
  /** sha256 of the spec file's canonical JSON: identifies what a result was graded against. */
  specHash: string;
}
