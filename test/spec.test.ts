import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { effectiveLimits, loadAssignment, loadDefaultLimits } from '../grader/spec/load.ts';
import { tempDir, tinySiameseAssignment } from './helpers/fixtures.ts';

test('the bundled assignment and limits.json are valid', () => {
  const a = loadAssignment('siamese-mnist');
  assert.is(a.spec.rubric[0]!.threshold, 0.97);
  assert.equal(loadDefaultLimits(), { timeLimitSec: 300, memoryLimitMiB: 2048, maxBatchSize: 512, maxSourceKiB: 1024 });
});

test('a malformed spec names the file and every bad field', () => {
  const root = tempDir();
  const dir = tinySiameseAssignment(root, 'broken', { rubric: [{ id: 'auc', title: 'x', metric: 'auc', op: '=>', threshold: 'high' }], extra: 1 });
  const err = (() => { try { loadAssignment(dir); } catch (e) { return e as Error; } })();
  assert.ok(err, 'expected an error');
  assert.match(err!.message, join(dir, 'assignment.json'));
  assert.match(err!.message, /rubric\.0\.op: must be one of ">", ">=", "<", "<="/);
  assert.match(err!.message, /rubric\.0\.threshold: must be number/);
  assert.match(err!.message, /unknown field "extra"/);
});

test('invalid JSON and id/folder mismatch are clear errors', () => {
  const root = tempDir();
  const dir = tinySiameseAssignment(root, 'a1');
  writeFileSync(join(dir, 'assignment.json'), '{ "id": ');
  assert.throws(() => loadAssignment(dir), /a1\/assignment\.json: invalid JSON/);
  const dir2 = tinySiameseAssignment(root, 'a2', { id: 'other' });
  assert.throws(() => loadAssignment(dir2), /id "other" must match its folder name "a2"/);
  assert.throws(() => loadAssignment('no-such-assignment'), /assignment "no-such-assignment" not found/);
});

test('limits: defaults, then assignment, then the command line, which may only tighten unless forced', () => {
  const root = tempDir();
  const a = loadAssignment(tinySiameseAssignment(root, 'lim', { limits: { timeLimitSec: 100 } }));
  const d = { timeLimitSec: 300, memoryLimitMiB: 2048, maxBatchSize: 512, maxSourceKiB: 1024 };
  assert.equal(effectiveLimits(d, a), { timeLimitSec: 100, memoryLimitMiB: 2048, maxBatchSize: 512, maxSourceKiB: 1024 });
  assert.equal(effectiveLimits(d, a, { timeLimitSec: 5 }).timeLimitSec, 5);
  assert.throws(() => effectiveLimits(d, a, { timeLimitSec: 200 }), /--time-limit 200 is above what lim allows \(100\); pass --force/);
  assert.is(effectiveLimits(d, a, { timeLimitSec: 200, force: true }).timeLimitSec, 200);
  assert.throws(() => effectiveLimits(d, a, { memoryLimitMiB: -1 }), /--memory-limit must be a positive number/);
});

test('limits.json is validated', () => {
  const root = tempDir();
  const p = join(root, 'limits.json');
  writeFileSync(p, JSON.stringify({ timeLimitSec: 300, memoryLimitMiB: 'lots' }));
  assert.throws(() => loadDefaultLimits(p), /limits\.json: memoryLimitMiB: must be integer/);
  writeFileSync(p, JSON.stringify({ timeLimitSec: 300 }));
  assert.throws(() => loadDefaultLimits(p), /limits\.json: missing fields memoryLimitMiB, maxBatchSize/);
});

test.run();
