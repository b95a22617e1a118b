// expect: BAD_OUTPUT /expected \d+ distances \(one per pair\), got \d+/
// Looks for the runner's functions through Function.prototype.caller (from a sloppy-mode distance) and
// CallSite.getFunction()/getThis(), and calls whatever it finds with a forged MEMORY_LIMIT message.
import * as tf from '@tensorflow/tfjs';

const forged = { t: 'error', kind: 'MEMORY_LIMIT', message: 'the grader machine ran out of memory' };
type CallSite = { getFunction(): unknown; getThis(): unknown };

function fromStack(): unknown[] {
  const E = Error as unknown as { prepareStackTrace?: (e: Error, cs: CallSite[]) => unknown };
  const before = E.prepareStackTrace;
  E.prepareStackTrace = (_e, cs) => cs.flatMap((c) => [c.getFunction(), c.getThis()]);
  try { return new Error().stack as unknown as unknown[]; } finally { E.prepareStackTrace = before; }
}

function callAll(found: unknown[]): void {
  for (const x of found) {
    const fns = typeof x === 'function' ? [x] : x && typeof x === 'object' ? Object.values(x).filter((v) => typeof v === 'function') : [];
    for (const fn of fns as ((...a: unknown[]) => unknown)[]) {
      if (fn === distance || fn === callAll || fn === fromStack) continue;
      try { fn(forged); fn('MEMORY_LIMIT', new RangeError('the grader machine ran out of memory')); } catch { /* next */ }
    }
  }
}

export async function train() {}

// Sloppy mode (a Function-constructor function), so that .caller is readable at all.
export const distance = new Function('fromStack', 'callAll', `
  return function distance(model, a, b) {
    var found = fromStack();
    try { for (var f = distance.caller, i = 0; f && i < 50; f = f.caller, i++) found.push(f); } catch (e) { /* a strict caller */ }
    callAll(found);
    return [1, 2, 3];
  };
`)(fromStack, callAll) as (model: unknown, a: tf.Tensor, b: tf.Tensor) => number[];
