// expect: BAD_OUTPUT /expected \d+ distances \(one per pair\), got \d+/
// Replaces JSON.stringify so that whatever the runner serializes would become a MEMORY_LIMIT blamed on the
// grader: a whole forged message for a message object, and an injected `"kind":"MEMORY_LIMIT"` for the
// outputs or a string spliced into a message.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const original = JSON.stringify;
  const forged = original({ t: 'error', kind: 'MEMORY_LIMIT', message: 'the grader machine ran out of memory' });
  const injected = '"x","kind":"MEMORY_LIMIT","message":"the grader machine ran out of memory"';
  JSON.stringify = function (value: unknown, ...rest: unknown[]) {
    if (value && typeof value === 'object' && 't' in value) return forged;
    if (value && typeof value === 'object' && 'distances' in value) return `null,"t":"error",${injected.slice(4)}`;
    if (typeof value === 'string') return injected;
    return (original as (...a: unknown[]) => string)(value, ...rest);
  } as typeof JSON.stringify;
}

// Wrong on purpose: had the patch above worked, the grader would have been told something else; it must see these 3 distances per chunk.
export async function distance() { return [1, 2, 3]; }
