// What a person (or a CI log) sees while grading runs and at the end.
import { wallLimitSec } from '../sandbox/cpu-time.ts';
import type { BatchSummary, Reporter } from '../grade/run-batch.ts';
import { describeProgress } from '../sandbox/run-sandboxed.ts';
import type { Progress } from '../tasks/types.ts';
import type { SubmissionResult } from './result.ts';
import { isAbsolute, relative, sep } from 'node:path';
import { fmt } from '../grade/judge.ts';

type Out = { write(s: string): unknown; isTTY?: boolean; columns?: number };

const paint = (on: boolean) => (code: number, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** One line per event; with a TTY, a live status block redrawn in place. */
export function consoleReporter(out: Out = process.stderr, live = !!out.isTTY && !process.env.CI): CliReporter {
  const c = paint(live || !!process.env.FORCE_COLOR);
  const running = new Map<string, { p?: Progress; started: number }>();
  let limit = 0, drawn = 0, total = 0, finished = 0;
  // (reused results count as finished from the start)
  const clear = () => { if (drawn) out.write(`\x1b[${drawn}A\x1b[0J`); drawn = 0; };
  const draw = () => {
    if (!live) return;
    clear();
    const lines = [...running].map(([id, s]) => {
      const t = (Date.now() - s.started) / 1000;
      return `  ${c(36, '…')} ${id.padEnd(24)} ${t.toFixed(0).padStart(4)}s / ${limit}s ${describeProgress(s.p).trim()}`;
    });
    const queued = total - finished - running.size;
    lines.push(c(2, `  ${finished}/${total} done${queued > 0 ? `, ${queued} queued` : ''}`));
    out.write(lines.join('\n') + '\n');
    drawn = lines.length;
  };
  let ticker: NodeJS.Timeout | undefined;
  const lastEpochLine = new Map<string, number>(); // elapsed seconds of the last epoch line printed
  return {
    begin(info) {
      limit = info.limits.timeLimitSec;
      total = info.total;
      const iso = info.isolation;
      out.write(`${c(1, `${info.mode === 'check' ? 'Checking' : 'Grading'} ${info.assignment.spec.id}`)}: ${info.total} submission${info.total === 1 ? '' : 's'}` +
        `${info.total > info.toRun ? ` (${info.total - info.toRun} already graded)` : ''}, ${info.concurrency} at a time; limits ${info.limits.timeLimitSec} s CPU (wall clock ≤ ${wallLimitSec(info.limits.timeLimitSec)} s), ${info.limits.memoryLimitMiB} MiB, batch ≤ ${info.limits.maxBatchSize}\n` +
        c(2, `sandbox: ${describeIsolation(iso)}\n`) +
        (info.cleaned.cgroups + info.cleaned.folders + info.cleaned.processes > 0 ? c(33, `cleaned up after a grader that was killed: ${info.cleaned.processes} processes, ${info.cleaned.cgroups} cgroups, ${info.cleaned.folders} job folders\n`) : '') +
        c(2, `backend: ${info.backend.name} (${info.backend.why})\n`));
      if (live) ticker = setInterval(draw, 500).unref();
    },
    start(id) {
      running.set(id, { started: Date.now() });
      if (!live) out.write(`  start  ${id}\n`);
      draw();
    },
    progress(id, p, t) {
      const s = running.get(id);
      if (s) s.p = p;
      // Plain logs get an epoch line at most every 5 s per submission, and the last epoch.
      const last = lastEpochLine.get(id);
      if (!live && p.phase === 'train' && p.epoch !== undefined && (last === undefined || t - last >= 5 || p.epoch === p.epochs)) {
        lastEpochLine.set(id, t);
        out.write(`  ${id}: ${p.unit ?? 'epoch'} ${p.epoch}${p.epochs ? `/${p.epochs}` : ''} ${t.toFixed(1)}s / ${limit}s ${Object.entries(p.logs ?? {}).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}\n`);
      }
      draw();
    },
    done(r, reused) {
      running.delete(r.submission.id);
      finished++;
      clear();
      out.write(formatResult(r, c, reused));
      draw();
    },
    end(summary) {
      if (ticker) clearInterval(ticker);
      clear();
      out.write(formatSummary(summary, c));
    },
    written(w) {
      out.write(c(2, formatWritten(w)));
    },
  };
}

/** The isolation in force, in one line. */
export function describeIsolation(iso: import('../sandbox/capabilities.ts').Isolation): string {
  return [
    iso.filesystem === 'bwrap' ? 'bwrap mount namespace (read-only minimal root, private /tmp)' : 'host filesystem',
    `memory ${iso.memory}`, `network ${iso.network}`, `user ${iso.user}`, iso.pidNamespace || iso.filesystem === 'bwrap' ? 'pid namespace' : 'no pid namespace',
    `out/ quota ${iso.diskQuota}`, iso.dieWithGrader ? 'dies with the grader' : 'killed by timeout only', 'node permission model',
  ].join(', ');
}

/** Prints nothing while grading; the CLI prints the summary line, then this prints where things went (stderr). */
export function quietReporter(out: Out = process.stderr): CliReporter {
  return { begin() {}, start() {}, progress() {}, done() {}, end() {}, written: (w) => { out.write(formatWritten(w)); } };
}

/** Machine-readable events, one JSON object per line. */
export function jsonLinesReporter(out: Out = process.stdout): CliReporter {
  const emit = (o: object) => out.write(JSON.stringify(o) + '\n');
  return {
    begin: (i) => emit({ event: 'begin', assignment: i.assignment.spec.id, mode: i.mode, total: i.total, toRun: i.toRun, limits: i.limits, isolation: i.isolation, backend: i.backend }),
    start: (id) => emit({ event: 'start', submission: id }),
    progress: (id, p, elapsedSec) => emit({ event: 'progress', submission: id, elapsedSec, ...p }),
    done: (result, reused) => emit({ event: 'result', reused, result }),
    end: (s) => emit({ event: 'summary', summary: { ...s, results: undefined } }),
    written: (w) => emit({ event: 'written', ...w }),
  };
}

const VERDICT_COLOR: Record<string, number> = { PASS: 32, FAIL: 31, TIME_LIMIT: 33, MEMORY_LIMIT: 33, CRASH: 35, BAD_SUBMISSION: 35, BAD_OUTPUT: 35, TAMPERED: 41, GRADER_ERROR: 43, ABORTED: 2 };

/** How console and JUnit mark a rubric item whose value was observed inside the submission's process. */
export const SIGNAL_LABEL = '(integrity signal)';

export function formatResult(r: SubmissionResult, c = paint(false), reused = false): string {
  const head = `${c(VERDICT_COLOR[r.verdict] ?? 0, r.verdict.padEnd(14))} ${r.submission.id}  ` +
    c(2, `${r.usage.cpuSec !== undefined ? `${r.usage.cpuSec.toFixed(1)} s CPU, ` : ''}${r.usage.elapsedSec.toFixed(1)} s wall, peak ${r.usage.peakMiB} MiB, ${r.environment.backend?.name ?? 'no backend'}${reused ? ', from an earlier run' : ''}`);
  const lines = [head];
  // Observed inside the submission's own process: say so, it is not proof.
  for (const item of r.rubric) lines.push(`    ${item.passed ? c(32, '✓') : c(31, '✗')} ${item.title}${item.evidence === 'signal' ? ` ${c(2, SIGNAL_LABEL)}` : ''}: ${item.detail}`);
  // A FAIL's reason repeats each failing item's hint, already shown on the item's line: shown once.
  const reason = (r.reason ?? '').split('\n').filter((l) => l && !r.rubric.some((item) => item.detail.includes(l)));
  lines.push(...reason.map((l, i) => `    ${i === 0 ? 'reason: ' : '        '}${l}`));
  for (const f of r.flags ?? []) lines.push(c(33, `    flagged: ${f}`));
  for (const w of r.warnings ?? []) lines.push(c(33, `    warning: ${w}`));
  if (r.verdict !== 'PASS' && r.verdict !== 'FAIL' && r.outputTail.length) {
    lines.push(c(2, `    last output lines (${r.outputBytes} bytes in all):`));
    lines.push(...r.outputTail.slice(-10).map((l) => c(2, `      | ${l}`)));
  }
  return lines.join('\n') + '\n';
}

export function formatSummary(s: BatchSummary, c = paint(false)): string {
  const parts = Object.entries(s.counts).map(([v, n]) => `${n} ${v}`).join(', ');
  // After a fix (grader/grade/regrade.ts): how many were re-judged without running, run again, and changed.
  const regrade = (s.rejudged ?? 0) + (s.regraded ?? 0) > 0 ? `; ${s.rejudged ?? 0} re-judged from stored metrics, ${s.regraded ?? 0} regraded, ${s.changed ?? 0} changed` : '';
  return `${c(1, `${s.passed}/${s.total} passed`)}${parts ? ` (${parts})` : ''}, ${s.points}/${s.maxPoints} points, ${s.elapsedSec.toFixed(1)} s${regrade}` +
    `${s.interrupted ? c(33, ' — interrupted; run the same command again to resume') : ''}\n`;
}

/** Where a run wrote its files: absolute paths (the JSON-lines event carries them as they are). */
export interface Written {
  /** The --out folder. */
  out: string;
  /** <out>/results: one <submission>.json per submission. */
  results: string;
  /** How many result files this run's summary covers. */
  resultFiles: number;
  /** <out>/summary.json */
  summary: string;
  /** <out>/gradebook.csv: one row per student (write-reports.ts). */
  gradebook?: string;
  /** <out>/report.html: the class report. */
  html?: string;
  /** <out>/reports: one <submission>.html per submission. */
  reports?: string;
  reportFiles?: number;
  /** --junit, when given. */
  junit?: string;
  /** --json <file>, when given. */
  json?: string;
  /** <out>/artifacts, when it holds something (pictures rendered from the outputs). */
  artifacts?: string;
}

/** The reporters the CLI uses: a Reporter that also says, last, where the run wrote its files. */
export type CliReporter = Reporter & { written(w: Written): void };

/** A path as a person would type it here: relative to the working directory when inside it. */
export function shownPath(p: string, cwd = process.cwd()): string {
  const r = relative(cwd, p);
  return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? p : r;
}

/** The closing lines of a run: one line per thing written, folders ending in '/'. */
export function formatWritten(w: Written, cwd = process.cwd()): string {
  const dir = (p: string) => shownPath(p, cwd) + sep;
  const rows: [string, string][] = [
    ['results', `${dir(w.results)} (${w.resultFiles} file${w.resultFiles === 1 ? '' : 's'}, one per submission)`],
    ['summary', shownPath(w.summary, cwd)],
    ...(w.gradebook ? [['gradebook', shownPath(w.gradebook, cwd)] as [string, string]] : []),
    ...(w.html ? [['report', shownPath(w.html, cwd)] as [string, string]] : []),
    ...(w.reports ? [['reports', `${dir(w.reports)} (${w.reportFiles ?? 0} page${w.reportFiles === 1 ? '' : 's'}, one per submission)`] as [string, string]] : []),
    ...(w.junit ? [['junit', shownPath(w.junit, cwd)] as [string, string]] : []),
    ...(w.json ? [['json', shownPath(w.json, cwd)] as [string, string]] : []),
    ...(w.artifacts ? [['artifacts', dir(w.artifacts)] as [string, string]] : []),
  ];
  return rows.map(([k, v]) => `  ${`${k}:`.padEnd(11)}${v}\n`).join('');
}
