// Where in the submission's own files a call came from, for messages a student
// can act on ("… (index.ts:12)"), and the runner's notes on errors it made or
// saw (describe() in lockdown.ts reads them). Everything here is captured when
// the runner loads, before any student code: the submission may patch String,
// RegExp or WeakMap methods later. A submission can still shape its own stacks
// (Error.prepareStackTrace, Error.stackTraceLimit): that only changes its own
// messages, never what the grader decides.
const { apply } = Reflect;
const strIndexOf = String.prototype.indexOf, strSlice = String.prototype.slice, strLastIndexOf = String.prototype.lastIndexOf;
const reExec = RegExp.prototype.exec;
const ErrorCtor = Error;
const WeakMapCtor = WeakMap;
const wmGet = WeakMap.prototype.get, wmSet = WeakMap.prototype.set, wmHas = WeakMap.prototype.has;

const FRAME = /^\s+at /;
/** The file and line at the end of a frame: "…/src/dir/index.ts:12:9)" or "…:12:9". */
const FILE_LINE = /^(.*?):(\d+):\d+\)?$/;

let ownDir: string | undefined;

/** The submission's copied sources (ends with '/'): frames there are the student's own. */
export function setOwnDir(dir: string | undefined): void {
  ownDir = dir;
}

/**
 * A stack captured now; formatted only if a message needs it. Deep enough to
 * get past TF.js' own frames (the default 10 often ends inside them).
 */
export function captureSite(): object {
  let limit: unknown;
  try {
    limit = (ErrorCtor as { stackTraceLimit?: unknown }).stackTraceLimit;
    (ErrorCtor as { stackTraceLimit?: unknown }).stackTraceLimit = 40;
  } catch { /* the submission made it an accessor that throws: the stack is what it is */ }
  const site = new ErrorCtor();
  try {
    (ErrorCtor as { stackTraceLimit?: unknown }).stackTraceLimit = limit;
  } catch { /* as above */ }
  return site;
}

/** The stack text of a captured site (or of any error), '' when it has none. */
export function stackOf(site: unknown): string {
  try {
    const s = (site as { stack?: unknown } | null)?.stack;
    return typeof s === 'string' ? s : '';
  } catch {
    return '';
  }
}

/** "index.ts:12": the first of the submission's own frames in `stack`, relative to its folder. */
export function siteIn(stack: string): string | undefined {
  if (!ownDir) return undefined;
  let at = 0;
  for (let scanned = 0; at < stack.length && scanned < 200; scanned++) {
    let end = apply(strIndexOf, stack, ['\n', at]) as number;
    if (end < 0) end = stack.length;
    const line = apply(strSlice, stack, [at, end - at > 1000 ? at + 1000 : end]) as string;
    at = end + 1;
    if (apply(reExec, FRAME, [line]) === null) continue;
    const i = apply(strLastIndexOf, line, [ownDir]) as number;
    if (i < 0) continue;
    const m = apply(reExec, FILE_LINE, [apply(strSlice, line, [i + ownDir.length])]) as RegExpExecArray | null;
    if (m) return `${m[1]}:${m[2]}`;
  }
  return undefined;
}

/** " (index.ts:12)" for a captured site, or '' when no frame of the submission's is in it. */
export function siteSuffix(site: unknown): string {
  const where = siteIn(stackOf(site));
  return where ? ` (${where})` : '';
}

/**
 * What the runner knows about an error beyond the error itself:
 * `plain`: the runner wrote its message for the student, shown as is (no "Error: ");
 * `site`: where the submission made the call that failed (its frames replace the error's own);
 * `noFrames`: the message names the place already, so no frames are shown.
 */
export interface ErrorNote { plain: boolean; site?: object; noFrames?: boolean }
const notes = new WeakMapCtor<object, ErrorNote>();

/**
 * Marks `e` as carrying the runner's own message for the student. Its frames:
 * none with `noFrames` (the message names the place), else `site`'s, else its own stack's.
 */
export function studentError<E extends Error>(e: E, how: { noFrames?: boolean; site?: object } = {}): E {
  apply(wmSet, notes, [e, { plain: true, noFrames: how.noFrames === true, site: how.site }]);
  return e;
}

/**
 * The last URL TF.js was asked to load (tf.loadLayersModel, loadGraphModel…), and
 * where: TF.js fetches it later, in async steps the student's line is no longer on.
 */
let lastUrlLoad: { url: string; site: object } | undefined;
const WEB_URL = /^https?:\/\//i;
/** A TF.js load router for http(s) URLs that only notes the call and leaves the URL to TF.js' own http router. */
export function noteUrlLoad(url: unknown): null {
  if (typeof url === 'string' && apply(reExec, WEB_URL, [url]) !== null) lastUrlLoad = { url, site: captureSite() };
  return null;
}
export function urlLoadSite(url: string): object | undefined {
  return lastUrlLoad && lastUrlLoad.url === url ? lastUrlLoad.site : undefined;
}

/**
 * Notes where the submission made the call behind `e`, an error raised where
 * no frame of the submission's is on the stack (inside TF.js' async steps, say).
 */
export function noteSite(e: unknown, site: object): void {
  if (((typeof e !== 'object' || e === null) && typeof e !== 'function') || apply(wmHas, notes, [e])) return;
  if (siteIn(stackOf(e)) !== undefined) return; // its own stack shows the student's line already
  apply(wmSet, notes, [e, { plain: false, site }]);
}

export function noteOf(e: unknown): ErrorNote | undefined {
  if ((typeof e !== 'object' || e === null) && typeof e !== 'function') return undefined;
  return apply(wmGet, notes, [e]) as ErrorNote | undefined;
}
