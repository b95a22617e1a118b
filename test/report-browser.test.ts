// The HTML reports of a real tiny class, opened in a real browser with no
// network: Debian's headless Chromium loads report.html and each submission's
// page from disk; every plot's SVG must be in the DOM and drawn, hostile text
// must stay text, and a screenshot shows the page is not blank.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { REPO_ROOT } from '../grader/spec/load.ts';
import type { BatchSummary } from '../grader/grade/run-batch.ts';
import { reportFileName } from '../grader/report/html.ts';
import { writeReports } from '../grader/report/write-reports.ts';
import { tempDir, tinySiameseAssignment, writeSubmission, writeTinyMnist } from './helpers/fixtures.ts';

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);

const root = tempDir('dlgrade-report-');
const dataDir = writeTinyMnist(join(root, 'idx'));
const assignment = tinySiameseAssignment(root);
const subs = join(root, 'class');
const TF = `import * as tf from '@tensorflow/tfjs';\n`;
const HOSTILE = '<script>alert("tail")</script></textarea><b>not bold</b>';
// Trains a tiny classifier with model.fit for a few epochs (so the grader sees a training history) and compares its softmax outputs.
writeSubmission(subs, 'alice.ts', `${TF}export async function train({ images, labels }) {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(images, labels.toFloat(), { epochs: 5, batchSize: 32, verbose: 0 });
  return model;
}
export async function distance(model, a, b) { return tf.tidy(() => model.predict(a).sub(model.predict(b)).square().sum(1).sqrt()); }\n`);
// Valid outputs that carry no information (FAIL), with hostile text in its output.
writeSubmission(subs, 'bob.ts', `${TF}export async function train() { console.log(${JSON.stringify(HOSTILE)}); }\nexport async function distance(_m, a) { return tf.randomUniform([a.shape[0]], 0, 1, 'float32', 1); }\n`);
writeSubmission(subs, 'carol.ts', `${TF}export async function train() { console.log('carol: ${HOSTILE.replace(/"/g, '')}'); throw new Error('oops <script>'); }\nexport async function distance() {}\n`);

/** Runs headless Chromium on a file with every network request refused; returns stdout. */
function chromium(args: string[]): { out: string; ms: number } {
  const t = performance.now();
  const r = spawnSync(CHROMIUM!, [
    '--headless', '--disable-gpu', '--no-sandbox', '--no-first-run', '--disable-extensions', '--disable-dev-shm-usage',
    '--proxy-server=127.0.0.1:9', '--host-resolver-rules=MAP * ~NOTFOUND', `--user-data-dir=${join(root, 'chromium-profile')}`,
    ...args,
  ], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  assert.is(r.status, 0, `chromium failed: ${r.stderr?.slice(-2000)}`);
  return { out: r.stdout, ms: performance.now() - t };
}

/** The figures with data-plot in a DOM as Chromium serialized it: name → the SVG inside. */
function plotsIn(dom: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of dom.matchAll(/<figure data-plot="([^"]+)">([\s\S]*?)<\/figure>/g)) found.set(m[1]!, m[2]!);
  return found;
}

function assertDrawn(name: string, svg: string | undefined) {
  assert.ok(svg, `plot ${name} in the DOM`);
  const open = /<svg[^>]*\swidth="(\d+)"[^>]*\sheight="(\d+)"/.exec(svg!);
  assert.ok(open, `${name}: an <svg> element with a size`);
  assert.ok(Number(open![1]) > 50 && Number(open![2]) > 50, `${name}: ${open![1]}×${open![2]}`);
  const marks = [...svg!.matchAll(/<path[^>]*\sd="M[^"]+"/g)].length + [...svg!.matchAll(/<rect[^>]*\swidth="[1-9]/g)].length;
  assert.ok(marks >= 3, `${name}: drawn marks (${marks})`);
}

function assertNotBlank(png: string) {
  const img = PNG.sync.read(readFileSync(png));
  let ink = 0;
  for (let i = 0; i < img.data.length; i += 4) if (img.data[i]! < 200 || img.data[i + 1]! < 200 || img.data[i + 2]! < 200) ink++;
  assert.ok(ink > 5000, `${png}: ${ink} non-white pixels`);
}

test('a tiny class graded by the CLI: report.html and one page per student, opened offline in Chromium', async () => {
  const out = join(root, 'out');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts'), 'grade', assignment, subs, '--out', out,
    '--data-dir', dataDir, '--cache-dir', join(root, 'cache'), '--time-limit', '30', '--concurrency', '2'], { encoding: 'utf8', cwd: root, env: { ...process.env, CI: 'true' } });
  const gradeSec = (performance.now() - t0) / 1000;
  const err = r.stderr.replace(/\x1b\[[0-9;]*m/g, '');
  assert.is(r.status, 1, err);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as BatchSummary;
  const byId = Object.fromEntries(summary.results.map((x) => [x.submission.id, x]));
  assert.is(byId.carol!.verdict, 'CRASH');
  assert.is(byId.bob!.verdict, 'FAIL');
  assert.ok(['PASS', 'FAIL'].includes(byId.alice!.verdict), byId.alice!.reason);
  // The CLI lists what it wrote.
  const tail = err.slice(err.indexOf('passed'));
  assert.match(tail, /\n\s*gradebook:\s+out\/gradebook\.csv\n/);
  assert.match(tail, /\n\s*report:\s+out\/report\.html\n/);
  assert.match(tail, /\n\s*reports:\s+out\/reports\/ \(3 pages, one per submission\)\n/);
  // The history and the ROC data are in the results.
  const alice = byId.alice!;
  assert.ok((alice.history?.length ?? 0) >= 5, `alice's history: ${JSON.stringify(alice.history)}`);
  assert.equal(alice.history!.slice(-5).map((h) => h.epoch), [1, 2, 3, 4, 5]);
  assert.ok(Number.isFinite(alice.history![0]!.logs.loss), 'loss logged per epoch');
  assert.ok(alice.plots?.roc && alice.plots.roc.fpr.length >= 2 && alice.plots.roc.fpr.length <= 200);
  assert.is(alice.plots!.roc!.auc, alice.metrics.auc, 'the ROC is of the scored distances');
  assert.is(byId.carol!.plots, undefined, 'no outputs, no ROC');

  const pages = readdirSync(join(out, 'reports')).sort();
  assert.equal(pages, ['alice.html', 'bob.html', 'carol.html']);
  const size = (f: string) => statSync(f).size;
  console.log(`  graded 3 in ${gradeSec.toFixed(1)} s; report.html ${size(join(out, 'report.html'))} bytes; ${pages.map((p) => `${p} ${size(join(out, 'reports', p))} bytes`).join(', ')}`);
  if (!CHROMIUM) {
    // As root, .ci/run installs it: its absence there is a failure; elsewhere the browser half is skipped, saying so.
    assert.ok(process.getuid?.() !== 0, 'no chromium on this machine although running as root: .ci/run installs it (apt-get install chromium)');
    console.log('  SKIPPED the browser half: no chromium on this machine (Debian: apt-get install chromium, which .ci/run does as root)');
    return;
  }
  const classDom = chromium(['--dump-dom', pathToFileURL(join(out, 'report.html')).href]);
  const classPlots = plotsIn(classDom.out);
  for (const name of ['verdicts', 'histogram-auc', 'cpu', 'memory']) assertDrawn(name, classPlots.get(name));
  for (const id of ['alice', 'bob', 'carol']) assert.match(classDom.out, `<a href="reports/${id}.html">${id}</a>`);
  const aliceDom = chromium(['--dump-dom', pathToFileURL(join(out, 'reports', 'alice.html')).href]);
  const alicePlots = plotsIn(aliceDom.out);
  assertDrawn('roc', alicePlots.get('roc'));
  assertDrawn('training', alicePlots.get('training'));
  assert.match(alicePlots.get('training')!, /as reported by the submission's training loop/);
  // Hostile output stays text in the DOM the browser built.
  for (const id of ['bob', 'carol']) {
    const dom = chromium(['--dump-dom', pathToFileURL(join(out, 'reports', `${id}.html`)).href]).out;
    assert.not.match(dom, /<script/i, `${id}: no script element`);
    assert.not.match(dom, /<b>not bold/, `${id}: no markup from the output`);
    assert.ok(dom.includes('&lt;script&gt;alert(') && dom.includes('&lt;/textarea&gt;&lt;b&gt;not bold'), `${id}: the output shown as text`);
  }
  // Kept after the test (the rest of its temp folder is removed) so a person can look at them.
  const shots = mkdtempSync(join(tmpdir(), 'dlgrade-report-shots-'));
  for (const [name, file] of [['class', join(out, 'report.html')], ['alice', join(out, 'reports', 'alice.html')]] as const) {
    const png = join(shots, `${name}.png`);
    const { ms } = chromium([`--screenshot=${png}`, '--window-size=1280,2000', '--hide-scrollbars', pathToFileURL(file).href]);
    assert.ok(existsSync(png), png);
    assertNotBlank(png);
    console.log(`  screenshot ${png} (${ms.toFixed(0)} ms)`);
  }
  console.log(`  chromium load+dump: class ${classDom.ms.toFixed(0)} ms, alice ${aliceDom.ms.toFixed(0)} ms`);

  // The same results with an id no file name could carry (a roster's, or a merged summary's): text, never markup.
  const hostileId = '<script>alert("id")</script></textarea>';
  const renamed: BatchSummary = { ...summary, results: summary.results.map((x) => (x.submission.id === 'bob' ? { ...x, submission: { ...x.submission, id: hostileId } } : x)) };
  const out2 = join(root, 'out-renamed');
  const t1 = performance.now();
  const w = await writeReports(renamed, out2, {});
  console.log(`  writeReports for 3: ${(performance.now() - t1).toFixed(0)} ms`);
  for (const file of [w.html, join(w.reports, reportFileName(hostileId))]) {
    const dom = chromium(['--dump-dom', pathToFileURL(file).href]).out;
    assert.not.match(dom, /<script/i, file);
    assert.not.match(dom, /<\/textarea>/i, file);
    assert.ok(dom.includes('&lt;script&gt;alert("id")&lt;/script&gt;&lt;/textarea&gt;'), `${file}: the id as text`);
  }
  assert.ok(existsSync(join(w.reports, reportFileName(hostileId))));
});

test.run();
