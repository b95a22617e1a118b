// One result per submission: everything needed to explain and reproduce
// the verdict. Written atomically; read back (and validated) on resume.
import { VERDICTS, type Judgement, type RubricResult, type Verdict } from '../grade/judge.ts';
import type { Isolation } from '../sandbox/capabilities.ts';
import type { BackendReport } from '../sandbox/protocol.ts';
import type { Limits } from '../spec/types.ts';
import type { Mode, Progress, TaskPlots } from '../tasks/types.ts';
import type { HistoryEntry } from '../sandbox/progress-history.ts';

export interface SubmissionResult {
  schemaVersion: 1;
  submission: { id: string; path: string; sha256: string };
  /** Who submitted it, when known: from the platform's export names (Canvas, Moodle, Gradescope) or --roster (grader/grade/intake.ts). */
  student?: { id: string; name?: string; email?: string };
  assignment: { id: string; title: string; specHash: string };
  mode: Mode;
  /** Identifies what was graded under which conditions; a resumed run reuses a result only if it matches. */
  gradingKey: string;
  verdict: Verdict;
  reason?: string;
  /** Reasons an instructor should look at this result by hand (a forged message, an implausible score). */
  flags?: string[];
  /** What the student should know that did not change the verdict (close to a limit, a call the sandbox ignored). */
  warnings?: string[];
  rubric: RubricResult[];
  metrics: Record<string, number>;
  points: number;
  maxPoints: number;
  lastProgress?: Progress;
  /** Train-phase progress as the submission's own loop reported it (in-realm: could be forged), at most MAX_HISTORY entries. */
  history?: HistoryEntry[];
  /** Plot data the task computed on the grader's side from validated outputs and hidden labels (ROC, confusion matrix). */
  plots?: TaskPlots;
  /** Files rendered for this result (feature maps…), relative to the results folder. */
  artifacts?: string[];
  outputTail: string[];
  outputBytes: number;
  /** cpuSec: what the time limit counts (results from before it existed lack it); elapsedSec: the wall clock. */
  usage: { elapsedSec: number; cpuSec?: number; peakMiB: number; compileSec: number; startupSec?: number; harnessSec: number };
  limits: Limits;
  environment: RunEnvironment & { backend?: BackendReport };
  /** drawId: in grade mode the id of the grading secret the evaluation was drawn with (grader/spec/secret.ts), in check mode "public". */
  dataset: { name: string; checksum: string; evaluatedOn: string; drawId?: string };
  seed: number;
  startedAt: string;
  finishedAt: string;
  /** When the verdict was last reached: the run's end, or a later re-judgement from the stored metrics (rubric change). */
  judgedAt?: string;
  /** What a PASS/FAIL verdict rests on besides the metrics (hints, verify problems): lets a rubric change re-judge without running. */
  judgeInputs?: { hints: Record<string, string>; verifyProblems: string[] };
  /** The verdict and points this submission had before this regrade or re-judgement, when they changed. */
  previous?: { verdict: string; points: number; gradedAt: string };
}

export interface RunEnvironment {
  dlgrade: string;
  /** graderFingerprint(): the grader's version, lockfile and code (grader/util/fingerprint.ts). */
  graderHash: string;
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
    verdict: { enum: VERDICTS },
    // Each item carries its spec's `evidence` (measured / verified / signal); results from before it existed lack it.
    rubric: { type: 'array', items: { type: 'object', required: ['id', 'metric', 'op', 'threshold', 'passed'], properties: { evidence: { enum: ['measured', 'verified', 'signal'] } } } },
    points: { type: 'number' },
    maxPoints: { type: 'number' },
  },
};

export type { Judgement };
