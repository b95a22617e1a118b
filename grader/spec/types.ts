export interface Limits {
  timeLimitSec: number;
  memoryLimitMiB: number;
  maxBatchSize: number;
}

export type Op = '>' | '>=' | '<' | '<=';

export interface RubricItem {
  id: string;
  title: string;
  metric: string;
  op: Op;
  threshold: number;
  points: number;
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
