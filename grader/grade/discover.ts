// Which submissions a list of paths names: a file, a folder with an entry
// file, or a folder of those (a class).
//
// A submission folder is the student's, not ours: it may hold a named pipe
// (opening it blocks forever), a 3 GiB sparse file, a million files or links
// pointing anywhere. Discovery therefore looks at it with lstat only, opens
// nothing but regular files (O_NOFOLLOW | O_NONBLOCK, re-checked with fstat),
// checks sizes before reading a byte, and stops at the first limit. A
// submission that breaks a rule is still returned, with `refused` saying why,
// so that it becomes that student's BAD_SUBMISSION and the rest of the class
// is graded. Only the command-line paths themselves raise errors (usage errors).
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, opendirSync, readdirSync, readSync, type Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { basename, extname, join, resolve } from 'node:path';
import { createHash, type Hash } from 'node:crypto';

export interface Submission {
  id: string;
  path: string;
  sha256: string;
  /** Why this submission will not be run, in words the student can act on (names the file). */
  refused?: string;
  /** Who submitted it, when intake knows (a platform export's names, --roster): grader/grade/intake.ts. */
  student?: { id: string; name?: string; email?: string };
}

/** Per submission: bytes of all its regular files together. */
export const MAX_SUBMISSION_BYTES = 64 * 1024 * 1024;
/** Per submission: files and folders in it (node_modules not counted). */
export const MAX_SUBMISSION_FILES = 2000;
/** Per submission: how deep folders may nest inside it. */
export const MAX_SUBMISSION_DEPTH = 32;

const SOURCE_EXT = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
/** A folder's entry file, first found wins: the names README and --help list. */
export const ENTRY_NAMES = ['index', 'main'].flatMap((b) => ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'].map((e) => `${b}.${e}`));
const ONLY = 'a submission may contain only regular files and folders';
/** Relative imports and requires in a source file: `from './x'`, `require("../y")`, `import('./z')`. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^\s*import\s*)['"](\.\.?\/[^'"\n]+)['"]/gm;
/** How much of each top-level file is read to see whether a folder's files import one another. */
const IMPORT_SCAN_BYTES = 256 * 1024;

/** What a non-regular, non-folder entry is, in words. */
function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device file';
  return 'not a regular file';
}

function mib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/**
 * Whether a folder holds an entry file (index/main.*): looked up by name with
 * lstat, so a student's folder of a million files is not listed to find out.
 * Throws when the folder cannot be searched (EACCES).
 */
function isEntryFolder(dir: string): boolean {
  for (const name of ENTRY_NAMES) {
    try {
      lstatSync(join(dir, name));
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    }
  }
  return false;
}

/**
 * `single`: the paths name one submission each (check): a folder is that
 * submission even without an entry file (then refused, saying what to name it).
 * Otherwise a folder without an entry file is a class: each sub-folder and each
 * top-level source file is a student, unless its top-level files import one
 * another (then it is one submission that lacks its entry file).
 */
function isSource(name: string): boolean {
  return SOURCE_EXT.has(extname(name)) && !name.endsWith('.d.ts');
}

/** The top-level source files of a folder (lstat only; at most `max` names, sorted). */
function topLevelSources(dir: string, max = 1000): string[] {
  const names: string[] = [];
  const d = opendirSync(dir);
  try {
    for (let e = d.readSync(); e && names.length < max; e = d.readSync()) if (e.isFile() && isSource(e.name)) names.push(e.name);
  } finally {
    d.closeSync();
  }
  return names.sort();
}

/** Whether a folder's top-level source files import one another (then it is one submission, not a class of files). */
function importsSiblings(dir: string): boolean {
  let names: string[];
  try {
    names = topLevelSources(dir, 200);
  } catch {
    return false;
  }
  const stems = new Set(names.flatMap((n) => [n, n.slice(0, -extname(n).length)]));
  for (const name of names) {
    const text = readHead(join(dir, name), IMPORT_SCAN_BYTES);
    for (const m of text.matchAll(RELATIVE_IMPORT)) {
      const target = m[1]!.replace(/^\.\//, '');
      if (!target.includes('/') && stems.has(target)) return true;
    }
  }
  return false;
}

/** Up to `max` bytes of a regular file, as text; '' when it cannot be read as one (a pipe, a link). */
function readHead(path: string, max: number): string {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch {
    return '';
  }
  try {
    if (!fstatSync(fd).isFile()) return '';
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

/** Why a folder without an entry file cannot run, with what it holds and what to name the entry. */
function noEntry(dir: string): string {
  let sources: string[] = [];
  try {
    sources = topLevelSources(dir);
  } catch { /* unreadable: said below */ }
  const accepted = `accepted entry names: ${ENTRY_NAMES.join(', ')}`;
  if (sources.length === 0) return `${basename(dir)} has no entry file and no .ts or .js files at its top level; put the file that exports the assignment's functions there as index.ts (${accepted})`;
  const shown = sources.length > 8 ? `${sources.slice(0, 8).join(', ')} and ${sources.length - 8} more` : sources.join(', ');
  return `${basename(dir)} has no entry file (found ${shown}); a folder is one submission: rename the file that exports the assignment's functions to index.ts, or index.js (${accepted})`;
}

export function discoverSubmissions(paths: string[], opts: { single?: boolean } = {}): Submission[] {
  const found: { path: string; refused?: string }[] = [];
  for (const raw of paths) {
    const p = resolve(raw);
    // existsSync and lstatSync never open the path: a FIFO given here cannot block.
    if (!existsSync(p)) throw new Error(`${raw}: no such file or folder`);
    const st = lstatSync(p);
    if (st.isFile()) {
      if (!SOURCE_EXT.has(extname(p)) || p.endsWith('.d.ts')) throw new Error(`${raw}: not a submission (expected a .ts or .js file, or a folder with ${ENTRY_NAMES[0]})`);
      found.push({ path: p });
    } else if (st.isDirectory()) {
      if (isEntryFolder(p)) found.push({ path: p });
      else if (opts.single || importsSiblings(p)) found.push({ path: p, refused: noEntry(p) });
      else {
        for (const raw of readdirSync(p, { encoding: 'buffer' }).sort(Buffer.compare)) {
          const name = raw.toString('utf8');
          if (name.startsWith('.') || name === 'node_modules') continue;
          const child = join(p, name);
          if (!isUtf8(raw)) {
            // Its student gets a result saying why, rather than no result at all.
            found.push({ path: child, refused: `${JSON.stringify(name)} has a name that is not valid UTF-8; rename it and submit again` });
            continue;
          }
          const cst = lstatSync(child, { throwIfNoEntry: false });
          if (!cst) continue; // removed while we looked
          if (cst.isDirectory()) {
            // A student's folder: graded, or refused saying why; never skipped.
            let entry: boolean;
            try {
              entry = isEntryFolder(child);
            } catch (e) {
              found.push({ path: child, refused: `${name} cannot be read (${errCode(e)}); make the folder readable and submit again` });
              continue;
            }
            found.push(entry ? { path: child } : { path: child, refused: noEntry(child) });
          } else if (isSource(name)) {
            // A student's file that is a pipe, socket, device or link: that student's problem, not the class's.
            found.push(cst.isFile() ? { path: child } : { path: child, refused: `${name} is ${kindOf(cst)}; ${ONLY}` });
          }
        }
      }
    } else {
      throw new Error(`${raw}: not a regular file or folder`);
    }
  }
  // Ids are file-name safe; names that map to the same id (józef, jözef) each get a suffix from
  // their own name, so no student can take another's id or stop the class with a name.
  const base = (path: string) => basename(path, extname(path)).replace(/[^A-Za-z0-9._-]/g, '_');
  const uses = new Map<string, number>();
  for (const { path } of found) uses.set(base(path), (uses.get(base(path)) ?? 0) + 1);
  return found.map(({ path, refused }) => {
    const id = uses.get(base(path))! > 1 ? `${base(path)}-${createHash('sha256').update(basename(path)).digest('hex').slice(0, 6)}` : base(path);
    let scan: { sha256: string; refused?: string };
    try {
      scan = scanSubmission(path);
    } catch (e) {
      if (!refused) throw e;
      scan = { sha256: createHash('sha256').update(`refused\0${path}`).digest('hex') }; // a name that cannot be opened
    }
    const reason = refused ?? scan.refused;
    return reason ? { id, path, sha256: scan.sha256, refused: reason } : { id, path, sha256: scan.sha256 };
  });
}

interface Entry { rel: string; abs: string; kind: 'file' | 'dir' | 'other'; size: number }

/**
 * Walks a submission (file or folder) within the per-submission limits and
 * hashes it. The hash of an accepted submission covers its paths and bytes
 * (the same digest as before these limits existed); the hash of a refused one
 * covers the paths, types and sizes seen up to the refusal, so that a fixed
 * resubmission is graded again.
 */
export function scanSubmission(root: string): { sha256: string; refused?: string } {
  const entries: Entry[] = [];
  let refused: string | undefined;
  try {
    refused = walk(root, entries);
    if (!refused) {
      const h = createHash('sha256');
      for (const e of entries) {
        if (e.kind !== 'file') continue;
        h.update(e.rel + '\0');
        refused = hashFile(e, h);
        if (refused) break;
      }
      if (!refused) return { sha256: h.digest('hex') };
    }
  } catch (e) {
    const at = (e as NodeJS.ErrnoException).path;
    const shown = at && at.startsWith(root + '/') ? at.slice(root.length + 1) : basename(root);
    refused = `${shown} cannot be read (${errCode(e)}); make it readable and submit again`;
  }
  const h = createHash('sha256').update('refused\0');
  for (const e of entries) h.update(`${e.rel}\0${e.kind}\0${e.size}\n`);
  h.update(refused);
  return { sha256: h.digest('hex'), refused };
}

/** Content hash of a file or folder (paths and bytes), to tell a changed resubmission. */
export function hashTree(root: string): string {
  return scanSubmission(root).sha256;
}

/** Fills `entries` in hash order (sorted names, depth first); returns a refusal, or undefined. */
function walk(root: string, entries: Entry[]): string | undefined {
  let bytes = 0, count = 0;
  const visit = (abs: string, rel: string, depth: number): string | undefined => {
    const st = lstatSync(abs);
    const shown = rel || basename(abs);
    if (st.isFile()) {
      entries.push({ rel, abs, kind: 'file', size: st.size });
      bytes += st.size;
      if (bytes > MAX_SUBMISSION_BYTES) {
        return st.size > MAX_SUBMISSION_BYTES
          ? `${shown} is ${mib(st.size)}; a submission may be at most ${mib(MAX_SUBMISSION_BYTES)} in all`
          : `the submission is over ${mib(MAX_SUBMISSION_BYTES)} in all (reached at ${shown}); a submission may be at most ${mib(MAX_SUBMISSION_BYTES)}`;
      }
      return undefined;
    }
    if (!st.isDirectory()) {
      entries.push({ rel, abs, kind: 'other', size: st.size });
      return `${shown} is ${kindOf(st)}; ${ONLY}`;
    }
    if (depth > MAX_SUBMISSION_DEPTH) return `${shown} is nested more than ${MAX_SUBMISSION_DEPTH} folders deep; a submission may nest folders at most ${MAX_SUBMISSION_DEPTH} deep`;
    if (rel) entries.push({ rel, abs, kind: 'dir', size: 0 });
    // Read names one at a time and stop at the cap: a folder of a million files is not listed.
    const names: string[] = [];
    const dir = opendirSync(abs, { encoding: 'buffer' as BufferEncoding });
    try {
      for (let d = dir.readSync(); d; d = dir.readSync()) {
        const raw = d.name as unknown as Buffer;
        // A name that is not UTF-8 cannot be named back to the filesystem as a string: refuse it, never drop it.
        if (!isUtf8(raw)) return `${rel ? `${rel}/` : ''}${raw.toString('utf8')} has a name that is not valid UTF-8; rename it`;
        const name = raw.toString('utf8');
        if (name === 'node_modules') continue; // not copied into the sandbox either
        if (++count > MAX_SUBMISSION_FILES) {
          const where = rel ? ` (reached in ${rel}/)` : '';
          return `the submission has more than ${MAX_SUBMISSION_FILES} files and folders${where}; a submission may contain at most ${MAX_SUBMISSION_FILES}`;
        }
        names.push(name);
      }
    } finally {
      dir.closeSync();
    }
    for (const name of names.sort()) {
      const r = visit(join(abs, name), rel ? `${rel}/${name}` : name, depth + 1);
      if (r) return r;
    }
    return undefined;
  };
  return visit(root, '', 0);
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Streams one regular file into the hash, at most the size lstat saw; re-checks its type on the open descriptor. */
function hashFile(e: Entry, h: Hash): string | undefined {
  const shown = e.rel || basename(e.abs);
  // O_NOFOLLOW: a file swapped for a link is not followed; O_NONBLOCK: one swapped for a pipe does not block the open.
  const fd = openSync(e.abs, OPEN_FLAGS);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return `${shown} is ${kindOf(st)}; ${ONLY}`;
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, e.size)));
    let left = e.size;
    while (left > 0) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      left -= n;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
