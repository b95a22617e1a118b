import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';

/** Writes a file so that readers see either the old or the new content, never half. */
export function writeAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  writeFileAtomic.sync(path, data as string | Buffer, { mode, fsync: true });
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(path: string): string {
  return sha256(readFileSync(path));
}

/** Reads and parses a JSON file; errors name the file. */
/** A data file's bytes as JSON, or an error naming the file. */
export function parseJsonFile(bytes: Buffer, path: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

export function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
}
