import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { balancedPairs, range } from '../grader/data/pairs.ts';
import { REPO_ROOT } from '../grader/spec/load.ts';
import { tinyImages } from './helpers/fixtures.ts';

const { labels } = tinyImages(2000, 5);
const spec = { positivesPerClass: 80, negativesPerCombination: 20, seed: 'unit' };

test('exact counts per digit and per digit combination, as the course notes define', () => {
  const p = balancedPairs(labels, range(0, 2000), spec);
  assert.is(p.a.length, 10 * 80 + 45 * 20);
  const pos = new Array(10).fill(0);
  const neg = new Map<string, number>();
  for (let i = 0; i < p.a.length; i++) {
    const la = labels[p.a[i]!]!, lb = labels[p.b[i]!]!;
    assert.is(p.label[i], la === lb ? 0 : 1, 'label 0 = same digit, 1 = different');
    assert.ok(p.a[i] !== p.b[i], 'a positive pair uses two different images');
    if (la === lb) pos[la]++;
    else {
      const key = `${Math.min(la, lb)}-${Math.max(la, lb)}`;
      neg.set(key, (neg.get(key) ?? 0) + 1);
    }
  }
  assert.equal(pos, new Array(10).fill(80));
  assert.is(neg.size, 45);
  for (const n of neg.values()) assert.is(n, 20);
});

test('pairs are distinct and drawn only from the pool', () => {
  const pool = range(1000, 1000);
  const p = balancedPairs(labels, pool, spec);
  const keys = new Set<string>();
  for (let i = 0; i < p.a.length; i++) {
    assert.ok(p.a[i]! >= 1000 && p.b[i]! >= 1000, 'index outside the pool');
    keys.add(`${Math.min(p.a[i]!, p.b[i]!)}-${Math.max(p.a[i]!, p.b[i]!)}`);
  }
  assert.is(keys.size, p.a.length);
});

test('deterministic for a seed, different for another; order is shuffled', () => {
  const p1 = balancedPairs(labels, range(0, 2000), spec);
  const p2 = balancedPairs(labels, range(0, 2000), spec);
  const p3 = balancedPairs(labels, range(0, 2000), { ...spec, seed: 'other' });
  assert.equal(Array.from(p1.a), Array.from(p2.a));
  assert.equal(Array.from(p1.label), Array.from(p2.label));
  assert.not.equal(Array.from(p1.a), Array.from(p3.a));
  const firstHalf = p1.label.subarray(0, 800).reduce((s, v) => s + v, 0);
  assert.ok(firstHalf > 200 && firstHalf < 600, `labels look unshuffled (${firstHalf} negatives in the first 800)`);
});

test('impossible requests fail clearly', () => {
  const few = new Uint8Array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9]);
  assert.throws(() => balancedPairs(few, range(0, few.length), { ...spec, positivesPerClass: 1 }), /class 9 has 1 images/);
  const two = new Uint8Array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
  assert.throws(() => balancedPairs(two, range(0, two.length), spec), /class 0: 80 distinct positive pairs requested, only 1 exist/);
});

test('more negatives than two classes have distinct pairs: a clear error, never an endless loop', () => {
  // Run in a fresh process: before the fix this request looped forever.
  const code = `
    import { balancedPairs, countDistinctPairs, distinctPairs, range } from './grader/data/pairs.ts';
    import { makeRng } from './grader/util/rng.ts';
    const out = [];
    const labels = new Uint8Array(60).map((_, i) => i % 10); // 6 images per class: 36 negative pairs per combination
    const attempt = (f) => { try { f(); out.push('no error'); } catch (e) { out.push(e.name + ': ' + e.message); } };
    attempt(() => balancedPairs(labels, range(0, 60), { positivesPerClass: 2, negativesPerCombination: 37, seed: 1 }));
    attempt(() => [...distinctPairs(makeRng(1, 'x'), [1, 2, 3], [3, 4], 6)]);
    out.push(String([...distinctPairs(makeRng(1, 'x'), [1, 2, 3], [3, 4], 5)].length));
    out.push([countDistinctPairs([1, 2, 3], [1, 2, 3]), countDistinctPairs([1, 2], [3, 4, 5]), countDistinctPairs([1, 2, 3], [3, 4])].join(','));
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.is(r.signal, null, 'looped forever');
  assert.equal(JSON.parse(r.stdout), [
    'PairCountError: classes 0 and 1: 37 distinct negative pairs requested, only 36 exist',
    'Error: 6 distinct pairs requested, only 5 exist',
    '5',
    '3,6,5',
  ], r.stderr);
  // At the limit every pair is drawn.
  const p = balancedPairs(new Uint8Array(60).map((_, i) => i % 10), range(0, 60), { positivesPerClass: 15, negativesPerCombination: 36, seed: 1 });
  assert.is(p.a.length, 10 * 15 + 45 * 36);
});

test.run();
