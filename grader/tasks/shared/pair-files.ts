// Pair indices go to the sandbox; pair labels never do. Written once per
// (dataset, spec, mode) and reused while the content is the same.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256, writeAtomic, writeJsonAtomic } from '../../util/fs.ts';
import type { PrepareContext } from '../types.ts';

export function writePairFiles(ctx: PrepareContext, datasetChecksum: string, a: Int32Array, b: Int32Array): { pairsA: string; pairsB: string } {
  const key = sha256(`${datasetChecksum}/${ctx.assignment.specHash}/${ctx.mode}`).slice(0, 16);
  const dir = join(ctx.cacheRoot, 'prepared', `${ctx.assignment.spec.id}-${ctx.mode}-${key}`);
  const files = { pairsA: join(dir, 'pairs-a.i32'), pairsB: join(dir, 'pairs-b.i32') };
  const bytes = (x: Int32Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const same = (f: string, x: Int32Array) => existsSync(f) && Buffer.compare(readFileSync(f), bytes(x)) === 0;
  if (!same(files.pairsA, a) || !same(files.pairsB, b)) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeAtomic(files.pairsA, bytes(a));
    writeAtomic(files.pairsB, bytes(b));
    writeJsonAtomic(join(dir, 'about.json'), { count: a.length, note: 'pair indices only; labels are never written' });
  }
  return files;
}
