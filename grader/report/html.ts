// HTML reports: one page per submission and one per class. Each page is one
// self-contained file that opens offline: inline CSS, plots as inline SVG
// rendered at write time (plots.ts), pictures as data: URIs, no script at all
// (a Content-Security-Policy forbids any), links between pages relative.
// Everything taken from a result is escaped: ids, reasons and above all a
// submission's output tail are hostile text.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { BatchSummary } from '../grade/run-batch.ts';
import type { RubricResult } from '../grade/judge.ts';
import { wallLimitSec } from '../sandbox/cpu-time.ts';
import { confusionSpec, histogramSpec, percentiles, renderSvg, rocSpec, trainingSpec, usageSpec, verdictSpec, type Percentiles } from './plots.ts';
import type { SubmissionResult } from './result.ts';

/** What another step may add to a result when it regrades (rendered when present). */
export interface PreviousGrade { verdict: string; points: number; gradedAt: string }
type WithPrevious = SubmissionResult & { previous?: PreviousGrade };

/** Text as HTML: safe in element content and in quoted attribute values. */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The file name of a submission's page in reports/: its id when that is a plain file name
 * (discovery makes ids so), else a cleaned name with a hash of the id, so no id reaches outside reports/.
 */
export function reportFileName(id: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,150}$/.test(id)) return `${id}.html`;
  const clean = id.normalize('NFKD').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 100);
  return `${clean}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}.html`;
}

/** A relative link to a page in reports/. */
export function reportHref(id: string): string {
  return `reports/${encodeURIComponent(reportFileName(id))}`;
}

const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 1100px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.muted { color: #666; } .small { font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.v { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; color: white; background: #c62828; }
.v-PASS { background: #2e7d32; } .v-FAIL { background: #c62828; } .v-TIME_LIMIT, .v-MEMORY_LIMIT { background: #ef6c00; }
.v-TAMPERED, .v-GRADER_ERROR { background: #6a1b9a; } .v-ABORTED { background: #757575; }
.ok { color: #2e7d32; font-weight: 600; } .bad { color: #c62828; font-weight: 600; } .warn { color: #ef6c00; }
pre { background: #f7f7f7; border: 1px solid #e0e0e0; padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; font-size: 12px; }
figure { margin: 12px 0; display: inline-block; vertical-align: top; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #555; max-width: 620px; }
.ev-signal { color: #ef6c00; } img.artifact { image-rendering: pixelated; max-width: 100%; border: 1px solid #ddd; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; } dt { color: #555; } dd { margin: 0; word-break: break-all; }
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="${CSP}">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${esc(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
}

const badge = (verdict: string) => `<span class="v v-${esc(verdict.replace(/[^A-Z_]/g, ''))}">${esc(verdict)}</span>`;

export function fmtNum(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

const EVIDENCE: Record<string, [string, string]> = {
  measured: ['measured', 'computed by the grader from the outputs, against data the sandbox never saw'],
  verified: ['verified', 'computed by a verify process that runs no student code'],
  signal: ['integrity signal', "observed inside the submission's own process: it could be forged, not proof"],
};

function evidenceCell(item: RubricResult): string {
  const [name, why] = EVIDENCE[item.evidence] ?? ['—', 'not recorded'];
  return `<td class="ev-${esc(item.evidence ?? 'none')}" title="${esc(why)}">${esc(name)}</td>`;
}

/** A plot as a figure: its name (data-plot), the inline SVG and a caption. */
async function figure(name: string, spec: TopLevelSpec | undefined, caption: string): Promise<string> {
  if (!spec) return '';
  let svg: string;
  try {
    svg = await renderSvg(spec);
  } catch (e) {
    return `<p class="warn" data-plot-failed="${esc(name)}">The ${esc(name)} plot could not be drawn: ${esc((e as Error).message)}</p>`;
  }
  return `<figure data-plot="${esc(name)}">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

const MAX_IMAGE_BYTES = 8 << 20;
const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif' };

/** A rendered artifact as a data: URI, only from <outDir>/artifacts/, a regular file of a picture type and reasonable size. */
function artifactImage(outDir: string, rel: string): { dataUri?: string; problem?: string } {
  const root = resolve(outDir, 'artifacts') + sep;
  const abs = resolve(outDir, rel);
  const mime = MIME[extname(abs).toLowerCase()];
  if (!abs.startsWith(root) || !mime) return { problem: 'not a picture under artifacts/' };
  try {
    const st = lstatSync(abs);
    if (!st.isFile()) return { problem: 'not a regular file' };
    if (st.size > MAX_IMAGE_BYTES) return { problem: `too large to embed (${st.size} bytes)` };
    return { dataUri: `data:${mime};base64,${readFileSync(abs).toString('base64')}` };
  } catch {
    return { problem: 'missing (was the results folder moved without artifacts/?)' };
  }
}

const duration = (s: number | undefined) => (s === undefined || !Number.isFinite(s) ? '—' : `${s.toFixed(1)} s`);
const share = (v: number | undefined, limit: number) => (v === undefined || !Number.isFinite(v) || !limit ? '' : `${Math.round((v / limit) * 100)} %`);

/** One submission's page. `outDir` holds the artifacts its result names; `classHref` links back to the class page. */
export async function submissionHtml(r: SubmissionResult, outDir: string, classHref = '../report.html'): Promise<string> {
  const prev = (r as WithPrevious).previous;
  const parts: string[] = [];
  parts.push(`<p class="small"><a href="${esc(classHref)}">← class report</a></p>`);
  parts.push(`<h1>${esc(r.submission.id)} ${badge(r.verdict)}</h1>`);
  parts.push(`<p>${esc(r.assignment.title)} <span class="muted">(${esc(r.assignment.id)}, ${esc(r.mode)} mode)</span> — <strong>${esc(fmtNum(r.points))} / ${esc(fmtNum(r.maxPoints))} points</strong></p>`);
  if (prev) parts.push(`<p class="muted">Previous grade (${esc(prev.gradedAt)}): ${badge(prev.verdict)} ${esc(fmtNum(prev.points))} points</p>`);
  if (r.reason) parts.push(`<h2>Reason</h2><pre data-field="reason">${esc(r.reason)}</pre>`);
  if (r.flags?.length) parts.push(`<h2>Flagged for review</h2><p class="muted small">The verdict stands; an instructor should look at this result by hand.</p><ul>${r.flags.map((f) => `<li class="warn">${esc(f)}</li>`).join('')}</ul>`);
  if (r.warnings?.length) parts.push(`<h2>Warnings</h2><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);

  parts.push('<h2>Rubric</h2>');
  parts.push('<table><thead><tr><th>item</th><th>evidence</th><th>measured value</th><th>threshold</th><th>result</th><th>points</th><th>detail</th></tr></thead><tbody>');
  for (const item of r.rubric) {
    parts.push(`<tr><td>${esc(item.title)}<div class="muted small">${esc(item.id)} · ${esc(item.metric)}</div></td>${evidenceCell(item)}` +
      `<td class="num">${esc(fmtNum(item.value))}</td><td class="num">${esc(item.op)} ${esc(item.threshold)}</td>` +
      `<td class="${item.passed ? 'ok' : 'bad'}">${item.passed ? 'met' : 'missed'}</td><td class="num">${item.passed ? esc(fmtNum(item.points)) : 0} / ${esc(fmtNum(item.points))}</td><td>${esc(item.detail)}</td></tr>`);
  }
  parts.push('</tbody></table>');
  parts.push(`<p class="muted small">measured: ${esc(EVIDENCE.measured![1])}; verified: ${esc(EVIDENCE.verified![1])}; integrity signal: ${esc(EVIDENCE.signal![1])}.</p>`);

  const figs = [
    r.plots?.roc ? await figure('roc', rocSpec(r.plots.roc), 'ROC curve: true against false positive rate as the decision threshold on the returned scores moves; computed by the grader from validated outputs and labels the submission never saw.') : '',
    r.plots?.confusion ? await figure('confusion', confusionSpec(r.plots.confusion), 'Confusion matrix: rows are the true classes, columns the predicted ones; computed by the grader from validated predictions and hidden labels.') : '',
    r.history?.length ? await figure('training', trainingSpec(r.history), "Training curves as reported by the submission's training loop: progress messages sent from inside the submission's own process (in-realm), so they could be forged; nothing is scored on them.") : '',
  ].filter(Boolean);
  if (figs.length) parts.push(`<h2>Plots</h2>${figs.join('\n')}`);
  else if (r.lastProgress) parts.push(`<h2>Plots</h2><p class="muted">No per-epoch history recorded; last progress: ${esc(JSON.stringify(r.lastProgress))}</p>`);

  if (r.artifacts?.length) {
    parts.push('<h2>Pictures</h2>');
    for (const a of r.artifacts) {
      if (a.startsWith('(')) { parts.push(`<p class="warn">${esc(a)}</p>`); continue; }
      const img = artifactImage(outDir, a);
      parts.push(img.dataUri
        ? `<figure data-artifact="${esc(a)}"><img class="artifact" alt="${esc(a)}" src="${img.dataUri}"><figcaption>${esc(a)}</figcaption></figure>`
        : `<p class="warn">${esc(a)}: ${esc(img.problem)}</p>`);
    }
  }

  const u = r.usage, l = r.limits;
  parts.push('<h2>Usage against limits</h2><table><thead><tr><th></th><th>used</th><th>limit</th><th>share</th></tr></thead><tbody>');
  parts.push(`<tr><td>CPU time</td><td class="num">${duration(u.cpuSec)}</td><td class="num">${esc(l?.timeLimitSec)} s</td><td class="num">${share(u.cpuSec, l?.timeLimitSec)}</td></tr>`);
  parts.push(`<tr><td>wall clock</td><td class="num">${duration(u.elapsedSec)}</td><td class="num">${esc(wallLimitSec(l?.timeLimitSec ?? 0))} s</td><td class="num">${share(u.elapsedSec, wallLimitSec(l?.timeLimitSec ?? 0))}</td></tr>`);
  parts.push(`<tr><td>peak memory</td><td class="num">${esc(u.peakMiB)} MiB</td><td class="num">${esc(l?.memoryLimitMiB)} MiB</td><td class="num">${share(u.peakMiB, l?.memoryLimitMiB)}</td></tr>`);
  parts.push(`<tr><td>batch size</td><td></td><td class="num">≤ ${esc(l?.maxBatchSize)}</td><td></td></tr>`);
  parts.push(`</tbody></table><p class="muted small">compile ${duration(u.compileSec)}, startup ${duration(u.startupSec)}, grader overhead ${duration(u.harnessSec)}; output ${esc(r.outputBytes)} bytes.</p>`);

  parts.push(`<h2>Output (last ${esc(r.outputTail.length)} lines of ${esc(r.outputBytes)} bytes)</h2>`);
  parts.push(r.outputTail.length ? `<pre data-field="output-tail">${esc(r.outputTail.join('\n'))}</pre>` : '<p class="muted">No output.</p>');

  const e = r.environment, b = e?.backend;
  const facts: [string, string][] = [
    ['submission sha256', r.submission.sha256], ['seed', String(r.seed)],
    ['dataset', `${r.dataset.name}, ${r.dataset.evaluatedOn}`], ['dataset checksum', r.dataset.checksum], ['drawId', r.dataset.drawId ?? '—'],
    ['backend', b ? `${b.name} (SIMD ${b.simd ? 'on' : 'off'}, ${b.threads} thread${b.threads === 1 ? '' : 's'}, tfjs ${b.tfjsVersion})${b.note ? `; ${b.note}` : ''}` : 'none (the run never reached the backend)'],
    ['dlgrade', e?.dlgrade ?? '—'], ['graderHash', e?.graderHash ?? '—'], ['node', e?.node ?? '—'], ['platform', `${e?.platform ?? '—'}, ${e?.cpus ?? '?'} CPUs`],
    ['packages', Object.entries(e?.packages ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['isolation', Object.entries(e?.isolation ?? {}).filter(([k]) => k !== 'notes').map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ')],
    ['spec hash', r.assignment.specHash], ['grading key', r.gradingKey], ['started', r.startedAt], ['finished', r.finishedAt],
  ];
  parts.push(`<h2>Reproducibility</h2><dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`);
  return page(`${r.submission.id}: ${r.verdict} — ${r.assignment.title}`, parts.join('\n'));
}

function statRow(name: string, unit: string, p: Percentiles | undefined, limit: number | undefined): string {
  const cell = (v: number | undefined) => `<td class="num">${v === undefined ? '—' : `${esc(fmtNum(v, 1))} ${unit}`}</td>`;
  return `<tr><td>${esc(name)}</td>${cell(p?.p50)}${cell(p?.p90)}${cell(p?.max)}<td class="num">${limit === undefined ? '—' : `${esc(limit)} ${unit}`}</td><td class="num">${p && limit ? share(p.max, limit) : ''}</td></tr>`;
}

/** The most common limits among the results (one assignment's batch has one set). */
function commonLimits(results: SubmissionResult[]): SubmissionResult['limits'] | undefined {
  const count = new Map<string, { n: number; l: SubmissionResult['limits'] }>();
  for (const r of results) {
    if (!r.limits) continue;
    const k = JSON.stringify(r.limits);
    count.set(k, { n: (count.get(k)?.n ?? 0) + 1, l: r.limits });
  }
  return [...count.values()].sort((a, b) => b.n - a.n)[0]?.l;
}

/** The class page: verdicts, each rubric item's values, time and memory, every student linked to their page. */
export async function classHtml(summary: BatchSummary, generatedAt = new Date()): Promise<string> {
  const results = summary.results as WithPrevious[];
  const parts: string[] = [];
  parts.push(`<h1>${esc(summary.assignment.title)}</h1>`);
  const merged = (summary as { merged?: { count: number } }).merged;
  parts.push(`<p class="muted">${esc(summary.assignment.id)}, ${esc(summary.mode)} mode · ${esc(summary.total)} submissions · report written ${esc(generatedAt.toISOString())}${merged ? ` · merged from ${esc(merged.count)} shards` : ''}${summary.interrupted ? ' · <strong class="warn">interrupted: some submissions are not graded yet</strong>' : ''}</p>`);
  parts.push(`<p><strong>${esc(summary.passed)} / ${esc(summary.total)} passed</strong>, ${esc(fmtNum(summary.points))} / ${esc(fmtNum(summary.maxPoints))} points in all.</p>`);

  parts.push('<h2>Verdicts</h2><table><thead><tr><th>verdict</th><th>students</th></tr></thead><tbody>');
  for (const [v, n] of Object.entries(summary.counts)) parts.push(`<tr><td>${badge(v)}</td><td class="num">${esc(n)}</td></tr>`);
  parts.push('</tbody></table>');
  parts.push(await figure('verdicts', verdictSpec(summary.counts as Record<string, number>), 'How many students got each verdict.'));

  // One histogram per rubric item, over the students whose value was measured.
  const items = new Map<string, RubricResult>();
  for (const r of results) for (const i of r.rubric) if (!items.has(i.id)) items.set(i.id, i);
  if (items.size) {
    parts.push('<h2>Rubric items</h2><table><thead><tr><th>item</th><th>evidence</th><th>threshold</th><th>measured</th><th>met</th><th>median</th></tr></thead><tbody>');
    const figs: string[] = [];
    for (const item of items.values()) {
      const got = results.map((r) => r.rubric.find((i) => i.id === item.id)).filter((i): i is RubricResult => !!i);
      const values = got.map((i) => i.value).filter((v): v is number => v !== null && Number.isFinite(v));
      parts.push(`<tr><td>${esc(item.title)}</td>${evidenceCell(item)}<td class="num">${esc(item.op)} ${esc(item.threshold)}</td><td class="num">${values.length} / ${got.length}</td><td class="num">${got.filter((i) => i.passed).length}</td><td class="num">${esc(fmtNum(percentiles(values)?.p50))}</td></tr>`);
      figs.push(await figure(`histogram-${item.id}`, histogramSpec(item.title, values, item.threshold, item.op), `${item.title}: the values of the ${values.length} students whose value was measured (the others did not produce outputs), against the threshold (dashed).${item.evidence === 'signal' ? ' An integrity signal: observed in the submission\'s own process.' : ''}`));
    }
    parts.push('</tbody></table>', ...figs);
  }

  const limits = commonLimits(results);
  const ran = results.filter((r) => r.usage && (r.usage.elapsedSec > 0 || (r.usage.cpuSec ?? 0) > 0));
  const cpu = percentiles(ran.map((r) => r.usage.cpuSec ?? NaN));
  const wall = percentiles(ran.map((r) => r.usage.elapsedSec));
  const mem = percentiles(ran.map((r) => r.usage.peakMiB));
  parts.push(`<h2>Time and memory</h2><p class="muted small">Over the ${ran.length} submissions that ran; nearest-rank percentiles.</p>`);
  parts.push('<table><thead><tr><th></th><th>p50</th><th>p90</th><th>max</th><th>limit</th><th>max / limit</th></tr></thead><tbody>');
  parts.push(statRow('CPU time', 's', cpu, limits?.timeLimitSec));
  parts.push(statRow('wall clock', 's', wall, limits ? wallLimitSec(limits.timeLimitSec) : undefined));
  parts.push(statRow('peak memory', 'MiB', mem, limits?.memoryLimitMiB));
  parts.push('</tbody></table>');
  if (cpu && limits) parts.push(await figure('cpu', usageSpec('CPU time', 's', cpu, limits.timeLimitSec), 'CPU seconds per submission (what the time limit counts) against the limit (red).'));
  if (mem && limits) parts.push(await figure('memory', usageSpec('Peak memory', 'MiB', mem, limits.memoryLimitMiB), 'Peak memory per submission against the limit (red).'));

  const changed = results.filter((r) => r.previous && (r.previous.verdict !== r.verdict || r.previous.points !== r.points));
  const withPrevious = results.filter((r) => r.previous).length;
  if (withPrevious) {
    parts.push(`<h2>Changed since the last run</h2><p class="muted small">${changed.length} of the ${withPrevious} regraded submissions changed verdict or points.</p>`);
    if (changed.length) {
      parts.push('<table><thead><tr><th>student</th><th>before</th><th>now</th><th>points</th><th>graded before</th></tr></thead><tbody>');
      for (const r of changed) {
        const p = r.previous!;
        const delta = r.points - p.points;
        parts.push(`<tr><td><a href="${esc(reportHref(r.submission.id))}">${esc(r.submission.id)}</a></td><td>${badge(p.verdict)}</td><td>${badge(r.verdict)}</td><td class="num">${esc(fmtNum(p.points))} → ${esc(fmtNum(r.points))} (${delta > 0 ? '+' : ''}${esc(fmtNum(delta))})</td><td>${esc(p.gradedAt)}</td></tr>`);
      }
      parts.push('</tbody></table>');
    }
  }

  parts.push('<h2>Students</h2>');
  const cols = [...items.values()];
  parts.push(`<table><thead><tr><th>student</th><th>verdict</th><th>points</th>${cols.map((i) => `<th>${esc(i.title)}</th>`).join('')}<th>CPU</th><th>peak MiB</th><th>flags</th><th>warnings</th><th>reason</th></tr></thead><tbody>`);
  for (const r of results) {
    const byId = new Map(r.rubric.map((i) => [i.id, i]));
    const reason = (r.reason ?? '').split('\n')[0]!;
    parts.push(`<tr><td><a href="${esc(reportHref(r.submission.id))}">${esc(r.submission.id)}</a></td><td>${badge(r.verdict)}</td><td class="num">${esc(fmtNum(r.points))} / ${esc(fmtNum(r.maxPoints))}</td>` +
      cols.map((c) => { const i = byId.get(c.id); return i ? `<td class="num ${i.passed ? 'ok' : 'bad'}">${esc(fmtNum(i.value))}</td>` : '<td></td>'; }).join('') +
      `<td class="num">${duration(r.usage?.cpuSec)}</td><td class="num">${esc(r.usage?.peakMiB)}</td><td class="num${r.flags?.length ? ' warn' : ''}">${esc(r.flags?.length ?? 0)}</td><td class="num">${esc(r.warnings?.length ?? 0)}</td>` +
      `<td class="small">${esc(reason.length > 160 ? `${reason.slice(0, 159)}…` : reason)}</td></tr>`);
  }
  parts.push('</tbody></table>');
  return page(`${summary.assignment.title}: class report`, parts.join('\n'));
}
