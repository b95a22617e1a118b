// The gradebook: one CSV row per student, for a spreadsheet or an LMS import.
// RFC 4180 (CRLF line ends, fields quoted when they hold a comma, quote or line
// break), UTF-8 without a byte-order mark, written by csv-stringify.
import { stringify } from 'csv-stringify/sync';
import type { BatchSummary } from '../grade/run-batch.ts';
import { writeAtomic } from '../util/fs.ts';
import type { SubmissionResult } from './result.ts';

/** Rubric items in the order they first appear across the results (one assignment: its rubric order). */
export function rubricColumns(results: SubmissionResult[]): { id: string; title: string }[] {
  const seen = new Map<string, string>();
  for (const r of results) for (const item of r.rubric) if (!seen.has(item.id)) seen.set(item.id, item.title);
  return [...seen].map(([id, title]) => ({ id, title }));
}

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula; a
 * student's file name or error message must never be one. Such text gets a leading apostrophe (OWASP's advice).
 */
export function neutralizeFormula(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

export function gradebookRows(summary: Pick<BatchSummary, 'results'>): (string | number)[][] {
  const items = rubricColumns(summary.results);
  const header = ['id', 'verdict', 'points', 'max_points', ...items.flatMap((i) => [`${i.id}_value`, `${i.id}_pass`]), 'cpu_sec', 'wall_sec', 'peak_mib', 'flags', 'warnings', 'reason'];
  const rows = summary.results.map((r) => {
    const byId = new Map(r.rubric.map((i) => [i.id, i]));
    return [
      neutralizeFormula(r.submission.id),
      r.verdict,
      r.points,
      r.maxPoints,
      ...items.flatMap((i) => {
        const item = byId.get(i.id);
        return [item?.value ?? '', item ? (item.passed ? 'yes' : 'no') : ''];
      }),
      r.usage.cpuSec ?? '',
      r.usage.elapsedSec,
      r.usage.peakMiB,
      neutralizeFormula((r.flags ?? []).join('; ')),
      r.warnings?.length ?? 0,
      neutralizeFormula((r.reason ?? '').split('\n')[0]!),
    ];
  });
  return [header, ...rows];
}

export function gradebookCsv(summary: Pick<BatchSummary, 'results'>): string {
  return stringify(gradebookRows(summary), { record_delimiter: 'windows', quoted_match: /^\s|\s$/ });
}

export function writeGradebook(path: string, summary: Pick<BatchSummary, 'results'>): void {
  writeAtomic(path, gradebookCsv(summary));
}
