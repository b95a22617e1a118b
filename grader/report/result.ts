// One result per submission: everything needed to explain and reproduce
// the verdict. Written atomically; read back (and validated) on resume.
import type { Judgement, RubricResult, Verdict } from '../grade/judge.ts';
import type { Isolation } from '../sandbox/capabilities.ts';
import type { BackendReport } from '../sandbox/protocol.ts';
import type { Limits } from '../spec/types.ts';
import type { Mode, Progress } from '../tasks/types.ts';

export interface SubmissionResult {
  schemaVersion: 1;
  submission: { id: string; path: string; sha256: string };
  assignment: { id: string; title: string; specHash: string };
  mode: Mode;
  /** Identifies what was graded under which conditions; a resumed run reuses a result only if it matches. */
  gradingKey: string;
  verdict: Verdict;
  reason?: string;
  rubric: RubricResult[];
  metrics: Record<string, number>;
  points: number;
  maxPoints: number;
  lastProgress?: Progress;
  /** Files rendered for this result (feature maps…), relative to the results folder. */
  artifacts?: string[];
  outputTail: string[];
  outputBytes: number;
  usage: { elapsedSec: number; peakMiB: number; compileSec: number; startupSec?: number; harnessSec: number };
  limits: Limits;
  environment: RunEnvironment & { backend?: BackendReport };
  dataset: { name: string; checksum: string; evaluatedOn: string };
  seed: number;
  startedAt: string;
  finishedAt: string;
}

export interface RunEnvironment {
  dlgrade: string;
  node: string;
  platform: string;
  cpus: number;
  packages: Record<string, string>;
  isolation: Omit<Isolation, 'cgroupParents'>;
}

export const resultSchema = {
  type: 'object',
  required: ['schemaVersion', 'submission', 'assignment', 'mode', 'gradingKey', 'verdict', 'rubric', 'points', 'maxPoints', 'usage', 'environment', 'dataset', 'seed'],
  properties: {
    schemaVersion: { const: 1 },
    submission: { type: 'object', required: ['id', 'path', 'sha256'] },
    gradingKey: { type: 'string' },
    verdict: { enum: ['PASS', 'FAIL', 'TIME_LIMIT', 'MEMORY_LIMIT', 'CRASH', 'BAD_SUBMISSION', 'BAD_OUTPUT', 'ABORTED'] },
    rubric: { type: 'array', items: { type: 'object', required: ['id', 'metric', 'op', 'threshold', 'passed'] } },
    points: { type: 'number' },
    maxPoints: { type: 'number' },
  },
};

export type { Judgement };
