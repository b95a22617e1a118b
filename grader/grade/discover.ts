// Which submissions a list of paths names: a file, a folder with an entry
// file, or a folder of those (a class).
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { createHash } from 'node:crypto';

export interface Submission {
  id: string;
  path: string;
  sha256: string;
}

const SOURCE_EXT = new Set(['.ts', '.mts', '.js', '.mjs', '.cjs']);
const ENTRY = /^(index|main)\.(ts|mts|js|mjs)$/;

function isEntryFolder(dir: string): boolean {
  return readdirSync(dir).some((f) => ENTRY.test(f));
}

export function discoverSubmissions(paths: string[]): Submission[] {
  const found: string[] = [];
  for (const raw of paths) {
    const p = resolve(raw);
    if (!existsSync(p)) throw new Error(`${raw}: no such file or folder`);
    const st = lstatSync(p);
    if (st.isFile()) {
      if (!SOURCE_EXT.has(extname(p))) throw new Error(`${raw}: not a submission (expected .ts or .js)`);
      found.push(p);
    } else if (st.isDirectory()) {
      if (isEntryFolder(p)) found.push(p);
      else {
        for (const name of readdirSync(p).sort()) {
          if (name.startsWith('.') || name === 'node_modules') continue;
          const child = join(p, name);
          const cst = lstatSync(child);
          if ((cst.isFile() && SOURCE_EXT.has(extname(name)) && !name.endsWith('.d.ts')) || (cst.isDirectory() && isEntryFolder(child))) found.push(child);
        }
      }
    } else {
      throw new Error(`${raw}: not a regular file or folder`);
    }
  }
  const byId = new Map<string, string>();
  return found.map((path) => {
    const id = basename(path, extname(path)).replace(/[^A-Za-z0-9._-]/g, '_');
    const other = byId.get(id);
    if (other) throw new Error(`two submissions would both be named "${id}": ${other} and ${path}`);
    byId.set(id, path);
    return { id, path, sha256: hashTree(path) };
  });
}

/** Content hash of a file or folder (paths and bytes), to tell a changed resubmission. */
export function hashTree(root: string): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) if (e !== 'node_modules') walk(join(p, e));
    } else {
      h.update(relative(root, p) + '\0');
      h.update(st.isSymbolicLink() ? 'symlink' : readFileSync(p));
    }
  };
  walk(root);
  return h.digest('hex');
}
