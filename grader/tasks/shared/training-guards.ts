// What the grader watches while a submission trains, in the sandbox:
// optimizer steps (a hand-written loop must take some) and, for assignments
// about hand-written loops, refusing model.fit outright.
import { ContractError, type SandboxTaskContext } from '../types.ts';

type Tf = SandboxTaskContext['tf'];

/** Counts optimizer steps: optimizer.minimize and optimizer.applyGradients both end in applyGradients. */
export function countOptimizerSteps(tf: Tf): () => number {
  let applied = 0;
  const optimizers = [tf.SGDOptimizer, tf.MomentumOptimizer, tf.AdamOptimizer, tf.AdamaxOptimizer, tf.AdagradOptimizer, tf.AdadeltaOptimizer, tf.RMSPropOptimizer];
  for (const cls of optimizers) {
    const proto = cls.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    const orig = proto.applyGradients!;
    proto.applyGradients = function (this: unknown, ...a: unknown[]) { applied++; return orig.apply(this, a); };
  }
  return () => applied;
}

/** Makes model.fit / fitDataset throw a ContractError (a BAD_SUBMISSION that says why). */
export function refuseFit(tf: Tf): void {
  const proto = tf.LayersModel.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const refuse = () => { throw new ContractError('this assignment asks for a hand-written training loop: model.fit and model.fitDataset are disabled (use optimizer.minimize or tf.variableGrads)'); };
  proto.fit = refuse;
  proto.fitDataset = refuse;
}

/** Counts calls of LayersModel methods (fit, evaluate, …). */
export function countModelCalls<K extends string>(tf: Tf, names: readonly K[]): Record<K, number> {
  const proto = tf.LayersModel.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const calls = Object.fromEntries(names.map((n) => [n, 0])) as Record<K, number>;
  for (const name of names) {
    const original = proto[name]!;
    proto[name] = function (this: unknown, ...a: unknown[]) { calls[name]++; return original.apply(this, a); };
  }
  return calls;
}
