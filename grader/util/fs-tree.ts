// Copies a folder that someone else wrote (a submission, a sandbox's out/
// folder) with the grader's rights, safely: only regular files and folders,
// never opening anything else (a named pipe would block the copy forever),
// no links, and within caps on bytes, files and depth.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, utimesSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

export class TreeRefused extends Error {
  override name = 'TreeRefused';
}

export interface TreeCaps {
  maxBytes: number;
  maxFiles: number;
  maxDepth: number;
  /** Names skipped wherever they appear (node_modules). */
  skip?: string[];
}

const KIND = (st: import('node:fs').Stats) =>
  st.isSymbolicLink() ? 'a symbolic link' : st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : st.isBlockDevice() || st.isCharacterDevice() ? 'a device file' : 'not a regular file';

/** Copies `from` (a file or a folder) to `to`; throws TreeRefused naming the offending path. */
export function copyRegularTree(from: string, to: string, caps: TreeCaps, label = basename(from)): void {
  let bytes = 0, files = 0;
  const plan: Array<{ src: string; dest: string; dir: boolean; st: Stats }> = [];
  const walk = (src: string, dest: string, depth: number) => {
    const st = lstatSync(src);
    const rel = relative(from, src) || basename(src);
    if (st.isDirectory()) {
      if (depth > caps.maxDepth) throw new TreeRefused(`${label}: ${rel} is nested more than ${caps.maxDepth} folders deep`);
      plan.push({ src, dest, dir: true, st });
      for (const e of readdirSync(src).sort()) if (!caps.skip?.includes(e)) walk(join(src, e), join(dest, e), depth + 1);
    } else if (st.isFile()) {
      bytes += st.size;
      if (++files > caps.maxFiles) throw new TreeRefused(`${label}: more than ${caps.maxFiles} files`);
      if (bytes > caps.maxBytes) throw new TreeRefused(`${label}: more than ${caps.maxBytes >> 20} MiB of files (at ${rel})`);
      plan.push({ src, dest, dir: false, st });
    } else {
      throw new TreeRefused(`${label}: ${rel} is ${KIND(st)}; only regular files and folders are allowed`);
    }
  };
  walk(from, to, 0);
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  for (const p of plan) {
    if (p.dir) mkdirSync(p.dest, { recursive: true, mode: 0o700 });
    else copyFileSync(p.src, p.dest);
  }
  // Times are kept (a task may read when checkpoints were written); folders last, as filling them changes theirs.
  for (const p of plan.reverse()) utimesSync(p.dest, p.st.atime, p.st.mtime);
}

/** Bytes and files below `dir` (lstat only), stopping early once either passes its cap. */
export function treeUsage(dir: string, stopAt = { bytes: Infinity, files: Infinity }): { bytes: number; files: number } {
  let bytes = 0, files = 0;
  const walk = (d: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch { return; }
    for (const e of entries) {
      if (bytes > stopAt.bytes || files > stopAt.files) return;
      files++;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else try { bytes += lstatSync(p).size; } catch { /* vanished */ }
    }
  };
  walk(dir);
  return { bytes, files };
}

/**
 * Removes a tree a sandbox wrote, whatever it did to it: folders it made
 * read-only (a non-root grader cannot delete inside them) are made writable
 * first, and paths too long for one call go to `rm`, which walks with *at
 * calls. Never throws: returns whether the tree is gone.
 */
export function removeTree(path: string): boolean {
  try {
    rmSync(path, { recursive: true, force: true });
    return true;
  } catch { /* read-only folders, or too deep for one path */ }
  spawnSync('chmod', ['-R', 'u+rwX', path], { stdio: 'ignore' });
  spawnSync('rm', ['-rf', '--one-file-system', path], { stdio: 'ignore' });
  return !existsSync(path);
}
