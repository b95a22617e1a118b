// The instructor's grading secret. Everything `grade` draws (held-out points,
// hold-out splits, pair and image subsets, the grader's own cubic) is seeded
// from an HMAC of this secret, so a submission that knows the grader's source,
// the public seed and every public file still cannot reproduce the graded
// draw. `check` never resolves it: a self-check draws from the public seed.
//
// Where it comes from, first match wins:
//   1. --secret-file <path>   an existing file (never created: a mistyped path must not become a new secret)
//   2. $DLGRADE_SECRET        the secret itself, at least 16 characters
//   3. $XDG_CONFIG_HOME/dlgrade/secret, else ~/.config/dlgrade/secret: created on first use
//      (32 random bytes, hex, mode 0600), with one line on stderr saying so.
// A file's key is its content without trailing whitespace, so putting a file's
// content into $DLGRADE_SECRET gives the same draws. A file that others can read
// or write (mode & 0o006) is refused, as is one inside the grader's repository
// or cache (the sandbox may read there, and a repository file gets committed).
//
// Only derived seeds leave this module, and only to the host half of a task
// (PrepareContext.draw); the secret and the draws never enter a sandbox. A
// result records `id` (16 hex of the key's sha256), which names the secret
// without revealing it.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, realpathSync, unlinkSync, writeFileSync, constants as fsc } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import type { Mode } from '../tasks/types.ts';
import { sha256 } from '../util/fs.ts';
import type { Assignment } from './types.ts';

export interface Secret {
  key: Buffer;
  /** First 16 hex digits of sha256(key): names the secret in results and resume keys. */
  id: string;
  /** Where it came from, for messages: a file path or "$DLGRADE_SECRET". */
  source: string;
}

export const MIN_SECRET_CHARS = 16;

export class SecretError extends Error {
  override name = 'SecretError';
}

export interface ResolveSecretOptions {
  /** --secret-file. */
  secretFile?: string;
  /** Defaults to process.env (DLGRADE_SECRET, XDG_CONFIG_HOME, HOME). */
  env?: NodeJS.ProcessEnv;
  /** Folders the secret file must not be inside (the repository, the cache the sandbox reads from). */
  forbiddenDirs?: string[];
  /** Where the one-line "created" message goes (default: stderr). */
  log?: (line: string) => void;
}

/** The secret from a value (DLGRADE_SECRET, a test, a bench): at least 16 characters. */
export function secretFromValue(value: string | Buffer, source: string): Secret {
  const key = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  if (key.length < MIN_SECRET_CHARS) {
    throw new SecretError(`${source}: the grading secret must be at least ${MIN_SECRET_CHARS} characters, got ${key.length}`);
  }
  return { key, id: sha256(key).slice(0, 16), source };
}

/** $XDG_CONFIG_HOME/dlgrade/secret, else ~/.config/dlgrade/secret. */
export function defaultSecretFile(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(config, 'dlgrade', 'secret');
}

export function resolveSecret(o: ResolveSecretOptions = {}): Secret {
  const env = o.env ?? process.env;
  const forbidden = o.forbiddenDirs ?? [];
  if (o.secretFile !== undefined) {
    const file = resolve(o.secretFile);
    refuseInside(file, forbidden);
    return readSecretFile(file, false);
  }
  const value = env.DLGRADE_SECRET;
  if (value !== undefined) {
    if (value.trim() === '') throw new SecretError('$DLGRADE_SECRET is set but empty; unset it to use the secret file, or set it to the grading secret');
    return secretFromValue(value, '$DLGRADE_SECRET');
  }
  const file = defaultSecretFile(env);
  refuseInside(file, forbidden);
  const log = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const created = createIfMissing(file);
  const secret = readSecretFile(file, true);
  if (created) {
    log(`dlgrade: created a new grading secret in ${file} (id ${secret.id}); grades drawn with it can only be reproduced with it: keep it private, back it up, and copy it to every machine that grades the same class.`);
  }
  return secret;
}

/**
 * The seed a task host draws from. Grade: HMAC-SHA256(secret, "<assignment id>/<seed>/grade"), hex.
 * Check: the public "<seed>/check", as self-checks always drew. Grade mode without a secret is an error.
 */
export function drawSeed(assignment: Assignment, mode: Mode, secret?: Secret): string {
  const { id, seed } = assignment.spec;
  if (mode === 'check') return `${seed}/check`;
  if (!secret) throw new SecretError(`grading ${id} needs the grading secret (--secret-file, $DLGRADE_SECRET or ${defaultSecretFile()}); only check mode draws from the public seed`);
  return createHmac('sha256', secret.key).update(`${id}/${seed}/grade`).digest('hex');
}

function refuseInside(file: string, dirs: string[]): void {
  const real = (p: string) => {
    // The file may not exist yet: resolve the nearest folder that does.
    let head = resolve(p), tail = '';
    for (;;) {
      try { return join(realpathSync(head), tail); } catch { /* go up */ }
      const up = dirname(head);
      if (up === head) return resolve(p);
      tail = join(head.slice(up.length + 1), tail);
      head = up;
    }
  };
  const f = real(file);
  for (const d of dirs) {
    const rel = relative(real(d), f);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
      throw new SecretError(`${file}: the grading secret must not be inside ${d} (the sandbox may read there, or it gets committed); keep it outside, e.g. in ${defaultSecretFile()}`);
    }
  }
}

/** Creates the file with 32 random bytes (hex) if it is missing; true if this call created it. */
function createIfMissing(file: string): boolean {
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new SecretError(`${file}: cannot create its folder to hold a new grading secret (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); set $DLGRADE_SECRET or pass --secret-file`);
  }
  // Written under a temporary name, then linked into place: a concurrent grader sees either no file or the whole one,
  // and if two create at once, the first link wins and both use it.
  const tmp = join(dir, `.secret-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(tmp, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    try {
      linkSync(tmp, file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } catch (e) {
    if (e instanceof SecretError) throw e;
    throw new SecretError(`${file}: cannot create a new grading secret (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); set $DLGRADE_SECRET or pass --secret-file`);
  } finally {
    try { unlinkSync(tmp); } catch { /* not created */ }
  }
}

function readSecretFile(file: string, isDefault: boolean): Secret {
  let fd: number;
  try {
    // O_NONBLOCK: a named pipe put there must not hang the grader (it is refused below as not a regular file).
    fd = openSync(file, fsc.O_RDONLY | fsc.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SecretError(`${file}: no such grading secret file${isDefault ? '' : ' (--secret-file is never created; omit it to use or create the default one)'}`);
    throw new SecretError(`${file}: cannot read the grading secret (${code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SecretError(`${file}: the grading secret must be a regular file`);
    if (process.platform !== 'win32' && (st.mode & 0o006) !== 0) {
      throw new SecretError(`${file}: the grading secret is readable or writable by every user (mode ${(st.mode & 0o777).toString(8).padStart(3, '0')}); run: chmod 600 ${file}`);
    }
    const content = readFileSync(fd);
    const key = content.subarray(0, trimmedLength(content));
    if (key.length === 0) throw new SecretError(`${file}: the grading secret file is empty`);
    if (key.length < MIN_SECRET_CHARS) throw new SecretError(`${file}: the grading secret must be at least ${MIN_SECRET_CHARS} characters, got ${key.length}`);
    return { key: Buffer.from(key), id: sha256(key).slice(0, 16), source: file };
  } catch (e) {
    if (e instanceof SecretError) throw e;
    throw new SecretError(`${file}: cannot read the grading secret (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

/** Length without trailing ASCII whitespace (an editor's final newline is not part of the secret). */
function trimmedLength(b: Buffer): number {
  let n = b.length;
  while (n > 0 && (b[n - 1] === 0x0a || b[n - 1] === 0x0d || b[n - 1] === 0x20 || b[n - 1] === 0x09)) n--;
  return n;
}
