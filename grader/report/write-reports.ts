// Every file a graded batch is reported in, from one place: the CLI calls it
// after grading, `dlgrade merge` after merging shards. It reads nothing but the
// summary, its results and the pictures under <outDir>/artifacts/.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BatchSummary } from '../grade/run-batch.ts';
import { writeAtomic, writeJsonAtomic } from '../util/fs.ts';
import { writeGradebook } from './gradebook.ts';
import { classHtml, esc, reportFileName, submissionHtml } from './html.ts';
import { writeJunit } from './junit.ts';

export interface ReportPaths {
  /** <outDir>/summary.json */
  summary: string;
  /** <outDir>/gradebook.csv: one row per student. */
  gradebook: string;
  /** <outDir>/report.html: the class page. */
  html: string;
  /** <outDir>/reports: one <submission>.html per submission. */
  reports: string;
  reportFiles: number;
  junit?: string;
  json?: string;
  /** Pages that could not be drawn in full (each got a page saying why); empty when all went well. */
  problems: string[];
}

export async function writeReports(summary: BatchSummary, outDir: string, opts: { junit?: string; json?: string } = {}): Promise<ReportPaths> {
  const out = resolve(outDir);
  const reports = join(out, 'reports');
  mkdirSync(reports, { recursive: true });
  const paths: ReportPaths = {
    summary: join(out, 'summary.json'), gradebook: join(out, 'gradebook.csv'), html: join(out, 'report.html'), reports, reportFiles: 0, problems: [],
    ...(opts.junit ? { junit: resolve(opts.junit) } : {}),
    ...(opts.json ? { json: resolve(opts.json) } : {}),
  };
  writeJsonAtomic(paths.summary, summary);
  writeGradebook(paths.gradebook, summary);
  for (const f of [paths.junit, paths.json]) if (f) mkdirSync(dirname(f), { recursive: true });
  if (paths.junit) writeJunit(paths.junit, summary);
  if (paths.json) writeJsonAtomic(paths.json, summary);
  // One page at a time: rendering is CPU work, and grading machines are shared.
  for (const r of summary.results) {
    let html: string;
    try {
      html = await submissionHtml(r, out, '../report.html');
    } catch (e) {
      paths.problems.push(`${r.submission.id}: ${(e as Error).message}`);
      html = `<!DOCTYPE html><meta charset="utf-8"><title>${esc(r.submission.id)}</title><p><a href="../report.html">class report</a></p><h1>${esc(r.submission.id)}: ${esc(r.verdict)}</h1><p>This page could not be drawn (${esc((e as Error).message)}); the result is in results/ and summary.json.</p>`;
    }
    writeAtomic(join(reports, reportFileName(r.submission.id)), html);
    paths.reportFiles++;
  }
  let page: string;
  try {
    page = await classHtml(summary);
  } catch (e) {
    paths.problems.push(`class report: ${(e as Error).message}`);
    page = `<!DOCTYPE html><meta charset="utf-8"><title>class report</title><p>The class report could not be drawn (${esc((e as Error).message)}); see gradebook.csv and summary.json.</p>`;
  }
  writeAtomic(paths.html, page);
  return paths;
}
