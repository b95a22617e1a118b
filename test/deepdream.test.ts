// WORK5 deepdream-region: the geometry the grader scores with, and the real
// assignment end to end on a half-size picture (128×128) with the pretrained
// InceptionV3 from the nsfwjs package, through the sandbox on wasm. The
// full-size run is `npm run acceptance deepdream-region`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPngRgb } from '../grader/data/png-image.ts';
import { discoverSubmissions } from '../grader/grade/discover.ts';
import { runBatch, type BatchSummary } from '../grader/grade/run-batch.ts';
import { quietReporter } from '../grader/report/console.ts';
import { detectIsolation } from '../grader/sandbox/capabilities.ts';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../grader/spec/load.ts';
import { cellCoverage, countOctaves, maxChangeOutside, meanChangeInside, regionMask } from '../grader/tasks/deepdream/region.ts';
import { tempDir, testSecret, writeHalfSizePng, writeSubmission } from './helpers/fixtures.ts';

const root = tempDir();

test('regionMask: an ellipse and a rectangle, in fractions of the picture', () => {
  const e = regionMask({ shape: 'ellipse', cx: 0.5, cy: 0.5, rx: 0.25, ry: 0.5 }, 4, 8);
  // Columns 2–5 (centres 0.3125–0.6875) are inside in the middle rows; the corners are not.
  assert.equal(Array.from(e.slice(8, 16)), [0, 0, 1, 1, 1, 1, 0, 0]);
  assert.is(e[0], 0);
  const r = regionMask({ shape: 'rect', x0: 0, y0: 0.5, x1: 0.5, y1: 1 }, 2, 2);
  assert.equal(Array.from(r), [0, 0, 1, 0]);
});

test('cellCoverage: the share of each cell of a coarser map that lies in the mask', () => {
  const mask = Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]); // 4×4
  assert.equal(Array.from(cellCoverage(mask, 4, 4, 2, 2)), [0.75, 0, 0, 0.25]);
  // Uneven blocks: a 3×3 map over 4×4 pixels still covers every pixel once or more.
  assert.ok(cellCoverage(new Uint8Array(16).fill(1), 4, 4, 3, 3).every((c) => c === 1));
});

test('countOctaves: distinct scales with real gradient steps, at least 15 % apart', () => {
  const s = (size: number, steps: number) => ({ height: size, width: size, gradientSteps: steps });
  assert.is(countOctaves([s(131, 20), s(183, 20), s(256, 20)]), 3);
  assert.is(countOctaves([s(256, 20), s(250, 20), s(252, 5)]), 1, 'nearly the same size is one scale');
  assert.is(countOctaves([s(100, 1), s(150, 1), s(256, 30)]), 1, 'a single pass is not an octave');
  assert.is(countOctaves([]), 0);
});

test('maxChangeOutside / meanChangeInside compare 8-bit pictures through the mask', () => {
  const before = Uint8Array.from([10, 20, 30, 40, 50, 60]);
  const after = Uint8Array.from([10, 20, 31, 140, 50, 60]);
  const mask = Uint8Array.from([0, 1]);
  assert.is(maxChangeOutside(before, after, mask), 1 / 255);
  assert.is(meanChangeInside(before, after, mask), 100 / 3 / 255);
});

test('readPngRgb: names the file when it is not a PNG', () => {
  const bad = join(root, 'not-a.png');
  writeFileSync(bad, 'hello');
  assert.throws(() => readPngRgb(bad), (e: Error) => e.message.startsWith(bad) && /not a readable PNG/.test(e.message));
  assert.throws(() => readPngRgb(join(root, 'missing.png')), /missing\.png: cannot read the image \(ENOENT\)/);
});

/** The assignment with its picture halved (2×2 box filter), in a folder of its own. */
function halfSizeAssignment(): string {
  const id = 'deepdream-region';
  const src = join(REPO_ROOT, 'assignments', id);
  const spec = JSON.parse(readFileSync(join(src, 'assignment.json'), 'utf8'));
  delete spec.$schema; delete spec.statement; delete spec.starter;
  const dir = join(root, 'assignments', id);
  mkdirSync(dir, { recursive: true });
  writeHalfSizePng(join(src, spec.task.image), join(dir, 'half.png'));
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify({ ...spec, limits: { ...spec.limits, timeLimitSec: 90 }, task: { ...spec.task, image: 'half.png' } }));
  return dir;
}

type Result = BatchSummary['results'][number];
const explain = (r: Result) => `${r.verdict}: ${r.reason ?? ''} ${JSON.stringify(r.metrics)} ${(r.outputTail ?? []).slice(-5).join(' | ')}`;
const item = (r: Result, id: string) => r.rubric.find((i) => i.id === id)!;

test('WORK5 deepdream-region: the reference passes every item (three octaves fused); unmasked, single-octave, throwaway-octave and untargeted dreams each fail theirs', async () => {
  const assignment = loadAssignment(halfSizeAssignment());
  const identity = writeSubmission(join(root, 'subs'), 'identity.ts', `import * as tf from '@tensorflow/tfjs';
export async function dream(image: tf.Tensor3D) { return image.clone(); }
`);
  const paths = [join(REPO_ROOT, 'reference/deepdream-region'), ...['unmasked', 'single-octave', 'throwaway-octaves', 'whole-layer'].map((n) => join(REPO_ROOT, `examples/deepdream-region/${n}.ts`)), identity];
  const s = await runBatch({
    assignment, submissions: discoverSubmissions(paths), mode: 'grade', secret: testSecret(), outDir: join(root, 'out'), concurrency: 2,
    limits: effectiveLimits(loadDefaultLimits(), assignment), cacheRoot: join(root, 'cache'), backend: 'wasm', allowNative: false,
    isolation: detectIsolation(), resume: false, reporter: quietReporter(),
  });
  const r = new Map(s.results.map((x) => [x.submission.id, x]));

  const ref = r.get('deepdream-region')!;
  assert.is(ref.verdict, 'PASS', explain(ref));
  assert.is(ref.metrics.outside_max_change, 0);
  assert.ok(ref.metrics.inside_mean_change! > 0.01, 'the region visibly changed');
  assert.is(ref.environment.backend?.name, 'wasm');
  assert.ok((ref.artifacts ?? []).includes(join('artifacts', 'deepdream-region', 'comparison.png')));

  const unmasked = r.get('unmasked')!;
  assert.is(unmasked.verdict, 'FAIL', explain(unmasked));
  assert.not.ok(item(unmasked, 'outside-unchanged').passed);
  assert.ok(item(unmasked, 'target-gain').passed, 'it does dream');

  const single = r.get('single-octave')!;
  assert.is(single.verdict, 'FAIL', explain(single));
  assert.equal([single.metrics.octaves, item(single, 'outside-unchanged').passed], [1, true]);

  // Throwaway gradient passes at two smaller sizes do not count as octaves (moved here from
  // test/process-checks.test.ts); the reference fuses all three.
  assert.is(ref.metrics.octaves, 3);
  const throwaway = r.get('throwaway-octaves')!;
  assert.is(throwaway.verdict, 'FAIL', explain(throwaway));
  assert.is(throwaway.metrics.scales_with_steps, 3, 'the old check (three sizes with gradient passes) would have passed');
  assert.is(throwaway.metrics.octaves, 1);
  assert.ok(item(throwaway, 'outside-unchanged').passed && item(throwaway, 'target-gain').passed, explain(throwaway));

  const whole = r.get('whole-layer')!;
  assert.is(whole.verdict, 'FAIL', explain(whole));
  assert.not.ok(item(whole, 'target-gain').passed);
  assert.ok(whole.metrics.target_gain! < ref.metrics.target_gain! / 2, `${whole.metrics.target_gain} vs ${ref.metrics.target_gain}`);

  // Returning the picture untouched: nothing rises, no octave ran.
  const id = r.get('identity')!;
  assert.is(id.verdict, 'FAIL', explain(id));
  assert.equal([id.metrics.outside_max_change, id.metrics.target_after, id.metrics.octaves], [0, id.metrics.target_before, 0]);
  assert.ok(id.metrics.target_gain! <= 1);
});

test.run();
