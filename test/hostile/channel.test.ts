// The pieces the sandbox boundary is built from, each attacked directly:
// the signed channel, bounded JSON, the line splitter, safe copies and uid leases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signLine, verifyLine } from '../../grader/sandbox/channel.ts';
import { jsonDepth, parseBounded } from '../../grader/sandbox/bounded-json.ts';
import { lineSplitter } from '../../grader/sandbox/output-tail.ts';
import { copyRegularTree, TreeRefused } from '../../grader/util/fs-tree.ts';
import { leaseUid, reclaimStaleLeases } from '../../grader/sandbox/uid-lease.ts';
import { tempDir } from '../helpers/fixtures.ts';

const key = randomBytes(32);
const strip = (l: string) => l.replace(/\n$/, '');

test('a signed line verifies; unsigned, re-signed with another key, altered or replayed lines do not', () => {
  const json = JSON.stringify({ t: 'result', outputs: { distances: [1, 2] } });
  const line = strip(signLine(key, 1, json));
  assert.equal(verifyLine(key, 1, line), { ok: true, seq: 1, json });
  assert.is(verifyLine(key, 1, json).ok, false, 'bare JSON');
  assert.is(verifyLine(key, 1, strip(signLine(randomBytes(32), 1, json))).ok, false, 'another key');
  assert.is(verifyLine(key, 1, line.replace('[1,2]', '[1,3]')).ok, false, 'altered payload');
  const replay = verifyLine(key, 2, line);
  assert.is(replay.ok, false, 'replayed');
  assert.match((replay as { why: string }).why, /replayed or reordered/);
  assert.is(verifyLine(key, 1, `1 ${'0'.repeat(64)} ${json}`).ok, false, 'a made-up MAC');
});

test('nesting is measured without recursion, strings and escapes included', () => {
  assert.is(jsonDepth('{"a":[1,[2,{"b":"[[[[\\"]]"}]]}'), 4);
  assert.is(jsonDepth('['.repeat(1e6) + ']'.repeat(1e6)), 65, 'stops counting past the limit');
  assert.throws(() => parseBounded('['.repeat(100) + ']'.repeat(100)), /nested deeper than 64/);
  assert.throws(() => parseBounded('[' + '{},'.repeat(20_000) + '{}]'), /more than 10000 objects/);
  assert.throws(() => parseBounded('[' + '1,'.repeat(9_000_000) + '1]'), /more than 8000000 values/);
  assert.is((parseBounded('[' + '1,'.repeat(100_000) + '1]') as number[]).length, 100_001);
  assert.equal(parseBounded('{"x":[[1]]}'), { x: [[1]] });
});

test('the line splitter drops an overlong line unread, says so once, and reads nothing after it', () => {
  const lines: string[] = [];
  let overflows = 0;
  const feed = lineSplitter(1000, (l) => lines.push(l), () => { overflows++; });
  feed(Buffer.from('short\nnext'));
  for (let i = 0; i < 100; i++) feed(Buffer.from('{},'.repeat(100)));
  feed(Buffer.from('\nafter\n'));
  assert.equal(lines, ['short']);
  assert.is(overflows, 1);
});

test('copies refuse named pipes, links and oversized trees before reading them', () => {
  const root = tempDir();
  const sub = join(root, 'sub');
  mkdirSync(join(sub, 'deep'), { recursive: true });
  writeFileSync(join(sub, 'index.ts'), 'export {}');
  spawnSync('mkfifo', [join(sub, 'deep', 'pipe')]);
  const t0 = Date.now();
  assert.throws(() => copyRegularTree(sub, join(root, 'copy'), { maxBytes: 1 << 20, maxFiles: 10, maxDepth: 4 }), (e: Error) => e instanceof TreeRefused && /deep\/pipe is a named pipe/.test(e.message));
  assert.ok(Date.now() - t0 < 2000, 'did not block on the pipe');
  const big = join(root, 'big');
  mkdirSync(big);
  writeFileSync(join(big, 'a.bin'), Buffer.alloc(2 << 20));
  assert.throws(() => copyRegularTree(big, join(root, 'copy2'), { maxBytes: 1 << 20, maxFiles: 10, maxDepth: 4 }), /more than 1 MiB/);
  assert.equal(readdirSync(root).sort(), ['big', 'sub'], 'nothing copied from a refused tree');
});

test('uid leases: two running sandboxes never share a uid; a dead grader\'s leases are reclaimed', () => {
  const dir = join(tempDir(), 'uids');
  const a = leaseUid(dir), b = leaseUid(dir);
  assert.is.not(a.uid, b.uid);
  a.release();
  const c = leaseUid(dir);
  assert.is.not(c.uid, b.uid);
  // A lease whose owner (pid 1 never has this start time) is gone.
  mkdirSync(join(dir, '299999'));
  writeFileSync(join(dir, '299999', 'owner'), '1.1');
  assert.is(reclaimStaleLeases(dir), 1);
  assert.equal(readdirSync(dir).sort(), [String(b.uid), String(c.uid)].sort());
});

test.run();
