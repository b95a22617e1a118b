// The words both course-platform writers (gradescope.ts, prairielearn.ts) use
// to explain one SubmissionResult to a student: the verdict line, one rubric
// item's measured value against its threshold, the run's account. Plain text
// (no HTML): student-controlled strings (a crash message, printed lines) are
// shown as they are.
import type { RubricResult } from '../grade/judge.ts';
import type { SubmissionResult } from './result.ts';

/** What each verdict means, in a student's words (the README's verdict table, shortened). */
export const VERDICT_WORDS: Record<SubmissionResult['verdict'], string> = {
  PASS: 'every rubric item met its threshold',
  FAIL: 'your outputs were valid, but some rubric item missed its threshold',
  TIME_LIMIT: 'the run used up its time limit',
  MEMORY_LIMIT: 'the run used more memory than allowed',
  CRASH: 'your code threw an error or the process died',
  BAD_SUBMISSION: 'the submission does not compile or load, lacks a required export, imports something it may not, or asks for a batch size over the limit',
  BAD_OUTPUT: 'the returned outputs have the wrong shape, contain NaN/Infinity, or are far too large',
  TAMPERED: 'the submission wrote its own messages onto the grader\'s result channel; nothing it reported was used',
  GRADER_ERROR: 'the grader itself failed on this submission; this is not your fault, and it will be regraded',
  ABORTED: 'grading was interrupted before this submission finished',
};

/** Numbers as the console prints them: up to 4 decimals, no trailing zeros. */
export function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toFixed(4)));
}

/** "AUC (auc > 0.97)", marked when the value is an integrity signal. */
export function itemName(item: RubricResult): string {
  return `${item.title} (${item.metric} ${item.op} ${item.threshold})${item.evidence === 'signal' ? ' [integrity signal]' : ''}`;
}

const EVIDENCE_WORDS: Record<string, string> = {
  measured: 'measured: computed by the grader from your outputs, against data your code never sees',
  verified: 'verified: computed by a separate process that runs none of your code, from what your code saved',
  signal: 'integrity signal: observed inside your own process, so it is checked but not proof',
};

/** One rubric item: the measured value against the threshold, or why nothing was measured. */
export function itemOutput(item: RubricResult, r: Pick<SubmissionResult, 'verdict' | 'reason'>): string {
  const lines: string[] = [];
  if (item.value !== null) {
    lines.push(`measured ${item.metric} = ${fmt(item.value)}; required ${item.metric} ${item.op} ${item.threshold}: ${item.passed ? 'met' : 'missed'}`);
    if (item.detail) lines.push(item.detail);
  } else {
    lines.push(`not measured: the run ended with ${r.verdict}${r.reason ? ` (${firstLine(r.reason)})` : ''}; required ${item.metric} ${item.op} ${item.threshold}`);
    if (item.detail && !item.detail.startsWith('not measured')) lines.push(item.detail);
  }
  lines.push(`points: ${item.passed ? item.points : 0} of ${item.points}`);
  if (item.evidence) lines.push(EVIDENCE_WORDS[item.evidence] ?? item.evidence);
  return lines.join('\n');
}

/** "PASS: 1 of 1 points" and, when there is one, the reason. */
export function verdictLines(r: SubmissionResult): string[] {
  const lines = [`${r.verdict}: ${fmt(r.points)} of ${fmt(r.maxPoints)} points (${VERDICT_WORDS[r.verdict]})`];
  if (r.reason) lines.push(r.reason);
  return lines;
}

/** The whole account for a top-level output field: verdict, rubric, warnings, the program's last lines, how it ran. */
export function summaryText(r: SubmissionResult): string {
  const out = [...verdictLines(r), '', 'Rubric:'];
  for (const item of r.rubric) out.push(`  ${item.passed ? '[met]   ' : '[missed]'} ${itemName(item)}: ${item.value === null ? 'not measured' : fmt(item.value)} (${item.passed ? item.points : 0}/${item.points})`);
  if (r.warnings?.length) out.push('', 'Warnings:', ...r.warnings.map((w) => `  - ${w}`));
  // The program's own printed lines explain a crash or a limit; a graded run does not need them.
  if (r.verdict !== 'PASS' && r.verdict !== 'FAIL' && r.outputTail.length) out.push('', 'Last lines your program printed:', ...r.outputTail.map((l) => `  ${l}`));
  out.push('', runLine(r));
  return out.join('\n');
}

/** How the run went: backend, times, memory, the draw. */
export function runLine(r: SubmissionResult): string {
  const u = r.usage;
  const backend = r.environment.backend?.name ?? 'no backend started';
  return `Graded by dlgrade ${r.environment.dlgrade} (${r.mode} mode, draw ${r.dataset.drawId ?? '?'}) on ${backend}: ${fmt(u.elapsedSec)} s wall clock, ${fmt(u.cpuSec ?? 0)} s CPU of ${r.limits.timeLimitSec} s allowed, peak ${fmt(u.peakMiB)} MiB of ${r.limits.memoryLimitMiB} MiB.`;
}

export function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Clips a text field to `max` characters, saying how much was cut. */
export function clipText(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}\n… [${s.length - max} more characters cut]` : s;
}
