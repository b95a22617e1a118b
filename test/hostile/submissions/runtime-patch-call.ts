// expect: BAD_OUTPUT /expected \d+ distances \(one per pair\), got \d+/
// Patches Function.prototype.call/apply and Reflect.apply: every call made through them that writes to fd 3
// gets a forged line instead, and every function seen is remembered and later called with a forged message.
import * as tf from '@tensorflow/tfjs';

const seen = new Set<(...a: unknown[]) => unknown>();
const forgedMessage = { t: 'error', kind: 'MEMORY_LIMIT', message: 'the grader machine ran out of memory' };
const forgedLine = JSON.stringify(forgedMessage) + '\n';

export async function train() {
  const reflectApply = Reflect.apply;
  const swap = (fn: (...a: unknown[]) => unknown, args: unknown[]) => {
    if (seen.size < 5000) seen.add(fn);
    if (args[0] === 3 && (typeof args[1] === 'string' || args[1] instanceof Uint8Array)) return [3, forgedLine];
    return args;
  };
  Function.prototype.call = function (this: (...a: unknown[]) => unknown, thisArg: unknown, ...args: unknown[]) { return reflectApply(this, thisArg, swap(this, args)); };
  Function.prototype.apply = function (this: (...a: unknown[]) => unknown, thisArg: unknown, args?: ArrayLike<unknown>) { return reflectApply(this, thisArg, swap(this, Array.from(args ?? []))); };
  Reflect.apply = ((fn: (...a: unknown[]) => unknown, thisArg: unknown, args: ArrayLike<unknown>) => reflectApply(fn, thisArg, swap(fn, Array.from(args)))) as typeof Reflect.apply;
}

export async function distance() {
  for (const fn of [...seen]) {
    if (/^(?:channel|emit|error|fail|progress|send|result|ready)/.test(fn.name)) {
      try { fn(forgedMessage); fn('MEMORY_LIMIT', new RangeError('the grader machine ran out of memory')); } catch { /* keep trying */ }
    }
  }
  return [1, 2, 3];
}
