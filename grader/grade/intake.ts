// Class intake: the paths given to `grade`, as platforms export them. A folder
// or file goes to discoverSubmissions as before; a .zip is unpacked safely
// into <cacheDir>/intake/<sha256 of the zip>/ first, one file or folder per
// student, named by the student's id, then handed to discoverSubmissions.
//
// Student ids from names, per platform (what the bulk-download zips hold):
//
// - Gradescope ("Download Submissions"): a submission_metadata.yml at the top
//   (possibly under one folder, e.g. assignment_123_export/) and one folder per
//   submission, submission_<n>/. The metadata maps each folder to
//   `:submitters:`, a list of `{ :name:, :sid:, :email: }`; the id is the first
//   submitter's :sid (else their :email, else the folder name). A group's
//   other members are not recorded. (Seen in public tools reading it:
//   record[':submitters'][0][':sid'], and test fixtures of Gradescope export
//   readers with `submission_single:` / `:submitters:` / `:sid: '100'`.)
// - Canvas ("Download Submissions"): loose files named
//   `<lastfirst>_[late_]<user id>_<attachment id>_<original name>`, e.g.
//   smithbob_340934_208490284_index.ts; a resubmitted file's name gets `-<n>`
//   before its extension (index-1.ts). The id is the user id (340934), the name
//   the lastfirst part. A student's files become one submission: one source
//   file stays a file submission, several become a folder with their original
//   names (the -<n> removed). (README of mikewesthad/canvas-unzipper:
//   "smithbob_340934_208490284_BobsWork.zip"; README of
//   TimHanneman/Canvas_submission_sort: "a student name, two id fields … an
//   extra field if the assignment was submitted late … a number is added at
//   the end of the filename, but before the file extension".)
// - Moodle ("Download all submissions"): one folder per student and plugin,
//   `<Full Name>_<participant id>_assignsubmission_file_/` holding the files as
//   uploaded (or, without "download in folders", loose files with that prefix).
//   The id is the participant id, the name the full name; `_onlinetext_` and
//   other plugins' folders are skipped. (A public guide: "The student folder
//   name is formatted as: First Last_participantId_assignsubmission_file_";
//   shell scripts strip `_*_assignsubmission_file_`.)
// - Otherwise ("plain"): the zip holds a class as a folder would, one file or
//   folder per student at its top (or under one wrapping folder); ids as for a
//   folder.
// --roster (grader/grade/roster.ts) overrides any of these.
//
// The zip is the students' (and a platform's) data, not ours: names are
// decoded and checked here (yauzl's own check would reject the whole archive
// for one bad name), so a `..` or absolute path, a symbolic link or device
// entry, an entry that inflates past its declared size, too many files, too
// many bytes or too deep a path in one student's folder makes that student's
// BAD_SUBMISSION, naming the entry. An archive that cannot be read, or whose
// declared totals are over the archive caps, is a usage error naming the file.
// Nothing is created but regular files and folders, with O_EXCL, under a fresh
// folder: no entry can write outside it.
import { createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, extname, join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { parse as parseYaml } from 'yaml';
import { discoverSubmissions, MAX_SUBMISSION_BYTES, MAX_SUBMISSION_DEPTH, MAX_SUBMISSION_FILES, type Submission } from './discover.ts';
import { badId, lookUp, type Roster, type Student } from './roster.ts';

/** The archive as a whole: more entries than this is refused before any is read. */
export const MAX_ARCHIVE_ENTRIES = 50_000;
/** The archive as a whole: declared uncompressed bytes. */
export const MAX_ARCHIVE_BYTES = 4 * 1024 ** 3;
/** The zip file itself. */
export const MAX_ZIP_BYTES = 4 * 1024 ** 3;
/** Gradescope's submission_metadata.yml. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;
/** Bump when the layout written under intake/ changes: older folders are not reused. */
const LAYOUT_VERSION = 1;

export type Platform = 'gradescope' | 'canvas' | 'moodle' | 'plain';

/** An error in what the user gave (a corrupt archive, a bad roster): exit 2. */
export class IntakeError extends Error {}

export interface IntakeOptions {
  /** check: the path names one submission. */
  single?: boolean;
  cacheRoot: string;
  roster?: Roster;
}

/** Every path given to grade/check, zips unpacked, students named. */
export async function intakeSubmissions(paths: string[], o: IntakeOptions): Promise<Submission[]> {
  const out: Submission[] = [];
  for (const raw of paths) {
    const st = lstatSync(resolve(raw), { throwIfNoEntry: false });
    if (st?.isFile() && extname(raw).toLowerCase() === '.zip') out.push(...await intakeZip(raw, o));
    else out.push(...discoverSubmissions([raw], { single: o.single }).map((s) => ({ s, keys: [s.id, basename(s.path), basename(s.path, extname(s.path))] })).map(({ s, keys }) => named(s, lookUp(o.roster, keys))));
  }
  return refuseDuplicates(out);
}

/** A submission with its student (from the roster or the platform); its id becomes the student's id when it is file-name safe. */
function named(s: Submission, student: Student | undefined): Submission {
  if (!student) return s;
  return { ...s, id: safeId(student.id), student };
}

function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9._@-]/g, '_');
}

/**
 * Two submissions for one student (two files mapping to the same id, a roster
 * naming one student twice): both refused, each naming the other, with
 * distinct ids so neither result overwrites the other.
 */
function refuseDuplicates(subs: Submission[]): Submission[] {
  const byStudent = new Map<string, Submission[]>();
  for (const s of subs) {
    const k = s.student?.id ?? `\0${s.id}`;
    byStudent.set(k, [...(byStudent.get(k) ?? []), s]);
  }
  const ids = new Map<string, number>();
  for (const s of subs) ids.set(s.id, (ids.get(s.id) ?? 0) + 1);
  return subs.map((s) => {
    const group = byStudent.get(s.student?.id ?? `\0${s.id}`)!;
    let next = s;
    if (group.length > 1) {
      const names = group.map((g) => g.source ?? basename(g.path));
      next = { ...s, refused: `${s.student ? `student ${s.student.id}` : s.id} has ${group.length} candidate submissions (${names.join(' and ')}); keep one, or map them to different students in --roster` };
    }
    if (ids.get(s.id)! > 1) next = { ...next, id: `${s.id}-${createHash('sha256').update(s.path).digest('hex').slice(0, 6)}` };
    const { source: _source, ...rest } = next;
    return rest;
  });
}

declare module './discover.ts' {
  interface Submission {
    /** Intake only: what the archive called it (named in refusals); dropped before grading. */
    source?: string;
  }
}

// ---------------------------------------------------------------- the zip

interface ZipEntry {
  /** The name as decoded, '/'-separated ('\\' read as '/'). */
  name: string;
  entry: yauzl.Entry;
  dir: boolean;
  /** Why this entry cannot be unpacked (a link, a `..`): its student's refusal. */
  problem?: string;
}

/** One student (or one top-level item, in a plain zip) as the archive holds it. */
interface Group {
  /** The file or folder name it is unpacked to under the class folder. */
  target: string;
  student?: Student;
  /** The archive's names for it (a Moodle folder, a Canvas file), for refusals and --roster. */
  sources: string[];
  /** Keys --roster may use for it. */
  keys: string[];
  /** Entry and where it goes: relative to the group's folder, then (after layout) to the class folder. */
  files: { e: ZipEntry; to: string }[];
  /** Its sources are loose files (Canvas, Moodle without folders), not one folder. */
  loose: boolean;
  refused?: string;
}

interface Manifest { version: number; platform: Platform; groups: { target: string; student?: Student; sources: string[]; keys: string[]; refused?: string }[] }

async function intakeZip(raw: string, o: IntakeOptions): Promise<Submission[]> {
  const file = resolve(raw);
  const size = lstatSync(file).size;
  if (size > MAX_ZIP_BYTES) throw new IntakeError(`${raw}: the archive is ${(size / 1024 ** 3).toFixed(1)} GiB; at most ${MAX_ZIP_BYTES / 1024 ** 3} GiB is accepted`);
  const sha = await hashFile(file);
  // discoverSubmissions names a folder's items; the class folder takes the zip's name
  // (a plain zip whose top holds index.ts is one submission, as that folder would be).
  const stem = safeId(basename(raw, extname(raw))).replace(/^\.+/, '') || 'class';
  const dest = join(resolve(o.cacheRoot), 'intake', `${sha.slice(0, 32)}-v${LAYOUT_VERSION}-${stem}`);
  let manifest: Manifest;
  if (existsSync(join(dest, 'manifest.json'))) {
    manifest = JSON.parse(readFileSync(join(dest, 'manifest.json'), 'utf8')) as Manifest;
  } else {
    mkdirSync(join(resolve(o.cacheRoot), 'intake'), { recursive: true, mode: 0o700 });
    const tmp = `${dest}.tmp-${process.pid}-${Date.now().toString(36)}`;
    mkdirSync(join(tmp, stem), { recursive: true, mode: 0o700 });
    try {
      manifest = await unpack(raw, file, join(tmp, stem));
      writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest));
      try {
        renameSync(tmp, dest);
      } catch (e) {
        if (!existsSync(join(dest, 'manifest.json'))) throw e; // another grader unpacked it meanwhile: use theirs
        rmSync(tmp, { recursive: true, force: true });
      }
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }
  if (manifest.groups.length === 0) throw new IntakeError(`${raw}: the archive holds no submissions`);
  const named_ = join(dest, stem);
  const found = discoverSubmissions([named_], { single: o.single });
  const byTarget = new Map(manifest.groups.map((g) => [join(named_, g.target), g]));
  return found.map((s) => {
    const g = byTarget.get(s.path);
    if (!g) return s;
    const student = lookUp(o.roster, g.keys) ?? g.student;
    const refused = g.refused ?? s.refused;
    const base = { ...s, ...(refused ? { refused } : {}), source: g.sources.join(', ') };
    return named(base, student);
  });
}

function hashFile(file: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('error', rej).on('end', () => res(h.digest('hex')));
  });
}

function openZip(raw: string, file: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (err, zip) => {
      if (err || !zip) rej(new IntakeError(`${raw}: not a readable zip archive (${err?.message ?? 'no archive'})`));
      else res(zip);
    });
  });
}

/** Reads the central directory: every entry's name, type and problem. Caps the archive as a whole. */
async function listEntries(raw: string, zip: yauzl.ZipFile): Promise<ZipEntry[]> {
  if (zip.entryCount > MAX_ARCHIVE_ENTRIES) throw new IntakeError(`${raw}: the archive has ${zip.entryCount} entries; at most ${MAX_ARCHIVE_ENTRIES} are accepted`);
  const entries: ZipEntry[] = [];
  let declared = 0;
  await new Promise<void>((res, rej) => {
    zip.on('error', (e: Error) => rej(new IntakeError(`${raw}: the archive is corrupt (${e.message})`)));
    zip.on('end', () => res());
    zip.on('entry', (entry: yauzl.Entry) => {
      const rawName = entry.fileName as unknown as Buffer;
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, rawName, entry.extraFields, false);
      declared += entry.uncompressedSize;
      if (declared > MAX_ARCHIVE_BYTES) { rej(new IntakeError(`${raw}: the archive declares more than ${MAX_ARCHIVE_BYTES / 1024 ** 3} GiB uncompressed; refusing to unpack it`)); return; }
      entries.push({ name, entry, dir: name.endsWith('/'), problem: entryProblem(name, entry) });
      zip.readEntry();
    });
    zip.readEntry();
  });
  return entries;
}

/** Why an entry cannot be unpacked as a plain file or folder, in words naming it. */
function entryProblem(name: string, entry: yauzl.Entry): string | undefined {
  const shown = JSON.stringify(name);
  if (name.includes('\0')) return `the archive entry ${shown} has a NUL in its name`;
  if (/^[a-zA-Z]:/.test(name) || name.startsWith('/')) return `the archive entry ${shown} is an absolute path`;
  if (name.split('/').some((p) => p === '..')) return `the archive entry ${shown} points outside its folder ('..')`;
  // Unix mode in the high 16 bits of the external attributes (made by Unix zip tools).
  const type = (entry.externalFileAttributes >>> 16) & 0o170000;
  if (type === 0o120000) return `the archive entry ${shown} is a symbolic link; a submission may contain only regular files and folders`;
  if (type !== 0 && type !== 0o100000 && type !== 0o040000) return `the archive entry ${shown} is not a regular file or folder`;
  if ((entry.generalPurposeBitFlag & 1) !== 0) return `the archive entry ${shown} is encrypted`;
  return undefined;
}

/** Names split into clean segments (no '', '.'), or undefined for a name with a problem. */
function segments(name: string): string[] {
  return name.split('/').filter((p) => p !== '' && p !== '.');
}

const CANVAS = /^([^_/]+)_(?:late_)?(\d+)_(\d+)_(.+)$/i;
const MOODLE = /^(.+)_(\d+)_assign(submission|feedback)_([a-z]+)_(.*)$/;

/** Unpacks `file` into `classDir` as one file or folder per student; returns what it did. */
async function unpack(raw: string, file: string, classDir: string): Promise<Manifest> {
  const zip = await openZip(raw, file);
  try {
    const all = await listEntries(raw, zip);
    // Archive debris (macOS resource forks) is nobody's submission.
    let entries = all.filter((e) => segments(e.name)[0] !== '__MACOSX');
    // An absolute path is in no student's folder.
    const absolute = entries.find((e) => /^([a-zA-Z]:|\/)/.test(e.name));
    if (absolute) throw new IntakeError(`${raw}: ${absolute.problem}; it belongs to no student's folder, so the archive is refused`);
    // One wrapping folder (assignment_123_export/, or a zipped class folder) is looked through.
    let depth = 0;
    for (;;) {
      const tops = new Set(entries.map((e) => segments(e.name)[depth]).filter((t): t is string => t !== undefined));
      const only = [...tops][0];
      if (tops.size !== 1 || only === '..' || MOODLE.test(only!) || entries.some((e) => !e.dir && segments(e.name).length === depth + 1)) break;
      depth++;
    }
    entries = entries.filter((e) => segments(e.name).length > depth);
    const rel = (e: ZipEntry) => segments(e.name).slice(depth);
    // A leading '..' (after any wrapping folder) is in no student's folder either.
    const outside = entries.find((e) => rel(e)[0] === '..');
    if (outside) throw new IntakeError(`${raw}: ${outside.problem}; it belongs to no student's folder, so the archive is refused`);
    const tops = [...new Set(entries.map((e) => rel(e)[0]!))];
    const topIsFile = (t: string) => entries.some((e) => !e.dir && rel(e).length === 1 && rel(e)[0] === t);

    let platform: Platform = 'plain';
    let metadata: Record<string, unknown> | undefined;
    const meta = entries.find((e) => !e.dir && rel(e).join('/') === 'submission_metadata.yml');
    if (meta) {
      platform = 'gradescope';
      metadata = await readMetadata(raw, zip, meta);
    } else if (tops.some((t) => MOODLE.test(t))) platform = 'moodle';
    else if (tops.length > 0 && tops.every(topIsFile) && tops.some((t) => CANVAS.test(t))) platform = 'canvas';

    const groups = new Map<string, Group>();
    const groupFor = (key: string, init: () => Omit<Group, 'files' | 'sources'>): Group => {
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { ...init(), files: [], sources: [] }));
      return g;
    };
    const addSource = (g: Group, s: string) => { if (!g.sources.includes(s)) g.sources.push(s); };

    for (const e of entries) {
      const parts = rel(e);
      const top = parts[0]!;
      if (platform === 'gradescope') {
        if (top === 'submission_metadata.yml' && parts.length === 1) continue;
        const who = gradescopeStudent(metadata, top);
        const key = who ? safeId(who.id) : safeId(top);
        const g = groupFor(key, () => ({ target: key, ...(who ? { student: who } : {}), keys: [top, ...(who ? [who.id] : [])], loose: false }));
        addSource(g, top);
        if (parts.length > 1) g.files.push({ e, to: parts.slice(1).join('/') });
      } else if (platform === 'moodle') {
        const m = MOODLE.exec(top);
        if (!m) { plainItem(e, parts); continue; }
        if (m[3] !== 'submission' || m[4] !== 'file') continue; // online text, comments, feedback files: not code
        const student: Student = { id: m[2]!, name: m[1]! };
        const key = safeId(student.id);
        const g = groupFor(key, () => ({ target: key, student, keys: [student.id, student.name!], loose: topIsFile(top) }));
        addSource(g, top);
        if (topIsFile(top)) g.files.push({ e, to: m[5] || top }); // loose file: Name_1_assignsubmission_file_index.ts
        else if (parts.length > 1) g.files.push({ e, to: parts.slice(1).join('/') });
      } else if (platform === 'canvas') {
        const m = CANVAS.exec(top);
        if (!m) { plainItem(e, parts); continue; }
        const student: Student = { id: m[2]!, name: m[1]! };
        const key = safeId(student.id);
        const g = groupFor(key, () => ({ target: key, student, keys: [student.id, student.name!], loose: true }));
        addSource(g, top);
        g.files.push({ e, to: m[4]!.replace(/-\d+(\.[^.]+)$/, '$1') }); // index-1.ts: Canvas's resubmission suffix
      } else {
        plainItem(e, parts);
      }
    }

    function plainItem(e: ZipEntry, parts: string[]) {
      const top = parts[0]!;
      const g = groupFor(`plain\0${top}`, () => ({ target: top, keys: [top, basename(top, extname(top))], loose: false }));
      addSource(g, top);
      if (!e.dir) g.files.push({ e, to: parts.join('/') });
    }

    // Layout: a group's files go under its target folder; a student's single loose file (Canvas, Moodle) stays a file.
    for (const g of groups.values()) {
      if (platform === 'plain') { g.refused = groupProblem(g); continue; } // paths are already the class folder's
      const who = g.student ? `student ${g.student.id}` : g.target;
      if (!g.loose && g.sources.length > 1) g.refused = `${who} has ${g.sources.length} candidate submissions (${g.sources.join(' and ')}); keep one`;
      const seen = new Map<string, string>();
      for (const f of g.files) {
        if (f.e.dir) continue;
        const other = seen.get(f.to);
        // index.ts and index-1.ts of one student both land on index.ts: two candidate submissions.
        if (other) { g.refused ??= `${who} has two candidate submissions for ${f.to} (${other} and ${f.e.name}); keep one and submit again`; break; }
        seen.set(f.to, f.e.name);
      }
      // (Only a source file: a lone project.zip or PDF goes in a folder, so its student still gets a result saying what is missing.)
      if (g.loose && g.files.length === 1 && !g.files[0]!.e.dir && !g.files[0]!.to.includes('/') && /\.(ts|mts|cts|js|mjs|cjs)$/.test(g.files[0]!.to) && !g.files[0]!.to.endsWith('.d.ts')) {
        g.target = `${g.target}${extname(g.files[0]!.to)}`;
        g.files = [{ ...g.files[0]!, to: g.target }];
      } else {
        g.files = g.files.map((f) => ({ ...f, to: `${g.target}/${f.to}` }));
      }
      g.refused ??= groupProblem(g);
    }

    // Unpack, group by group: a problem while inflating is that group's refusal.
    for (const g of groups.values()) {
      if (!g.refused) g.refused = await extractGroup(zip, g, classDir);
      if (g.refused) {
        // Targets are single clean names (a student id, a top-level name that is not '..'): checked again before removing anything.
        if (segments(g.target).length !== 1 || g.target === '..' || g.target.includes('/')) throw new IntakeError(`${raw}: the archive names a submission ${JSON.stringify(g.target)}; refusing the archive`);
        rmSync(join(classDir, g.target), { recursive: true, force: true });
        // A refused student still gets a result: an empty folder stands for them.
        const placeholder = g.loose && extname(g.target) ? g.target.slice(0, -extname(g.target).length) : g.target;
        g.target = placeholder;
        rmSync(join(classDir, placeholder), { recursive: true, force: true });
        mkdirSync(join(classDir, placeholder), { recursive: true });
      }
    }
    return {
      version: LAYOUT_VERSION, platform,
      groups: [...groups.values()].map((g) => ({ target: g.target, ...(g.student ? { student: g.student } : {}), sources: g.sources, keys: g.keys, ...(g.refused ? { refused: g.refused } : {}) })),
    };
  } finally {
    zip.close();
  }
}

/** The first refusal among a group's entries and caps (declared sizes), naming the entry. */
function groupProblem(g: Group): string | undefined {
  let bytes = 0, count = 0;
  for (const { e, to } of g.files) {
    if (e.problem) return e.problem;
    const depth = segments(to).length - 1;
    if (depth > MAX_SUBMISSION_DEPTH) return `the archive entry ${JSON.stringify(e.name)} is nested more than ${MAX_SUBMISSION_DEPTH} folders deep; a submission may nest folders at most ${MAX_SUBMISSION_DEPTH} deep`;
    if (++count > MAX_SUBMISSION_FILES) return `the submission has more than ${MAX_SUBMISSION_FILES} files and folders in the archive (reached at ${JSON.stringify(e.name)}); a submission may contain at most ${MAX_SUBMISSION_FILES}`;
    bytes += e.entry.uncompressedSize;
    if (bytes > MAX_SUBMISSION_BYTES) return `the submission is over ${MAX_SUBMISSION_BYTES / 1024 ** 2} MiB uncompressed (reached at ${JSON.stringify(e.name)}); a submission may be at most ${MAX_SUBMISSION_BYTES / 1024 ** 2} MiB`;
  }
  return undefined;
}

/** Inflates a group's entries; counts the bytes actually produced (a zip bomb's declared sizes lie). */
async function extractGroup(zip: yauzl.ZipFile, g: Group, classDir: string): Promise<string | undefined> {
  let total = 0;
  for (const { e, to } of g.files) {
    const target = join(classDir, ...segments(to));
    if (!target.startsWith(classDir + '/')) return `the archive entry ${JSON.stringify(e.name)} points outside its folder`; // cannot happen after entryProblem; kept as the last word
    try {
      try {
        mkdirSync(e.dir ? target : join(target, '..'), { recursive: true });
      } catch {
        return `the archive entry ${JSON.stringify(e.name)} clashes with a file of the same name as one of its folders`;
      }
      if (e.dir) continue;
      const declared = e.entry.uncompressedSize;
      const stream = await new Promise<Readable>((res, rej) => zip.openReadStream(e.entry, (err, s) => (err || !s ? rej(err ?? new Error('no data')) : res(s))));
      let n = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          n += chunk.length;
          total += chunk.length;
          if (n > declared) return cb(new Error(`inflates to more than the ${declared} bytes it declares`));
          if (total > MAX_SUBMISSION_BYTES) return cb(new Error(`takes the submission over ${MAX_SUBMISSION_BYTES / 1024 ** 2} MiB`));
          cb(null, chunk);
        },
      });
      // 'wx': never overwrite (an entry listed twice), never follow a link (none are created).
      await pipeline(stream, counter, createWriteStream(target, { flags: 'wx', mode: 0o644 }));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' ? 'appears twice in the archive (or clashes with a folder of the same name)'
        : code === 'ENOTDIR' ? 'clashes with a file of the same name'
          : `could not be unpacked: ${(err as Error).message}`;
      return `the archive entry ${JSON.stringify(e.name)} ${why}`;
    }
  }
  return undefined;
}

async function readMetadata(raw: string, zip: yauzl.ZipFile, meta: ZipEntry): Promise<Record<string, unknown>> {
  if (meta.entry.uncompressedSize > MAX_METADATA_BYTES) throw new IntakeError(`${raw}: submission_metadata.yml is over ${MAX_METADATA_BYTES / 1024 ** 2} MiB`);
  const chunks: Buffer[] = [];
  try {
    const stream = await new Promise<Readable>((res, rej) => zip.openReadStream(meta.entry, (err, s) => (err || !s ? rej(err ?? new Error('no data')) : res(s))));
    let n = 0;
    for await (const c of stream) {
      n += (c as Buffer).length;
      if (n > MAX_METADATA_BYTES) throw new Error('larger than it declares');
      chunks.push(c as Buffer);
    }
    const doc = parseYaml(Buffer.concat(chunks).toString('utf8'), { maxAliasCount: 100 }) as unknown;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a mapping of submission folders');
    return doc as Record<string, unknown>;
  } catch (e) {
    throw new IntakeError(`${raw}: submission_metadata.yml cannot be read (${(e as Error).message})`);
  }
}

/** The first submitter of a Gradescope submission folder, from the metadata. */
function gradescopeStudent(metadata: Record<string, unknown> | undefined, folder: string): Student | undefined {
  const rec = metadata?.[folder] as Record<string, unknown> | undefined;
  const submitters = rec?.[':submitters'] ?? rec?.submitters;
  const first = Array.isArray(submitters) ? (submitters[0] as Record<string, unknown> | undefined) : undefined;
  if (!first || typeof first !== 'object') return undefined;
  const str = (k: string) => {
    const v = first[`:${k}`] ?? first[k];
    return typeof v === 'string' || typeof v === 'number' ? String(v).trim() || undefined : undefined;
  };
  const sid = str('sid'), email = str('email'), name = str('name');
  const id = [sid, email].find((x) => x && !badId(x));
  if (!id) return undefined;
  return { id, ...(name ? { name } : {}), ...(email ? { email } : {}) };
}
