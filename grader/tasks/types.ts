// A task driver has two halves. The host half runs in the trusted grader: it
// prepares inputs (files the sandbox may read, parameters) and keeps whatever
// scoring needs (hidden labels) in its own memory. The sandbox half runs next
// to the submission: it feeds the submission and returns raw outputs, which
// the host half validates and scores.
import type { Assignment, Limits } from '../spec/types.ts';

export type Mode = 'grade' | 'check';

export interface PrepareContext {
  assignment: Assignment;
  mode: Mode;
  /**
   * The seed for everything this mode draws (held-out points, splits, pair and image subsets).
   * grade: an HMAC of the instructor's secret (grader/spec/secret.ts drawSeed), which no submission can
   * recompute; check: the public "<seed>/check". Host side only: never put it, or anything that reveals
   * it, into the sandbox's files or params.
   */
  draw: string;
  cacheRoot: string;
  dataDir?: string;
  /** --weights: another pretrained base (path or URL) for tasks that use one. */
  weights?: string;
}

export interface PreparedTask {
  /** Files the sandbox may read, by role; nothing else of the grader's is readable. */
  files: Record<string, string>;
  /** JSON handed to the sandbox half. */
  params: Record<string, unknown>;
  dataset: { name: string; checksum: string; evaluatedOn: string };
  /** ajv schema of the outputs the sandbox half returns. */
  outputSchema: object;
  /** Largest result message the sandbox half can need for these inputs, in bytes; bounds what the grader reads. */
  maxOutputBytes?: number;
  /** Semantic checks beyond the schema (lengths, ranges); throws a message for BAD_OUTPUT. */
  checkOutputs(outputs: unknown): void;
  /**
   * When set, a second sandboxed process runs the task's verify half with no
   * submission code loaded, reading the artifacts the submission wrote (a saved
   * checkpoint, say); its outputs or error reach score().
   */
  verify?: { params: Record<string, unknown> };
  /** Writes pictures of validated outputs into `dir` for the report; returns the file names. */
  render?(outputs: unknown, dir: string): string[];
  /** Data for the report's plots, computed here from validated outputs and the hidden labels (bounded: ≤ MAX_ROC_POINTS ROC points). */
  plots?(outputs: unknown, verified?: VerifyResult): TaskPlots;
  /** Computes every metric the rubric may name, from validated outputs. */
  score(outputs: unknown, verified?: VerifyResult): Record<string, number>;
  /** Per metric, one sentence saying why its value is what it is and what to do; judge shows it when that item fails. */
  hints?(outputs: unknown, metrics: Record<string, number>, verified?: VerifyResult): Record<string, string>;
  /** Set when check mode measures on other data than the rubric titles name (held-back training images, not the test set): what it measures on. */
  checkMeasuredOn?: string;
}

/** What the HTML report plots for a result, measured on the trusted side (hidden labels never leave the grader). */
export interface TaskPlots {
  /** Receiver operating characteristic of a verification score (grader/metrics/auc.ts rocCurve). */
  roc?: { fpr: number[]; tpr: number[]; auc: number };
  /** counts[truth][predicted] (grader/metrics/classes.ts confusionMatrix). */
  confusion?: { labels: string[]; counts: number[][] };
}

export interface VerifyResult {
  outputs?: unknown;
  /** Why the verify stage produced no outputs (e.g. the checkpoint did not load). */
  error?: string;
}

export interface TaskHost {
  kind: string;
  /** ajv schema of the task's parameters in assignment.json (`task`). */
  paramsSchema: object;
  metrics: readonly string[];
  prepare(ctx: PrepareContext): PreparedTask | Promise<PreparedTask>;
}

export interface Progress {
  phase: 'load' | 'train' | 'predict';
  epoch?: number;
  epochs?: number;
  /** What `epoch` counts (default: training epochs). */
  unit?: 'epoch' | 'octave';
  /** Which model.fit / fitDataset call the epoch belongs to (1 = the first of the run). */
  call?: number;
  logs?: Record<string, number>;
}

export interface SandboxTaskContext {
  tf: typeof import('@tensorflow/tfjs');
  params: Record<string, any>;
  files: Record<string, string>;
  limits: Limits;
  seed: number;
  /** Writable folder for artifacts (saved models, checkpoints); size-capped. */
  outDir: string;
  /** In the verify stage: the previous stage's outDir, read-only. */
  artifactsDir?: string;
  progress(p: Progress): void;
}

/** Raised in the sandbox when the submission breaks the contract (missing export, wrong types). */
export class ContractError extends Error {
  override name = 'ContractError';
}

export type SandboxTask = (submission: Record<string, unknown>, ctx: SandboxTaskContext) => Promise<unknown>;

/** Runs in a fresh sandbox without the submission: trusted code over untrusted artifacts. */
export type VerifyTask = (ctx: SandboxTaskContext) => Promise<unknown>;

export interface SandboxTaskModule {
  run: SandboxTask;
  verify?: VerifyTask;
}
