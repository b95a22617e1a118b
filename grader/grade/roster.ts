// --roster file.csv: who each submission belongs to, when the names a platform
// exports (or the files in a folder) do not say it the way the gradebook needs.
//
//   submission,student_id,name,email
//   submission_1234,s2024001,Ada Lovelace,ada@example.edu
//   smithbob,s2024002,,
//
// Columns (a header line is required; name and email are optional, any other
// column is refused so that a typo like "studentid" is not silently ignored):
//   submission  what intake found: a platform's student id (Canvas user id,
//               Moodle participant id, Gradescope SID), a platform name part
//               (Canvas "smithbob", Moodle "Bob Smith"), a top-level name in the
//               archive ("submission_1234", a Canvas file name), or, for a folder
//               of submissions, the submission's file or folder name (with or
//               without extension).
//   student_id  the id results and gradebooks use: 1-128 characters, no
//               control characters, no '/' or '\'.
//   name, email optional; an email must contain one '@'.
// A bad row is a usage error naming the file and line; so is a submission
// listed twice. Parsed with csv-parse (RFC 4180: quoted fields, BOM, CRLF).
import { readFileSync, lstatSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

export interface Student { id: string; name?: string; email?: string }

export interface Roster {
  /** The file it was read from, as given. */
  file: string;
  /** By `submission` value: the student and the line it was on. */
  entries: Map<string, Student & { line: number }>;
}

export class RosterError extends Error {}

const COLUMNS = ['submission', 'student_id', 'name', 'email'];
/** A roster is a small file: more than this is not one. */
export const MAX_ROSTER_BYTES = 16 * 1024 * 1024;

/** Reads and validates a roster CSV; every problem names the file and the line. */
export function readRoster(file: string): Roster {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st) throw new RosterError(`${file}: no such roster file`);
  if (!st.isFile()) throw new RosterError(`${file}: the roster must be a regular file`);
  if (st.size > MAX_ROSTER_BYTES) throw new RosterError(`${file}: a roster may be at most ${MAX_ROSTER_BYTES / 1024 / 1024} MiB`);
  return parseRoster(readFileSync(file), file);
}

export function parseRoster(text: string | Buffer, file: string): Roster {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim().toLowerCase());
        const unknown = names.filter((n) => !COLUMNS.includes(n));
        if (unknown.length) throw new RosterError(`${file}:1: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; a roster has the columns submission,student_id[,name,email]`);
        for (const need of ['submission', 'student_id']) if (!names.includes(need)) throw new RosterError(`${file}:1: no "${need}" column; a roster starts with the line submission,student_id[,name,email]`);
        const dup = names.find((n, i) => names.indexOf(n) !== i);
        if (dup) throw new RosterError(`${file}:1: the column "${dup}" appears twice`);
        return names;
      },
      info: true,
      skip_empty_lines: true,
      trim: true,
    });
  } catch (e) {
    if (e instanceof RosterError) throw e;
    const err = e as Error & { lines?: number };
    throw new RosterError(`${file}${err.lines ? `:${err.lines}` : ''}: not a valid CSV roster (${err.message})`);
  }
  const entries = new Map<string, Student & { line: number }>();
  for (const { record, info } of records) {
    const line = info.lines;
    const at = `${file}:${line}`;
    const submission = record.submission ?? '';
    const id = record.student_id ?? '';
    if (!submission) throw new RosterError(`${at}: the submission field is empty`);
    const bad = badId(id);
    if (bad) throw new RosterError(`${at}: student_id ${JSON.stringify(id)} ${bad}`);
    const name = record.name || undefined, email = record.email || undefined;
    if (name && /[\u0000-\u001f\u007f]/.test(name)) throw new RosterError(`${at}: the name holds a control character`);
    if (email && !/^[^@\s]+@[^@\s]+$/.test(email)) throw new RosterError(`${at}: ${JSON.stringify(email)} is not an email address`);
    const seen = entries.get(submission);
    if (seen) throw new RosterError(`${at}: the submission ${JSON.stringify(submission)} is already listed on line ${seen.line}`);
    entries.set(submission, { id, ...(name ? { name } : {}), ...(email ? { email } : {}), line });
  }
  return { file, entries };
}

/** Why a student id is unusable, or undefined. */
export function badId(id: string): string | undefined {
  if (!id) return 'is empty';
  if (id.length > 128) return 'is longer than 128 characters';
  if (/[\u0000-\u001f\u007f]/.test(id)) return 'holds a control character';
  if (/[/\\]/.test(id)) return "holds '/' or '\\'";
  if (id === '.' || id === '..') return 'is not a name';
  return undefined;
}

/** The roster's student for the first of `keys` it lists. */
export function lookUp(roster: Roster | undefined, keys: (string | undefined)[]): Student | undefined {
  if (!roster) return undefined;
  for (const k of keys) {
    if (k === undefined) continue;
    const e = roster.entries.get(k);
    if (e) return { id: e.id, ...(e.name ? { name: e.name } : {}), ...(e.email ? { email: e.email } : {}) };
  }
  return undefined;
}
