// What the grader watches while a submission trains, in the sandbox:
// optimizer steps (a hand-written loop must take some) and, for assignments
// about hand-written loops, refusing model.fit, fitDataset and trainOnBatch
// outright (trainOnBatch runs fit's own training step: its optimizer steps
// would count as the loop's).
import { ContractError, type SandboxTaskContext } from '../types.ts';
import { refuseModelTraining, type TrainingCall } from '../../sandbox/child/fit-hooks.ts';

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

const HOW = 'take each step yourself: optimizer.minimize(() => loss), or tf.variableGrads(() => loss) and optimizer.applyGradients(grads)';

/** Why a Layers training call is refused where a hand-written loop is asked for: what to use instead. */
export function handWrittenLoopRefusal(call: TrainingCall): ContractError {
  if (call === 'model.fit' || call === 'model.fitDataset') {
    return new ContractError(`this assignment asks for a hand-written training loop: model.fit and model.fitDataset are disabled (${call} was called); ${HOW}`);
  }
  return new ContractError(`this assignment asks for a hand-written training loop: ${call} is disabled too (it runs the training step model.fit uses, so its optimizer steps are not your loop's); ${HOW}`);
}

/**
 * Makes model.fit, fitDataset, trainOnBatch and makeTrainFunction throw a
 * ContractError (a BAD_SUBMISSION that says why). The refusal sits in the
 * fit hooks installed before the submission loaded, so a reference it took
 * to them then is refused as well; the prototypes are replaced too. Student
 * code shares the realm and could still reach around it: an integrity signal.
 */
export function refuseFit(tf: Tf): void {
  refuseModelTraining(handWrittenLoopRefusal);
  const proto = tf.LayersModel.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const call of ['fit', 'fitDataset', 'trainOnBatch', 'makeTrainFunction'] as const) {
    proto[call] = () => { throw handWrittenLoopRefusal(`model.${call}`); };
  }
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
