// Index files go to the sandbox (which images to use); labels never do.
// Written once per (dataset, spec, mode, draw) and reused while the content is the same;
// graders drawing with different secrets never share a folder.
// Uint8Arrays (an image, a mask) are written as .u8, Int32Arrays as .i32.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256, writeAtomic, writeJsonAtomic } from '../../util/fs.ts';
import type { PrepareContext } from '../types.ts';

export function writeIndexFiles<K extends string>(ctx: PrepareContext, datasetChecksum: string, arrays: Record<K, Int32Array | Uint8Array>): Record<K, string> {
  const key = sha256(`${datasetChecksum}/${ctx.assignment.specHash}/${ctx.mode}/${sha256(ctx.draw)}`).slice(0, 16);
  const dir = join(ctx.cacheRoot, 'prepared', `${ctx.assignment.spec.id}-${ctx.mode}-${key}`);
  const bytes = (x: Int32Array | Uint8Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const files = {} as Record<K, string>;
  for (const name of Object.keys(arrays) as K[]) {
    const file = join(dir, `${name}.${arrays[name] instanceof Uint8Array ? 'u8' : 'i32'}`);
    files[name] = file;
    if (existsSync(file) && Buffer.compare(readFileSync(file), bytes(arrays[name])) === 0) continue;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeAtomic(file, bytes(arrays[name]));
    writeJsonAtomic(join(dir, 'about.json'), { note: 'inputs for the sandbox only (image indices, images, masks); labels are never written here' });
  }
  return files;
}

export function writePairFiles(ctx: PrepareContext, datasetChecksum: string, a: Int32Array, b: Int32Array): { pairsA: string; pairsB: string } {
  return writeIndexFiles(ctx, datasetChecksum, { pairsA: a, pairsB: b });
}
