import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeIdx, parseIdx } from '../grader/data/idx.ts';
import { defaultDataDir, ensureDatasetCache, readSplit } from '../grader/data/image-dataset.ts';
import { tempDir, tinyImages, writeTinyMnist } from './helpers/fixtures.ts';

test('IDX round trip, gzip included', async () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const enc = encodeIdx([2, 3, 4], data);
  const back = parseIdx(enc, 'x');
  assert.equal(back.dims, [2, 3, 4]);
  assert.equal(Array.from(back.data), Array.from(data));
  const { gzipSync } = await import('node:zlib');
  assert.equal(parseIdx(gzipSync(enc), 'x.gz').dims, [2, 3, 4]);
});

test('corrupt IDX files are clear errors naming the file', () => {
  const good = encodeIdx([2, 2], new Uint8Array(4));
  const badMagic = good.slice(); badMagic[0] = 7;
  assert.throws(() => parseIdx(badMagic, 'f.idx'), /f\.idx: bad IDX magic/);
  const badType = good.slice(); badType[2] = 0x0d;
  assert.throws(() => parseIdx(badType, 'f.idx'), /f\.idx: unsupported IDX data type 0xd/);
  assert.throws(() => parseIdx(good.subarray(0, good.length - 1), 'f.idx'), /f\.idx: IDX header declares 2x2 = 4 bytes of data, file has 3/);
  assert.throws(() => parseIdx(new Uint8Array([0x1f, 0x8b, 1, 2]), 'f.gz'), /f\.gz: corrupt gzip stream/);
});

test('the packaged MNIST files parse with the expected shapes and checksum identity', () => {
  const cache = ensureDatasetCache('mnist', tempDir(), defaultDataDir('mnist'));
  assert.equal(cache.meta.counts, { train: 60000, test: 10000 });
  assert.is(cache.meta.height, 28);
  const test = readSplit(cache, 'test');
  assert.equal(Array.from(test.labels.subarray(0, 5)), [7, 2, 1, 0, 4]); // MNIST's well-known first test labels
  assert.is(statSync(cache.files.testLabels).mode & 0o777, 0o600, 'test labels readable by the grader only');
  assert.is(statSync(cache.files.trainImages).mode & 0o777, 0o644);
});

test('Fashion-MNIST from the Debian package (gzipped IDX), when installed', () => {
  if (!existsSync(defaultDataDir('fashion-mnist'))) {
    console.log(`  skipped: ${defaultDataDir('fashion-mnist')} absent (apt-get install dataset-fashion-mnist)`);
    return;
  }
  const cache = ensureDatasetCache('fashion-mnist', tempDir());
  assert.equal(cache.meta.counts, { train: 60000, test: 10000 });
  assert.match(cache.meta.sources.trainImages.path, /\.gz$/);
  const test = readSplit(cache, 'test');
  assert.equal(Array.from(test.labels.subarray(0, 5)), [9, 2, 1, 1, 6]); // ankle boot, pullover, trouser, trouser, shirt
});

test('cache: built once, reused, rebuilt when a source changes; --data-dir honoured', () => {
  const root = tempDir();
  const dataDir = writeTinyMnist(join(root, 'idx'), 60, 30);
  const c1 = ensureDatasetCache('mnist', join(root, 'cache'), dataDir);
  assert.equal(c1.meta.counts, { train: 60, test: 30 });
  assert.equal(Array.from(readFileSync(c1.files.trainLabels)), Array.from(tinyImages(60, 1).labels));
  const built = statSync(join(c1.dir, 'meta.json')).mtimeMs;
  const c2 = ensureDatasetCache('mnist', join(root, 'cache'), dataDir);
  assert.is(statSync(join(c2.dir, 'meta.json')).mtimeMs, built, 'second call reuses the cache');
  assert.is(c2.meta.checksum, c1.meta.checksum);
  // Replace the training labels with different content: the cache must notice.
  const f = join(dataDir, 'train-labels-idx1-ubyte');
  writeFileSync(f, encodeIdx([60], new Uint8Array(60).fill(3)));
  utimesSync(f, new Date(), new Date(Date.now() + 5000));
  const c3 = ensureDatasetCache('mnist', join(root, 'cache'), dataDir);
  assert.not.equal(c3.meta.checksum, c1.meta.checksum);
  assert.is(readFileSync(c3.files.trainLabels)[0], 3);
});

test('inconsistent or missing dataset files are clear errors', () => {
  const root = tempDir();
  const dataDir = writeTinyMnist(join(root, 'idx'), 60, 30);
  writeFileSync(join(dataDir, 'train-labels-idx1-ubyte'), encodeIdx([59], new Uint8Array(59)));
  assert.throws(() => ensureDatasetCache('mnist', join(root, 'cache'), dataDir), /train-labels-idx1-ubyte: 59 labels for 60 images/);
  assert.throws(() => ensureDatasetCache('mnist', join(root, 'cache'), join(root, 'nowhere')), /missing train-images-idx3-ubyte .*--data-dir/);
});

test.run();
