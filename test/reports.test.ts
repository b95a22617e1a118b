// Reports a course runs on: the gradebook CSV (read back with a real CSV
// parser), the HTML pages (escaping of hostile text, inline SVG plots, embedded
// pictures, the class page's statistics) and the data behind the plots: the
// bounded training history, the ROC curve and the confusion matrix.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { PNG } from 'pngjs';
import type { BatchSummary } from '../grader/grade/run-batch.ts';
import type { SubmissionResult } from '../grader/report/result.ts';
import { gradebookCsv } from '../grader/report/gradebook.ts';
import { classHtml, reportFileName, submissionHtml } from '../grader/report/html.ts';
import { writeReports } from '../grader/report/write-reports.ts';
import { formatWritten } from '../grader/report/console.ts';
import { ProgressHistory } from '../grader/sandbox/progress-history.ts';
import { rocAuc, rocCurve } from '../grader/metrics/auc.ts';
import { accuracy, confusionMatrix } from '../grader/metrics/classes.ts';
import { loadAssignment } from '../grader/spec/load.ts';
import { drawSeed } from '../grader/spec/secret.ts';
import { taskHost } from '../grader/tasks/hosts.ts';
import { readInt32s } from '../grader/tasks/shared/images.ts';
import { tempDir, testSecret, tinySiameseAssignment, writeTinyMnist } from './helpers/fixtures.ts';

const LIMITS = { timeLimitSec: 60, memoryLimitMiB: 1024, maxBatchSize: 64, maxSourceKiB: 1024 };

function result(id: string, o: Partial<SubmissionResult> & { auc?: number | null; fit?: number | null } = {}): SubmissionResult {
  const auc = o.auc === undefined ? 0.95 : o.auc, fit = o.fit === undefined ? 1 : o.fit;
  const rubric = [
    { id: 'auc', title: 'AUC', metric: 'auc', op: '>' as const, threshold: 0.9, points: 3, evidence: 'measured' as const, value: auc, passed: auc !== null && auc > 0.9, detail: auc === null ? 'not measured' : `auc ${auc} > 0.9` },
    { id: 'fit', title: 'trained with model.fit', metric: 'fit_calls', op: '>=' as const, threshold: 1, points: 1, evidence: 'signal' as const, value: fit, passed: fit !== null && fit >= 1, detail: `fit_calls ${fit}` },
  ];
  const points = rubric.reduce((s, i) => s + (i.passed ? i.points : 0), 0);
  return {
    schemaVersion: 1, submission: { id, path: `/class/${id}.ts`, sha256: 'ab'.repeat(32) }, assignment: { id: 'tiny', title: 'Tiny class', specHash: 'spec' },
    mode: 'grade', gradingKey: 'key', verdict: points === 4 ? 'PASS' : 'FAIL', rubric, metrics: {}, points, maxPoints: 4,
    outputTail: [], outputBytes: 0, usage: { elapsedSec: 2, cpuSec: 1.5, peakMiB: 300, compileSec: 0.3, harnessSec: 0.2 },
    limits: LIMITS,
    environment: { dlgrade: '0.1.0', graderHash: 'g'.repeat(16), node: 'v20', platform: 'linux', cpus: 2, packages: { '@tensorflow/tfjs': '4.22.0' }, isolation: {} as never, backend: { name: 'wasm', simd: true, threads: 1, tfjsVersion: '4.22.0', kernels: [] } },
    dataset: { name: 'mnist', checksum: 'c0ffee', evaluatedOn: '80 balanced pairs', drawId: 'draw-1' }, seed: 7, startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:00:02Z',
    ...o,
  };
}

function summaryOf(results: SubmissionResult[]): BatchSummary {
  const counts: BatchSummary['counts'] = {};
  for (const r of results) counts[r.verdict] = (counts[r.verdict] ?? 0) + 1;
  return {
    assignment: { id: 'tiny', title: 'Tiny class', specHash: 'spec' }, mode: 'grade', total: results.length, passed: counts.PASS ?? 0, reused: 0, counts,
    points: results.reduce((s, r) => s + r.points, 0), maxPoints: results.reduce((s, r) => s + r.maxPoints, 0), elapsedSec: 10, interrupted: false, results,
  };
}

const HOSTILE_ID = '<script>alert("id")</script></textarea>';
const HOSTILE_TAIL = ['epoch 1 <b>bold</b>', '</textarea><script>alert(document.cookie)</script>', '<img src=x onerror=alert(1)>'];

test('gradebook.csv reads back with csv-parse: one row per student, rubric pairs, usage, flags, reason', () => {
  const messy = 'ran "train", then, at epoch 3,\nit crashed: Error: "bad shape"\n    at train (alice.ts:3)';
  const results = [
    result('alice', { auc: 0.97, usage: { elapsedSec: 12.5, cpuSec: 10.25, peakMiB: 512, compileSec: 1, harnessSec: 0.5 }, flags: ['review: auc 0.97, far above', 'second, flag'], warnings: ['close to the time limit'] }),
    result('józef-ü-名前', { auc: 0.5, fit: 0, verdict: 'FAIL', reason: messy }),
    result('carol', { auc: null, fit: null, verdict: 'CRASH', points: 0, reason: '=HYPERLINK("http://evil","click")', warnings: ['a', 'b', 'c'] }),
  ];
  const csv = gradebookCsv(summaryOf(results));
  assert.ok(csv.includes('\r\n'), 'RFC 4180 line ends');
  assert.ok(Buffer.from(csv, 'utf8').includes(Buffer.from('józef-ü-名前', 'utf8')), 'UTF-8');
  const rows = parse(csv, { columns: true }) as Record<string, string>[];
  assert.is(rows.length, 3);
  assert.equal(Object.keys(rows[0]!), ['id', 'verdict', 'points', 'max_points', 'auc_value', 'auc_pass', 'fit_value', 'fit_pass', 'cpu_sec', 'wall_sec', 'peak_mib', 'flags', 'warnings', 'reason']);
  const [a, j, c] = rows as [Record<string, string>, Record<string, string>, Record<string, string>];
  assert.equal(a, { id: 'alice', verdict: 'PASS', points: '4', max_points: '4', auc_value: '0.97', auc_pass: 'yes', fit_value: '1', fit_pass: 'yes', cpu_sec: '10.25', wall_sec: '12.5', peak_mib: '512', flags: 'review: auc 0.97, far above; second, flag', warnings: '1', reason: '' });
  assert.is(j.id, 'józef-ü-名前');
  assert.is(j.verdict, 'FAIL');
  assert.is(j.points, '0');
  assert.is(j.auc_value, '0.5');
  assert.is(j.auc_pass, 'no');
  assert.is(j.fit_value, '0');
  assert.is(j.reason, 'ran "train", then, at epoch 3,', 'the first line of the reason, quotes and commas intact');
  // Not measured: empty value, not passed; a formula is neutralised for spreadsheets.
  assert.is(c.auc_value, '');
  assert.is(c.auc_pass, 'no');
  assert.is(c.warnings, '3');
  assert.is(c.reason, `'=HYPERLINK("http://evil","click")`);
  // A reason's later lines never leak into a second row, even unquoted newlines would have.
  const full = gradebookCsv(summaryOf([result('x', { reason: messy.replace('\n', ', ') + '\nline "two", yes' })]));
  const back = parse(full, { columns: true }) as Record<string, string>[];
  assert.is(back.length, 1);
  assert.is(back[0]!.reason, messy.split('\n')[0] + ', it crashed: Error: "bad shape"');
});

test('a submission page escapes hostile ids, reasons and output tails; no script, no external resource', async () => {
  const r = result(HOSTILE_ID, { reason: 'threw <script>x</script> & "quotes"', outputTail: HOSTILE_TAIL, outputBytes: 120, warnings: ['<i>w</i>'], flags: ['<u>f</u>'] });
  const html = await submissionHtml(r, tempDir());
  assert.not.match(html, /<script/i, 'no script element at all');
  assert.not.match(html, /<\/textarea>/i);
  assert.not.match(html, /<img src=x/i);
  assert.not.match(html, /<b>bold/);
  assert.ok(html.includes('&#60;script&#62;alert(&#34;id&#34;)&#60;/script&#62;'), 'the id shown as text');
  assert.ok(html.includes('&#60;/textarea&#62;&#60;script&#62;alert(document.cookie)'), 'the tail shown as text');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.not.match(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'nothing fetched from a network');
  assert.not.match(html, /url\(\s*["']?https?:/i);
  // Its page name stays in reports/.
  const name = reportFileName(HOSTILE_ID);
  assert.match(name, /^[A-Za-z0-9._-]+\.html$/);
  assert.not.match(name, /^\./);
  assert.is(reportFileName('alice'), 'alice.html');
  assert.is.not(reportFileName('a/b'), reportFileName('a_b'), 'distinct ids, distinct pages');
});

function svgOf(html: string, plot: string): string {
  const at = html.indexOf(`data-plot="${plot}"`);
  assert.ok(at >= 0, `figure ${plot} present`);
  const s = html.indexOf('<svg', at), e = html.indexOf('</svg>', s);
  assert.ok(s > at && e > s, `${plot} holds an SVG`);
  return html.slice(s, e + 6);
}

test('a submission page: rubric with evidence, plots as inline SVG, pictures as data: URIs, usage and reproducibility', async () => {
  const out = tempDir();
  const png = new PNG({ width: 4, height: 4 });
  png.data.fill(200);
  mkdirSync(join(out, 'artifacts', 'alice'), { recursive: true });
  writeFileSync(join(out, 'artifacts', 'alice', 'maps.png'), PNG.sync.write(png));
  writeFileSync(join(out, 'secret.png'), PNG.sync.write(png));
  const history = Array.from({ length: 6 }, (_, i) => ({ epoch: i + 1, call: 1, logs: { loss: 2 / (i + 1), acc: 0.5 + i * 0.08 } }));
  const r = result('alice', {
    history,
    plots: { roc: { fpr: [0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1], auc: 0.875 }, confusion: { labels: ['0', '1', '2'], counts: [[5, 1, 0], [0, 6, 0], [1, 0, 5]] } },
    artifacts: ['artifacts/alice/maps.png', '../secret.png', '(rendering failed: boom)'],
  });
  const html = await submissionHtml(r, out);
  for (const plot of ['roc', 'confusion', 'training']) {
    const svg = svgOf(html, plot);
    assert.ok(svg.length > 1000, `${plot}: a drawn SVG`);
    assert.match(svg, /<path[^>]* d="M/, `${plot}: has drawn paths`);
  }
  assert.match(svgOf(html, 'roc'), /AUC 0\.8750/);
  // The confusion matrix prints its counts in its cells; the training panels name the logged quantities.
  const cm = svgOf(html, 'confusion');
  for (const n of ['>5<', '>6<', '>1<']) assert.ok(cm.includes(n), `count ${n}`);
  const tr = svgOf(html, 'training');
  assert.ok(tr.includes('>loss<') && tr.includes('>acc<'));
  assert.match(tr, /as reported by the submission's training loop/);
  assert.match(html, /Training curves as reported by the submission&#39;s training loop/);
  // Evidence per item, the integrity signal said in words.
  assert.match(html, /<td class="ev-measured"[^>]*>measured<\/td>/);
  assert.match(html, /<td class="ev-signal"[^>]*>integrity signal<\/td>/);
  // Pictures: only from artifacts/, embedded.
  assert.ok(html.includes(`src="data:image/png;base64,${PNG.sync.write(png).toString('base64')}"`));
  assert.is(html.split('data:image/png').length - 1, 1, 'the picture outside artifacts/ is not embedded');
  assert.match(html, /\.\.\/secret\.png: not a picture under artifacts\//);
  assert.match(html, /rendering failed: boom/);
  // Usage against limits and the facts needed to reproduce the grade.
  assert.match(html, /<td>CPU time<\/td><td class="num">1\.5 s<\/td><td class="num">60 s<\/td><td class="num">3 %<\/td>/);
  assert.match(html, /<td>peak memory<\/td><td class="num">300 MiB<\/td><td class="num">1024 MiB<\/td>/);
  for (const fact of ['<dt>seed</dt><dd>7</dd>', '<dd>c0ffee</dd>', '<dd>draw-1</dd>', 'wasm (SIMD on, 1 thread, tfjs 4.22.0)', `<dd>${'g'.repeat(16)}</dd>`, '@tensorflow/tfjs 4.22.0']) assert.ok(html.includes(fact), fact);
});

test('the class page: verdict counts, one histogram per rubric item, time and memory percentiles, links, changes since the last run', async () => {
  const results = Array.from({ length: 10 }, (_, i) => result(`s${i + 1}`, {
    auc: 0.805 + i * 0.02, usage: { elapsedSec: 2 * (i + 1), cpuSec: i + 1, peakMiB: 100 * (i + 1), compileSec: 0, harnessSec: 0 },
  }));
  (results[0] as SubmissionResult & { previous?: unknown }).previous = { verdict: 'PASS', points: 4, gradedAt: '2025-01-01T00:00:00Z' };
  (results[9] as SubmissionResult & { previous?: unknown }).previous = { verdict: results[9]!.verdict, points: results[9]!.points, gradedAt: '2025-01-01T00:00:00Z' };
  results.push(result(HOSTILE_ID, { auc: null, fit: null, verdict: 'CRASH', points: 0, reason: '<script>bad()</script>' }));
  const html = await classHtml(summaryOf(results));
  assert.not.match(html, /<script/i);
  for (const plot of ['verdicts', 'histogram-auc', 'histogram-fit', 'cpu', 'memory']) assert.match(svgOf(html, plot), /<path|<rect/);
  // Values 0.805 … 0.985 against 0.9: 10 of 11 measured, 5 meet it, median (nearest rank) 0.885.
  assert.match(html, /<td>AUC<\/td><td class="ev-measured"[^>]*>measured<\/td><td class="num">&#62; 0\.9<\/td><td class="num">10 \/ 11<\/td><td class="num">5<\/td><td class="num">0\.8850<\/td>/);
  // CPU 1…10 s (and 0 for the one that crashed at once, which did not run): nearest-rank p50 5, p90 9, max 10.
  assert.match(html, /<td>CPU time<\/td><td class="num">5 s<\/td><td class="num">9 s<\/td><td class="num">10 s<\/td><td class="num">60 s<\/td>/);
  assert.match(html, /<td>peak memory<\/td><td class="num">500 MiB<\/td><td class="num">900 MiB<\/td><td class="num">1000 MiB<\/td><td class="num">1024 MiB<\/td><td class="num">98 %<\/td>/);
  for (const [v, n] of [['PASS', 5], ['FAIL', 5], ['CRASH', 1]]) assert.match(html, `<tr><td><span class="v v-${v}">${v}</span></td><td class="num">${n}</td></tr>`);
  // Every student linked to their page, relative; the hostile id's link is escaped and stays in reports/.
  for (let i = 1; i <= 10; i++) assert.ok(html.includes(`<a href="reports/s${i}.html">s${i}</a>`));
  assert.ok(html.includes(`href="reports/${encodeURIComponent(reportFileName(HOSTILE_ID))}"`));
  // Changed since the last run: s1 went from PASS 4 to FAIL 1; s10 did not change.
  assert.match(html, /Changed since the last run/);
  assert.match(html, /1 of the 2 regraded submissions changed/);
  assert.match(html, /<a href="reports\/s1\.html">s1<\/a><\/td><td><span class="v v-PASS">PASS<\/span><\/td><td><span class="v v-FAIL">FAIL<\/span><\/td><td class="num">4 → 1 \(-3\)/);
  const changedSection = html.slice(html.indexOf('Changed since the last run'), html.indexOf('<h2>Students'));
  assert.match(changedSection, 'reports/s1.html');
  assert.not.match(changedSection, 'reports/s10.html', 'unchanged: not listed');
  // Without any previous field, no such section.
  assert.not.match(await classHtml(summaryOf(results.slice(1, 9))), /Changed since the last run/);
});

test('writeReports writes every file from the summary alone, and the run lists them', async () => {
  const out = tempDir();
  const results = [result('alice'), result('bob', { auc: 0.5 }), result(HOSTILE_ID, { outputTail: HOSTILE_TAIL })];
  const w = await writeReports(summaryOf(results), out, { junit: join(out, 'ci', 'junit.xml'), json: join(out, 'all.json') });
  assert.equal(w.problems, []);
  for (const f of [w.summary, w.gradebook, w.html, w.junit!, w.json!]) assert.ok(existsSync(f), f);
  assert.is(w.reportFiles, 3);
  assert.equal(readdirSync(w.reports).sort(), ['alice.html', 'bob.html', reportFileName(HOSTILE_ID)].sort());
  assert.is(JSON.parse(readFileSync(w.json!, 'utf8')).total, 3);
  assert.is((parse(readFileSync(w.gradebook, 'utf8'), { columns: true }) as unknown[]).length, 3);
  const text = formatWritten({ out, results: join(out, 'results'), resultFiles: 3, summary: w.summary, gradebook: w.gradebook, html: w.html, reports: w.reports, reportFiles: w.reportFiles }, out);
  assert.match(text, /\n\s*gradebook:\s+gradebook\.csv\n/);
  assert.match(text, /\n\s*report:\s+report\.html\n/);
  assert.match(text, /\n\s*reports:\s+reports\/ \(3 pages, one per submission\)\n/);
});

test('training history: train-phase epochs only, at most 500 kept, spread evenly, the last always kept', () => {
  const h = new ProgressHistory();
  h.push({ phase: 'load' });
  h.push({ phase: 'predict', epoch: 1 });
  h.push({ phase: 'train' }); // no epoch: nothing to plot
  for (let e = 1; e <= 10_007; e++) h.push({ phase: 'train', epoch: e, call: 1, logs: { loss: 1 / e, bad: NaN } });
  const kept = h.entries();
  assert.ok(kept.length <= 500 && kept.length >= 250, `${kept.length} kept`);
  assert.is(kept[0]!.epoch, 1);
  assert.is(kept[kept.length - 1]!.epoch, 10_007);
  assert.equal(kept[0]!.logs, { loss: 1 }, 'non-finite values dropped');
  const gaps = new Set(kept.slice(0, -1).map((e, i) => kept[i + 1] && i + 1 < kept.length - 1 ? kept[i + 1]!.epoch - e.epoch : 0).filter((g) => g > 0));
  assert.is(gaps.size, 1, `evenly spaced (gaps ${[...gaps].join(', ')})`);
  const few = new ProgressHistory();
  for (let e = 1; e <= 5; e++) few.push({ phase: 'train', epoch: e, logs: { loss: e } });
  assert.equal(few.entries().map((e) => e.epoch), [1, 2, 3, 4, 5]);
});

test('ROC curve: the points of a small example, its area equals rocAuc, thinned to 200 points with both ends', () => {
  const small = rocCurve([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]);
  assert.equal(small.fpr, [0, 0, 0.5, 0.5, 1]);
  assert.equal(small.tpr, [0, 0.5, 0.5, 1, 1]);
  assert.is(small.auc, 0.75);
  // Ties move both rates at once (a diagonal step): the trapezoid area is the AUC with ties counting one half.
  let s = 3;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const labels = Array.from({ length: 3000 }, (_, i) => i % 3 === 0 ? 1 : 0);
  const scores = labels.map((l) => Math.round((rand() + l * 0.4) * 50) / 50);
  const full = rocCurve(scores, labels, Infinity);
  let area = 0;
  for (let i = 1; i < full.fpr.length; i++) area += (full.fpr[i]! - full.fpr[i - 1]!) * (full.tpr[i]! + full.tpr[i - 1]!) / 2;
  assert.ok(Math.abs(area - rocAuc(scores, labels)) < 1e-9, `${area} vs ${rocAuc(scores, labels)}`);
  const distinct = labels.map((l) => rand() + l * 0.3);
  const thin = rocCurve(distinct, labels);
  assert.is(thin.fpr.length, 200);
  assert.equal([thin.fpr[0], thin.tpr[0], thin.fpr[199], thin.tpr[199]], [0, 0, 1, 1]);
  for (let i = 1; i < 200; i++) assert.ok(thin.fpr[i]! >= thin.fpr[i - 1]! && thin.tpr[i]! >= thin.tpr[i - 1]!, 'monotone');
});

test('accuracy and confusion matrix over class indices', () => {
  const truth = [0, 0, 1, 1, 2, 2];
  const predicted = [0, 1, 1, 1, 2, 0];
  assert.is(accuracy(predicted, truth), 4 / 6);
  assert.is(accuracy([], truth), 0, 'no predictions: nothing right');
  assert.is(accuracy([0, 0], truth), 2 / 6, 'a short list: the missing ones are wrong');
  assert.equal(confusionMatrix(predicted, truth, 3), [[1, 1, 0], [0, 2, 0], [1, 0, 1]]);
  assert.equal(confusionMatrix([0, 7, -1, 1.5], [0, 1, 1, 1], 2), [[1, 0], [0, 0]], 'out-of-range predictions count nowhere');
});

test('tasks compute their plots on the grader side: siamese ROC, classifier and adder confusion matrices', async () => {
  const root = tempDir();
  const dataDir = writeTinyMnist(join(root, 'idx'), 200, 100); // image i of either split is of class i % 10
  const prepare = async (kind: string, params: Record<string, unknown>, metric: string) => {
    const assignment = loadAssignment(tinySiameseAssignment(root, `plots-${kind}`, { task: { kind, ...params }, rubric: [{ id: 'm', title: 'm', metric, op: '>', threshold: 0, points: 1 }] }));
    return taskHost(kind, assignment.specPath).prepare({ assignment, mode: 'grade', draw: drawSeed(assignment, 'grade', testSecret()), cacheRoot: join(root, 'cache'), dataDir });
  };
  // Siamese: distances that mostly (not always) put different digits further apart.
  const siamese = await prepare('siamese-pairs', { dataset: 'mnist', trainCount: 150, positivesPerClass: 4, negativesPerCombination: 2, predictBatch: 50 }, 'auc');
  const a = Array.from(readInt32s(siamese.files.pairsA!)), b = Array.from(readInt32s(siamese.files.pairsB!));
  const different = a.map((x, k) => (x % 10 !== b[k]! % 10 ? 1 : 0));
  const distances = different.map((d, k) => d + ((k * 7919) % 13) / 10);
  const roc = siamese.plots!({ distances })!.roc!;
  assert.is(roc.auc, rocAuc(distances, different));
  assert.is(roc.auc, siamese.score({ distances }).auc);
  assert.ok(roc.auc > 0.5 && roc.auc < 1);
  assert.equal([roc.fpr[0], roc.tpr[0], roc.fpr.at(-1), roc.tpr.at(-1)], [0, 0, 1, 1]);
  // Image classification: the confusion matrix of the verify stage's classes against the hidden labels.
  const classify = await prepare('image-classify', { dataset: 'mnist', trainCount: 150 }, 'accuracy');
  const truth = Array.from(readInt32s(classify.files.evalIdx!), (i) => i % 10);
  const classes = truth.map((t, k) => (k % 4 === 0 ? (t + 1) % 10 : t)); // every 4th wrong, as the next class
  const verified = { outputs: { classes } };
  const cm = classify.plots!({ fitCalls: 1, evaluateCalls: 1 }, verified)!.confusion!;
  assert.equal(cm.labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  const expected = Array.from({ length: 10 }, () => new Array(10).fill(0));
  truth.forEach((t, k) => expected[t]![classes[k]!]++);
  assert.equal(cm.counts, expected);
  assert.is(cm.counts.reduce((s, row, i) => s + row[i]!, 0) / truth.length, classify.score({ fitCalls: 1, evaluateCalls: 1 }, verified).accuracy);
  assert.equal(classify.plots!({ fitCalls: 1, evaluateCalls: 1 }, { error: 'did not load' }), {}, 'no verified classes, no matrix');
  // The adder: predicted sums against true sums, 19 classes.
  const adder = await prepare('mnist-adder', { dataset: 'mnist', trainCount: 150, evalPairs: 40 }, 'accuracy');
  const sa = Array.from(readInt32s(adder.files.pairsA!)), sb = Array.from(readInt32s(adder.files.pairsB!));
  const sums = sa.map((x, k) => (x % 10) + (sb[k]! % 10));
  const am = adder.plots!({ sums, fitDatasetCalls: 1 })!.confusion!;
  assert.is(am.labels.length, 19);
  sums.forEach((s) => assert.ok(am.counts[s]![s]! > 0));
  assert.is(am.counts.flat().reduce((x, y) => x + y, 0), 40);
  assert.is(am.counts.reduce((x, row, i) => x + row[i]!, 0), 40, 'all on the diagonal');
});

test.run();
