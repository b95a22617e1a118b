// Small, real inputs for tests: IDX files written with the grader's own
// encoder and an assignment folder that points at them.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { encodeIdx } from '../../grader/data/idx.ts';
import { readPngRgb } from '../../grader/data/png-image.ts';
import { secretFromValue, type Secret } from '../../grader/spec/secret.ts';

/** The grading secret of the test suite: fixed, so grade-mode draws are the same on every run and machine. */
export const TEST_SECRET = 'dlgrade-test-suite-secret-not-for-grading';

/** For runBatch in grade mode (BatchOptions.secret). */
export function testSecret(value = TEST_SECRET): Secret {
  return secretFromValue(value, 'test');
}

// Every grader a test starts through the CLI inherits this: tests never create or read the
// instructor's real secret file (~/.config/dlgrade/secret) nor depend on one in the environment.
process.env.DLGRADE_SECRET = TEST_SECRET;

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A temporary folder removed when the test process exits. */
export function tempDir(prefix = 'dlgrade-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  chmodSync(dir, 0o755); // the sandbox's own uid must be able to reach the cache inside
  return dir;
}

/** Synthetic 28x28 "digits": class c lights a 4-pixel-wide band at row 2c, plus noise. */
export function tinyImages(n: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const images = new Uint8Array(n * 784), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = c;
    for (let p = 0; p < 784; p++) {
      const row = Math.floor(p / 28);
      images[i * 784 + p] = (row >= 2 * c + 4 && row < 2 * c + 8 ? 200 : 0) + Math.floor(rand() * 40);
    }
  }
  return { images, labels };
}

/** Writes the four MNIST-named IDX files (one gzipped, as Debian ships them) into `dir`. */
export function writeTinyMnist(dir: string, nTrain = 200, nTest = 100): string {
  mkdirSync(dir, { recursive: true });
  const tr = tinyImages(nTrain, 1), te = tinyImages(nTest, 2);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), encodeIdx([nTrain, 28, 28], tr.images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), encodeIdx([nTrain], tr.labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(encodeIdx([nTest, 28, 28], te.images)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([nTest], te.labels));
  return dir;
}

/** An assignment folder for the siamese task on the tiny dataset. */
export function tinySiameseAssignment(root: string, id = 'tiny-siamese', overrides: Record<string, unknown> = {}): string {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const spec: Record<string, unknown> = {
    id,
    title: 'Tiny siamese (test fixture)',
    source: 'test',
    seed: 7,
    limits: { timeLimitSec: 60, memoryLimitMiB: 1024, maxBatchSize: 64 },
    task: { kind: 'siamese-pairs', dataset: 'mnist', trainCount: 150, positivesPerClass: 4, negativesPerCombination: 2, predictBatch: 50 },
    rubric: [{ id: 'auc', title: 'AUC', metric: 'auc', op: '>', threshold: 0.9, points: 1, evidence: 'measured' }],
    ...overrides,
  };
  // Every rubric item must say what its value rests on; fixture items that do not say are measured ones.
  if (Array.isArray(spec.rubric)) spec.rubric = spec.rubric.map((r: unknown) => (r && typeof r === 'object' && !('evidence' in r) ? { ...r, evidence: 'measured' } : r));
  writeFileSync(join(dir, 'assignment.json'), JSON.stringify(spec, null, 2));
  return dir;
}

export function writeSubmission(dir: string, name: string, code: string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, code);
  return p;
}

/** Writes `src` (a PNG) at half size (2×2 box filter) to `dest`: the DeepDream tests' smaller picture. */
export function writeHalfSizePng(src: string, dest: string): void {
  const full = readPngRgb(src);
  const h = full.height / 2, w = full.width / 2;
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    for (let c = 0; c < 3; c++) {
      const at = (yy: number, xx: number) => full.rgb[(yy * full.width + xx) * 3 + c]!;
      png.data[(y * w + x) * 4 + c] = Math.round((at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4);
    }
    png.data[(y * w + x) * 4 + 3] = 255;
  }
  writeFileSync(dest, PNG.sync.write(png));
}

/**
 * The expectation a fixture submission states on its first line, `// expect: VERDICT[|VERDICT…] /regex/`
 * (the class tests of test/hostile and test/student); undefined when the file has none.
 */
export function expectationHeader(file: string): { verdicts: string[]; pattern: RegExp } | undefined {
  const m = /^\/\/ expect: ([A-Z_|-]+) \/(.*)\/\s*$/.exec(readFileSync(file, 'utf8').split('\n')[0] ?? '');
  return m ? { verdicts: m[1]!.split('|'), pattern: new RegExp(m[2]!) } : undefined;
}
