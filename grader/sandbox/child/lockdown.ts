// The runner's trusted core. It is the runner's first import, so it runs
// before TF.js or anything the submission can influence:
//
//  - it takes the job's key from fd 4 (KEY_FD) and closes it, and captures
//    everything the result channel uses (fs.writeSync, JSON.stringify, the
//    native HMAC, string and regexp methods, Reflect.apply). The submission
//    shares this process and may patch any global or prototype later; none
//    of that changes what the runner sends, and no runner function that
//    signs is reachable from the submission's objects.
//  - lockdown() takes away what the submission must not reach; and
//  - loadSubmission() runs the compiled bundle with a require() that knows
//    only allowed Node built-ins, in a function with no dynamic import().
import * as fs from 'node:fs';
import * as crypto from 'node:crypto';
import { compileFunction } from 'node:vm';
import type { KeyObject } from 'node:crypto';
import { CHANNEL_FD, KEY_BYTES, KEY_FD, mac } from '../channel.ts';
import type { BackendReport } from '../protocol.ts';
import type { Progress } from '../../tasks/types.ts';
import { noteOf, studentError, urlLoadSite } from './call-site.ts';

// ---- Captured before anything untrusted runs ------------------------------------------------

const { apply, construct, defineProperty } = Reflect;
const { getOwnPropertySymbols, getPrototypeOf, freeze, create } = Object;
const hasOwn = Object.hasOwn;
const stringify = JSON.stringify;
const { writeSync, readSync, closeSync, fstatSync } = fs;
const BufferCtor = Buffer;
const bufferFrom = Buffer.from, byteLength = Buffer.byteLength;
const strSlice = String.prototype.slice;
const strIndexOf = String.prototype.indexOf;
const strStartsWith = String.prototype.startsWith;
const reExec = RegExp.prototype.exec;
const isPrototypeOf = Object.prototype.isPrototypeOf;
const { isFinite: finite, isInteger } = Number;
const StringCtor = String;
const ErrorCtor = Error, TypeErrorCtor = TypeError;
const RangeErrorProto = RangeError.prototype;
const atomicsWait = Atomics.wait, AtomicsObj = Atomics;
const PromiseCtor = Promise, promiseReject = Promise.reject;
const globalObject = globalThis;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const proc = process;
const exitProcess = process.exit;
const builtinOf = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;

const slice = (s: string, from: number, to?: number): string => apply(strSlice, s, to === undefined ? [from] : [from, to]);
const indexOf = (s: string, sub: string, from = 0): number => apply(strIndexOf, s, [sub, from]);
const startsWith = (s: string, prefix: string): boolean => apply(strStartsWith, s, [prefix]);
const matches = (re: RegExp, s: string): boolean => apply(reExec, re, [s]) !== null;
const sleepMs = (ms: number) => apply(atomicsWait, AtomicsObj, [sleepCell, 0, 0, ms]);

// ---- The key, first thing -------------------------------------------------------------------

/** Reads the hex key from fd 4 to EOF and closes it; the material ends up only in native memory. */
function takeKey(): KeyObject {
  const refuse = (why: string) => new ErrorCtor(`dlgrade runner: ${why}; refusing to run without the job's key on fd ${KEY_FD}`);
  let st: fs.Stats;
  try {
    st = fstatSync(KEY_FD);
  } catch {
    throw refuse(`fd ${KEY_FD} is not open`);
  }
  if (!st.isFIFO() && !st.isSocket()) throw refuse(`fd ${KEY_FD} is not a pipe`);
  const raw = BufferCtor.alloc(KEY_BYTES * 2 + 2); // one byte more than the key line, to notice a longer one
  const bytes = BufferCtor.alloc(KEY_BYTES);
  try {
    let got = 0, waits = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(KEY_FD, raw, got, raw.length - got, null);
      } catch (e) {
        // A non-blocking pipe: the grader writes the key at spawn; 5 s without it is not a key pipe.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN' && ++waits < 2500) { sleepMs(2); continue; }
        throw refuse(`cannot read fd ${KEY_FD} (${(e as Error).message})`);
      }
      if (n === 0) break;
      got += n;
      if (got === raw.length) throw refuse('the key line is too long');
    }
    closeSync(KEY_FD);
    if (got !== KEY_BYTES * 2 + 1 || raw[KEY_BYTES * 2] !== 0x0a) throw refuse(got === 0 ? 'the key pipe was empty' : 'the key line is malformed');
    // Hex by hand: no string copy of the key on the heap.
    const nibble = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);
    for (let i = 0; i < KEY_BYTES; i++) {
      const hi = nibble(raw[2 * i]!), lo = nibble(raw[2 * i + 1]!);
      if (hi < 0 || lo < 0) throw refuse('the key is not hex');
      bytes[i] = hi * 16 + lo;
    }
    return crypto.createSecretKey(bytes); // copies into native memory
  } finally {
    raw.fill(0);
    bytes.fill(0);
  }
}

/**
 * HMAC-SHA256 through Node's native Hmac handle, its methods captured now:
 * crypto.createHmac's JS wrapper reads properties (on the instance's
 * prototype chain, on the handle's prototype) that the submission could
 * later turn into getters and so get hold of the keyed handle.
 */
function nativeHmac(key: KeyObject): (data: string) => string {
  const symbol = (o: object) => getOwnPropertySymbols(o).find((s) => s.description === 'kHandle');
  const probe = crypto.createHmac('sha256', key);
  const keySym = symbol(key), hmacSym = symbol(probe);
  const keyHandle = keySym && (key as unknown as Record<symbol, unknown>)[keySym];
  const handle = hmacSym && (probe as unknown as Record<symbol, object>)[hmacSym];
  const proto = handle && getPrototypeOf(handle);
  const NativeHmac = proto?.constructor as (new () => object) | undefined;
  const { init, update, digest } = (proto ?? {}) as Record<string, unknown>;
  if (!keyHandle || typeof NativeHmac !== 'function' || typeof init !== 'function' || typeof update !== 'function' || typeof digest !== 'function') {
    throw new ErrorCtor(`dlgrade runner: this Node (${process.version}) has no native Hmac handle where expected; refusing to run with a signer the submission could reach`);
  }
  freeze(proto);
  freeze(NativeHmac);
  const hmac = (data: string): string => {
    const h = construct(NativeHmac, []);
    apply(init, h, ['sha256', keyHandle]);
    apply(update, h, [data, 'utf8']);
    return apply(digest, h, ['hex']) as string;
  };
  // Same bytes as channel.ts's public mac(), which the grader verifies with.
  if (hmac('0 {"probe":1}') !== mac(key, 0, '{"probe":1}')) throw new ErrorCtor('dlgrade runner: the native HMAC disagrees with channel.ts; refusing to run');
  return hmac;
}

const hmac = nativeHmac(takeKey());

// ---- The channel ----------------------------------------------------------------------------

let seq = 0;

/** Writes all of `data` to fd 3 from `off` on (the fd may be non-blocking). */
function writeAll(data: string | Buffer, total: number, off: number): number {
  while (off < total) {
    try {
      off += typeof data === 'string' ? writeSync(CHANNEL_FD, data) : writeSync(CHANNEL_FD, data, off, total - off);
      if (typeof data === 'string') return off; // a short write continues from a buffer
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      sleepMs(1);
    }
  }
  return off;
}

/** Signs one JSON text (already a single line) and writes it whole to fd 3. */
function emit(json: string): void {
  const n = ++seq;
  const line = `${n} ${hmac(`${n} ${json}`)} ${json}\n`;
  const total = apply(byteLength, BufferCtor, [line, 'utf8']) as number;
  // A string goes to the native write with no property lookups on the way.
  const done = writeAll(line, total, 0);
  if (done < total) writeAll(apply(bufferFrom, BufferCtor, [line, 'utf8']) as Buffer, total, done);
}

const MAX_MESSAGE = 4096, MAX_STACK = 8192, MAX_FRAMES = 8, MAX_LOG_KEYS = 32, MAX_LOG_KEY = 64, MAX_WARNINGS = 20;
const warned: Record<string, true> = create(null);
let warnedCount = 0;

/**
 * A JSON string literal of `s`, cut to at most `max` characters, and further
 * if escaping (control characters: 6 each) would make it more than twice that
 * (JSON.stringify of a primitive calls nothing patchable).
 */
function str(s: string, max: number): string {
  for (let cut = s.length > max ? max : s.length; ; cut >>= 1) {
    const lit = stringify(cut < s.length ? `${slice(s, 0, cut)}… [truncated: ${s.length - cut} more characters]` : s);
    if (lit.length <= 2 * max + 64 || cut === 0) return lit;
  }
}
const num = (v: unknown): string | undefined => (typeof v === 'number' && finite(v) ? stringify(v) : undefined);
const count = (v: unknown): string | undefined => (typeof v === 'number' && isInteger(v) && v >= 0 && v <= 1e9 ? stringify(v) : undefined);

/** What the runner sends. Each message is serialized here from checked primitives only. */
export const channel = freeze({
  ready(b: BackendReport): void {
    let kernels = '';
    const clip = (s: string, max: number) => stringify(slice(s, 0, max)); // the protocol's limits; the report is the runner's own
    for (let i = 0; i < b.kernels.length && i < 200; i++) kernels += `${i ? ',' : ''}${clip(b.kernels[i]!, 80)}`;
    emit(`{"t":"ready","backend":{"name":${clip(b.name, 40)},"simd":${b.simd === true},"threads":${count(b.threads) ?? 0},"tfjsVersion":${clip(b.tfjsVersion, 40)},"kernels":[${kernels}]${b.note ? `,"note":${clip(b.note, 500)}` : ''}}}`);
  },

  /** Progress is partly the submission's doing (epochs, logs): only well-formed fields pass. */
  progress(p: Progress): void {
    const phase = p.phase;
    if (phase !== 'load' && phase !== 'train' && phase !== 'predict') return;
    let out = `{"t":"progress","phase":"${phase}"`;
    const epoch = count(p.epoch), epochs = count(p.epochs), call = count(p.call), unit = p.unit;
    if (epoch !== undefined) out += `,"epoch":${epoch}`;
    if (epochs !== undefined) out += `,"epochs":${epochs}`;
    if (call !== undefined) out += `,"call":${call}`;
    if (unit === 'epoch' || unit === 'octave') out += `,"unit":"${unit}"`;
    const logs = p.logs;
    if (logs && typeof logs === 'object') {
      let body = '', kept = 0;
      for (const k in logs) {
        if (kept >= MAX_LOG_KEYS) break;
        if (typeof k !== 'string' || k.length > MAX_LOG_KEY || !hasOwn(logs, k)) continue;
        const v = num(logs[k]);
        if (v === undefined) continue;
        body += `${kept++ ? ',' : ''}${stringify(k)}:${v}`;
      }
      out += `,"logs":{${body}}`;
    }
    emit(`${out}}`);
  },

  /**
   * The outputs are the submission's (the grader validates them); serializing
   * them may run its toJSON, but the result is one JSON value inside the
   * runner's own envelope. Throws when they cannot be serialized.
   */
  result(outputs: unknown, maxBytes: number): void {
    const json = stringify(outputs);
    const body = typeof json === 'string' ? json : 'null';
    // The grader reads no line longer than this: any longer one is not the runner's, so a forgery.
    const bytes = byteLength(body, 'utf8');
    if (bytes > maxBytes) {
      emit(`{"t":"error","kind":"BAD_OUTPUT","message":${str(`returned ${bytes} bytes of outputs, more than the ${maxBytes} this task can need`, MAX_MESSAGE)}}`);
      return;
    }
    emit(`{"t":"result","outputs":${body}}`);
  },

  /**
   * A note for the student that does not change the verdict; `message` is the runner's own text.
   * Each distinct message is sent once, and at most MAX_WARNINGS of them (a loop may repeat the call behind one).
   */
  warning(message: string): void {
    if (warned[message] === true || warnedCount >= MAX_WARNINGS) return;
    warned[message] = true;
    warnedCount++;
    emit(`{"t":"warning","message":${str(message, 900)}}`);
  },

  /** Never throws: the error is the submission's object and may be hostile. */
  error(kind: 'BAD_SUBMISSION' | 'CRASH', e: unknown, ownDir: string | undefined, runnerFile: string): void {
    let d: { oom: boolean; message: string; stack: string };
    try {
      d = describe(e, ownDir, runnerFile);
    } catch {
      d = { oom: false, message: 'an error that could not be described', stack: '' };
    }
    emit(`{"t":"error","kind":"${d.oom ? 'MEMORY_LIMIT' : kind}","message":${str(d.message, MAX_MESSAGE)}${d.stack ? `,"stack":${str(d.stack, MAX_STACK)}` : ''}}`);
  },
});

/** Engine messages of a real allocation failure, matched whole (a student's own text does not make it one). */
const OOM = /^(?:Array buffer allocation failed|Invalid typed array length: \d+|WebAssembly\.Memory(?:\.grow)?\(\): (?:Maximum memory size exceeded|Unable to grow instance memory|could not allocate memory)|Out of memory|out of memory)$/;
const FRAME = /^\s+at /;

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : StringCtor(v));

function describe(e: unknown, ownDir: string | undefined, runnerFile: string): { oom: boolean; message: string; stack: string } {
  const isObject = (typeof e === 'object' && e !== null) || typeof e === 'function';
  if (!isObject) return { oom: false, message: `Error: ${text(e)}`, stack: '' };
  const note = noteOf(e); // the runner's own errors and the call sites it noted
  const err = e as Record<string, unknown>;
  const message = text(err.message);
  const name = slice(text(err.name) || 'Error', 0, 100);
  const rawCode = err.code;
  const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? slice(StringCtor(rawCode), 0, 64) : '';
  const oom = apply(isPrototypeOf, RangeErrorProto, [e]) && message.length < 200 && matches(OOM, message);
  // Only the submission's own frames help a student; the runner's and Node's are noise. The
  // stack repeats the message (maybe millions of lines): read frames only after it, and few.
  const stack = note?.noFrames ? '' : note?.site ? stackOfSite(note.site) : text(err.stack);
  let at = 0;
  const heads = [`${name}: `, `${name} [${code}]: `, '']; // indexed, not iterated: iterators are patchable
  for (let i = 0; i < 3 && !note?.site; i++) {
    const head = heads[i]!;
    if (startsWith(stack, head) && startsWith(slice(stack, head.length, head.length + message.length), message)) { at = head.length + message.length; break; }
  }
  const own: string[] = [], other: string[] = [];
  let scanned = 0;
  while (at < stack.length && scanned < 1000 && own.length < MAX_FRAMES) {
    let end = indexOf(stack, '\n', at);
    if (end < 0) end = stack.length;
    const line = end - at > 1000 ? slice(stack, at, at + 1000) : slice(stack, at, end);
    at = end + 1;
    scanned++;
    if (!matches(FRAME, line)) continue;
    if (ownDir && indexOf(line, ownDir) >= 0) defineProperty(own, own.length, { value: line, enumerable: true, writable: true, configurable: true });
    else if (indexOf(line, runnerFile) < 0 && other.length < 3) defineProperty(other, other.length, { value: line, enumerable: true, writable: true, configurable: true });
  }
  const shown = note?.plain ? message : explained(err, code, ownDir);
  const frames = own.length || note || shown !== undefined ? own : other; // the runner's words: the student's frames or none
  let joined = '';
  for (let i = 0; i < frames.length; i++) joined += `${i ? '\n' : ''}${frames[i]}`;
  const withCode = code && indexOf(message, code) < 0 ? ` [${code}]` : '';
  return { oom, message: shown ?? `${name}${withCode}: ${message}`, stack: joined }; // cut by the channel
}

function stackOfSite(site: object): string {
  try {
    const s = (site as { stack?: unknown }).stack;
    return typeof s === 'string' ? s : '';
  } catch {
    return '';
  }
}

const NO_NETWORK_HINT = 'use the data and models the grader passes to train() (see the statement)';
/** The first words of "no network in the sandbox: … cannot be fetched; …", for fetch and every TF.js URL load. */
export function noNetwork(url: string): string {
  return `no network in the sandbox: ${url.length > 300 ? `${slice(url, 0, 300)}…` : url} cannot be fetched; ${NO_NETWORK_HINT}`;
}
const NET_LOOKUP = /^(?:ENOTFOUND|EAI_AGAIN)$/, NET_CONNECT = /^(?:ECONNREFUSED|ENETUNREACH|EHOSTUNREACH)$/;

/**
 * Node's own errors for what the sandbox forbids, said as the rule the student
 * broke: writes outside its output folder (the permission model's
 * ERR_ACCESS_DENIED) and network use (no route, no DNS in the sandbox).
 */
function explained(err: Record<string, unknown>, code: string, ownDir: string | undefined): string | undefined {
  if (code === 'ERR_ACCESS_DENIED' && err.permission === 'FileSystemWrite') {
    let path = text(err.resource);
    // A path inside the job's own folder is the grader's: shown relative to the current folder.
    const jobRoot = ownDir && ownDir.length > 4 ? slice(ownDir, 0, ownDir.length - 4) : undefined; // ".../jobs/<id>/" of ".../src/"
    if (jobRoot && startsWith(path, jobRoot)) path = `../${slice(path, jobRoot.length)}`;
    if (path.length > 300) path = `${slice(path, 0, 300)}…`;
    return `the sandbox may write only to its output folder (ctx.outDir / the current folder): ${path || 'that path'} is outside it`;
  }
  if (matches(NET_LOOKUP, code) || matches(NET_CONNECT, code)) {
    const host = text(err.hostname) || text(err.address);
    const port = typeof err.port === 'number' ? `:${err.port}` : '';
    if (host) return `no network in the sandbox: ${slice(host, 0, 200)}${port} cannot be reached; ${NO_NETWORK_HINT}`;
  }
  return undefined;
}

/** Ends the process with the exit that was there before the submission loaded. */
export function exitNow(code: number): never {
  apply(exitProcess, proc, [code]);
  throw new ErrorCtor('unreachable');
}

// ---- The lockdown ---------------------------------------------------------------------------

/**
 * Built-ins a submission may require, by name (with or without `node:`).
 * Everything else is refused, notably: module (createRequire, the loader
 * itself), vm (compiles code whose import() uses the default loader),
 * inspector (an in-process debugger reads any closure), repl, worker_threads,
 * child_process, cluster, wasi (most are denied by the permission model as
 * well), trace_events (writes trace files: 2.9 GiB seen), async_hooks and
 * diagnostics_channel (watch the runner's own resources), node:test and sea.
 * Network modules stay: the network namespace is what isolates them.
 */
const ALLOWED: Record<string, true> = create(null);
for (const name of [
  'assert', 'assert/strict', 'buffer', 'console', 'constants', 'crypto', 'dgram', 'dns', 'dns/promises', 'events', 'fs', 'fs/promises',
  'http', 'http2', 'https', 'net', 'os', 'path', 'path/posix', 'path/win32', 'perf_hooks', 'process', 'punycode', 'querystring',
  'readline', 'readline/promises', 'stream', 'stream/consumers', 'stream/promises', 'stream/web', 'string_decoder', 'timers',
  'timers/promises', 'tls', 'tty', 'url', 'util', 'util/types', 'v8', 'zlib',
]) ALLOWED[name] = true;
const TF_NAME = /^@tensorflow\/tfjs(?:-[a-z-]+)?$/;

function denied(message: string): Error {
  const e = new ErrorCtor(message);
  defineProperty(e, 'code', { value: 'ERR_ACCESS_DENIED', enumerable: true, configurable: true, writable: true });
  return e;
}
const refuser = (what: string) => freeze(() => { throw denied(`${what} is not available in the sandbox`); });

/** The built-in `id`, if submissions may have it; throws ERR_ACCESS_DENIED for a refused built-in. */
function allowedBuiltin(id: string, isBuiltin: (id: string) => boolean, runnerRequire: (id: string) => unknown): unknown {
  const bare = startsWith(id, 'node:') ? slice(id, 5) : id;
  if (ALLOWED[bare] === true) return builtinOf ? apply(builtinOf, proc, [bare]) : runnerRequire(bare);
  if (isBuiltin(id)) throw denied(`require('${slice(id, 0, 100)}') is not available in the sandbox`);
  return undefined;
}

export interface Lockdown {
  /** The require() the submission gets: allowed Node built-ins by name, TF.js by its package names, nothing else. */
  require: (id: string) => unknown;
}

/**
 * Applied once the backend and the task's sandbox half are loaded, before the
 * submission is. `runnerRequire` is the runner's own require (for 'module'
 * and the built-ins on a Node without process.getBuiltinModule).
 */
export function lockdown(tf: unknown, runnerRequire: (id: string) => unknown): Lockdown {
  const { isBuiltin, syncBuiltinESMExports } = runnerRequire('node:module') as typeof import('node:module');
  // v8: flags at run time (--allow-natives-syntax) and heap snapshots (the runner's memory).
  const v8 = runnerRequire('node:v8') as Record<string, unknown>;
  for (const name of ['setFlagsFromString', 'writeHeapSnapshot', 'getHeapSnapshot', 'setHeapSnapshotNearHeapLimit']) {
    if (typeof v8[name] === 'function') defineProperty(v8, name, { value: refuser(`v8.${name}()`), enumerable: true, writable: false, configurable: false });
  }
  syncBuiltinESMExports();
  // process: the runner's own module (and its require) and the loaders' back doors. binding()
  // is denied by the permission model already and dlopen() unless --allow-addons; both go anyway.
  delete (proc as { mainModule?: unknown }).mainModule;
  for (const name of ['binding', '_linkedBinding', 'dlopen']) {
    defineProperty(proc, name, { value: refuser(`process.${name}()`), enumerable: false, writable: false, configurable: false });
  }
  const getBuiltinModule = freeze((id: string) => {
    if (typeof id !== 'string') throw new TypeErrorCtor('The "id" argument must be of type string');
    return allowedBuiltin(id, isBuiltin, runnerRequire);
  });
  defineProperty(proc, 'getBuiltinModule', { value: getBuiltinModule, enumerable: true, writable: false, configurable: false });
  // The sandbox has no network (its own network namespace): fetch, and every TF.js load of an
  // http(s) URL (tf.loadLayersModel, loadGraphModel, tf.io.http go through it), says so
  // instead of undici's "fetch failed". It stays a function: without one, TF.js' http router
  // steps aside and the student reads "Cannot find any load handlers".
  const fetch = freeze(function fetch(input: unknown): Promise<never> {
    let url = 'that URL';
    try {
      const u = typeof input === 'string' ? input : input && typeof input === 'object' && typeof (input as { url?: unknown }).url === 'string' ? (input as { url: string }).url : StringCtor(input);
      if (u) url = u;
    } catch { /* a URL object whose toString throws: the generic words */ }
    return apply(promiseReject, PromiseCtor, [studentError(new TypeErrorCtor(noNetwork(url)), { site: urlLoadSite(url) })]) as Promise<never>;
  });
  defineProperty(globalObject, 'fetch', { value: fetch, enumerable: true, writable: true, configurable: true });
  const require = freeze((id: string) => {
    if (typeof id !== 'string') throw new TypeErrorCtor('The "id" argument must be of type string');
    if (matches(TF_NAME, id)) return tf;
    const m = allowedBuiltin(id, isBuiltin, runnerRequire);
    if (m === undefined) throw denied(`require('${slice(id, 0, 100)}'): a submission may require only Node built-ins at run time (its own files and @tensorflow/tfjs are bundled when it is compiled)`);
    return m;
  });
  return { require };
}

/**
 * Runs the compiled submission (CommonJS) as a function of plain `module` and
 * `require` objects. vm.compileFunction without importModuleDynamically makes
 * every import() in it (eval'd or not) reject. The source map is registered
 * the way Node registers an eval'd script's, so stack traces show the
 * student's .ts lines.
 */
export function loadSubmission(file: string, source: string, lock: Lockdown): unknown {
  const map = /\n\/\/# sourceMappingURL=(data:application\/json;(?:charset=utf-8;)?base64,[A-Za-z0-9+/=]+)\s*$/.exec(source);
  // Comments only (a path with a line break could end one: then no map).
  if (map && !/[\n\r\u2028\u2029]/.test(file)) (0, eval)(`//# sourceURL=${file}\n//# sourceMappingURL=${map[1]}\n`);
  const dir = file.slice(0, file.lastIndexOf('/')) || '/';
  const wrapper = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  const module = { exports: {} as unknown, id: '.', filename: file, loaded: false };
  apply(wrapper, module.exports, [module.exports, lock.require, module, file, dir]);
  module.loaded = true;
  return module.exports;
}
