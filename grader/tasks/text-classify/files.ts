// The IMDB inputs a sandbox may read for one (spec, mode, draw): the split's
// training texts, labels and encodings, the evaluated reviews' texts and
// encodings (never their labels) and the vocabulary. Written once into
// <cache>/prepared/<id>-<mode>-<key>/ and reused while the key (dataset
// checksum, spec hash, mode, draw) is the same; graders drawing with different
// secrets never share a folder. Shared by text-classify and regularization.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256, writeAtomic, writeJsonAtomic } from '../../util/fs.ts';
import type { PrepareContext } from '../types.ts';

/** Writes (or reuses) the named files; `make` is called only when the folder is not complete. */
export function preparedFiles<K extends string>(ctx: PrepareContext, datasetChecksum: string, names: Record<K, string>, make: () => Record<K, string | Uint8Array | Int32Array>): Record<K, string> {
  const key = sha256(`${datasetChecksum}/${ctx.assignment.specHash}/${ctx.mode}/${sha256(ctx.draw)}`).slice(0, 16);
  const dir = join(ctx.cacheRoot, 'prepared', `${ctx.assignment.spec.id}-${ctx.mode}-${key}`);
  const files = Object.fromEntries(Object.entries(names).map(([k, f]) => [k, join(dir, f as string)])) as Record<K, string>;
  const done = join(dir, 'complete.json');
  if (existsSync(done) && Object.values<string>(files).every((f) => existsSync(f))) return files;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const contents = make();
  for (const k of Object.keys(names) as K[]) {
    const c = contents[k];
    writeAtomic(files[k], typeof c === 'string' ? c : new Uint8Array(c.buffer, c.byteOffset, c.byteLength), 0o644);
  }
  writeJsonAtomic(done, { note: 'inputs for the sandbox only (texts, encodings, training labels); the evaluated reviews\' labels are never written here', files: Object.values(names) });
  return files;
}
