// Keeps TF.js on the backend the grader loaded. Tutorials start with
// `await tf.setBackend('cpu')` (or 'webgl', 'tensorflow'); obeyed, it would run
// the submission on another backend than the one its result records (and cpu
// is 100× slower than wasm). So switching, removing or registering a backend
// is ignored, with a warning for the student; asking for the backend already
// in use is a silent no-op, and tf.ready() works as ever.
//
// The guard sits on TF.js' Engine prototype, which tf.setBackend,
// tf.removeBackend, tf.registerBackend and tf.engine().setBackend all reach.
// It runs in the submission's realm: a submission determined to move TF.js
// (by writing the engine's fields) can, so the runner also looks at the
// backend once the submission is done (backendCheck), an integrity signal.
type Tf = typeof import('@tensorflow/tfjs');

const { apply, defineProperty, getPrototypeOf } = Reflect;
const strSlice = String.prototype.slice;
const jsonStringify = JSON.stringify;
const PromiseCtor = Promise, promiseResolve = Promise.resolve;
const MAX_IGNORED_WARNINGS = 5;
const warnedAbout: Record<string, true> = Object.create(null);

/** `tf.setBackend('cpu')` as the student wrote it, quoted for the warning. */
function shown(call: string, arg: unknown): string {
  const quoted = typeof arg === 'string' ? `'${apply(strSlice, jsonStringify(apply(strSlice, arg, [0, 40])), [1, -1])}'` : typeof arg;
  return `tf.${call}(${quoted})`;
}

/**
 * Installs the guard for backend `name` (already set and ready). `warn` gets
 * each warning (the channel sends each distinct one once). Returns a check for
 * the end of the run: a warning if TF.js is on another backend by then.
 */
export function guardBackend(tf: Tf, name: string, warn: (message: string) => void): () => string | undefined {
  const engine = tf.engine() as unknown as Record<string, unknown>;
  const proto = getPrototypeOf(engine) as Record<string, unknown>;
  const instance = engine.backendInstance;
  // A few distinct ones: the warnings a run may send are limited, and the end-of-run check must still get through.
  let ignoredWarnings = 0;
  const ignored = (call: string, arg: unknown) => {
    if (ignoredWarnings >= MAX_IGNORED_WARNINGS) return;
    const message = `${shown(call, arg)} was ignored: the grader runs every submission on ${name}`;
    if (warnedAbout[message] === true) return;
    warnedAbout[message] = true;
    ignoredWarnings++;
    warn(message);
  };
  const guards: Record<string, (this: unknown, ...a: unknown[]) => unknown> = {
    setBackend(backendName: unknown) {
      if (backendName !== name) ignored('setBackend', backendName);
      return apply(promiseResolve, PromiseCtor, [true]); // as TF.js answers a switch that worked
    },
    removeBackend(backendName: unknown) {
      ignored('removeBackend', backendName);
    },
    registerBackend(backendName: unknown) {
      ignored('registerBackend', backendName);
      return false; // as TF.js answers a name registered already
    },
  };
  for (const key of ['setBackend', 'removeBackend', 'registerBackend']) {
    // Fixed in place: neither the prototype's nor the engine's own property can be put back.
    const value = guards[key]!;
    defineProperty(proto, key, { value, writable: false, enumerable: false, configurable: false });
    defineProperty(engine, key, { value, writable: false, enumerable: false, configurable: false });
  }
  return () => {
    let now: unknown, same = false;
    try {
      now = engine.backendName;
      same = engine.backendInstance === instance;
    } catch { /* a getter the submission put there */ }
    if (now === name && same) return undefined;
    const other = typeof now === 'string' ? `'${apply(strSlice, now, [0, 40])}'` : 'another backend';
    return `TF.js was on ${same ? other : `${other} (another backend instance)`}, not ${name}, when the submission finished: it moved TF.js off the grader's backend, which the result still records; leave the backend to the grader`;
  };
}
