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
  cacheRoot: string;
  dataDir?: string;
}

export interface PreparedTask {
  /** Files the sandbox may read, by role; nothing else of the grader's is readable. */
  files: Record<string, string>;
  /** JSON handed to the sandbox half. */
  params: Record<string, unknown>;
  dataset: { name: string; checksum: string; evaluatedOn: string };
  /** ajv schema of the outputs the sandbox half returns. */
  outputSchema: object;
  /** Semantic checks beyond the schema (lengths, ranges); throws a message for BAD_OUTPUT. */
  checkOutputs(outputs: unknown): void;
  /** Computes every metric the rubric may name, from validated outputs. */
  score(outputs: unknown): Record<string, number>;
}

export interface TaskHost {
  kind: string;
  /** ajv schema of the task's parameters in assignment.json (`task`). */
  paramsSchema: object;
  metrics: readonly string[];
  prepare(ctx: PrepareContext): PreparedTask;
}

export interface Progress {
  phase: 'load' | 'train' | 'predict';
  epoch?: number;
  epochs?: number;
  logs?: Record<string, number>;
}

export interface SandboxTaskContext {
  tf: typeof import('@tensorflow/tfjs');
  params: Record<string, any>;
  files: Record<string, string>;
  limits: Limits;
  seed: number;
  progress(p: Progress): void;
}

/** Raised in the sandbox when the submission breaks the contract (missing export, wrong types). */
export class ContractError extends Error {
  override name = 'ContractError';
}

export type SandboxTask = (submission: Record<string, unknown>, ctx: SandboxTaskContext) => Promise<unknown>;
