import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rocAuc } from '../grader/metrics/auc.ts';
import { bestThresholdAccuracy } from '../grader/tasks/siamese-pairs/host.ts';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('perfect separation gives 1, reversed gives 0', () => {
  close(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  close(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
});

test('hand-computed case: 3 of 4 positive/negative pairs ordered correctly', () => {
  // positives 0.35, 0.8; negatives 0.1, 0.4 → pairs (0.35>0.1 ✓, 0.35>0.4 ✗, 0.8>0.1 ✓, 0.8>0.4 ✓) = 3/4
  close(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
});

test('ties count one half', () => {
  close(rocAuc([0.5, 0.5], [0, 1]), 0.5);
  // positives {0.5, 0.9}, negatives {0.5, 0.1}: (0.5 vs 0.5 = ½) + 1 + 1 + 1 = 3.5 / 4
  close(rocAuc([0.5, 0.1, 0.5, 0.9], [0, 0, 1, 1]), 0.875);
  close(rocAuc([1, 1, 1, 1, 1], [0, 1, 0, 1, 1]), 0.5);
});

test('agrees with a brute-force pair count on random data', () => {
  let s = 3;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const scores = Array.from({ length: 300 }, () => Math.round(rand() * 20) / 20);
  const labels = scores.map((x) => (rand() < 0.3 + 0.4 * x ? 1 : 0));
  let num = 0, den = 0;
  for (let i = 0; i < 300; i++) for (let j = 0; j < 300; j++) {
    if (labels[i] === 1 && labels[j] === 0) { den++; num += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0; }
  }
  close(rocAuc(scores, labels), num / den);
});

test('rejects NaN scores, bad labels and one-class input', () => {
  assert.throws(() => rocAuc([0.1, NaN], [0, 1]), /score 1 is not a finite number/);
  assert.throws(() => rocAuc([0.1, 0.2], [0, 2]), /label 1 is 2/);
  assert.throws(() => rocAuc([0.1, 0.2], [1, 1]), /at least one positive and one negative/);
  assert.throws(() => rocAuc([0.1], [0, 1]), /1 scores but 2 labels/);
});

test('best threshold accuracy', () => {
  close(bestThresholdAccuracy([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  close(bestThresholdAccuracy([0.1, 0.9, 0.2, 0.8], [1, 0, 1, 0]), 0.5);
  close(bestThresholdAccuracy([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1]), 0.75);
});

test.run();
