// Sandbox half of the tabular labs: hands the submission its training rows,
// then asks it to predict the test rows (whose targets stay in the grader).
import { numbersOf, OutputError, tensorOf, reportingOutputProblems } from '../shared/images.ts';
import { countModelCalls, countOptimizerSteps, refuseFit } from '../shared/training-guards.ts';
import { ContractError, type SandboxTask } from '../types.ts';

export const runTabular: SandboxTask = reportingOutputProblems(async (sub, ctx) => {
  const { tf, params } = ctx;
  for (const fn of ['train', 'predict']) if (typeof sub[fn] !== 'function') throw new ContractError(`the submission must export a function \`${fn}\` (see the assignment statement)`);
  const { variant, columns, classes, xTrain, yTrain, xTest } = params as { variant: string; columns: string[]; classes: string[] | null; xTrain: number[][]; yTrain: number[]; xTest: number[][] };
  const calls = countModelCalls(tf, ['fit']);
  if (variant === 'custom-loop') refuseFit(tf);
  const steps = countOptimizerSteps(tf);

  const features = tf.tensor2d(xTrain, [xTrain.length, columns.length]);
  const target = classes ? tf.tensor1d(yTrain, 'int32') : tf.tensor1d(yTrain);
  ctx.progress({ phase: 'train' });
  const model = await (sub.train as Function)({ features, [classes ? 'labels' : 'target']: target, columns, ...(classes ? { classes } : {}) },
    { seed: ctx.seed, maxBatchSize: ctx.limits.maxBatchSize, timeLimitSec: ctx.limits.timeLimitSec });

  ctx.progress({ phase: 'predict' });
  const out = await (sub.predict as Function)(model, tf.tensor2d(xTest, [xTest.length, columns.length]));
  const { values, shape } = await numbersOf(tf, out, 'predict()', classes ? `[${xTest.length}, ${classes.length}] class scores or ${tensorOf(xTest.length)} (class ids)` : tensorOf(xTest.length));
  let predictions = values;
  if (classes) {
    // Class scores [n, k] become their arg-max; a flat [n] is taken as class ids.
    if (shape.length === 2 && shape[1] === classes.length) {
      predictions = Array.from({ length: shape[0]! }, (_, i) => {
        const row = values.slice(i * classes.length, (i + 1) * classes.length);
        return row.indexOf(Math.max(...row));
      });
    } else if (shape.length !== 1) throw new OutputError(`predict() must return [n, ${classes.length}] class scores or [n] class ids, got shape [${shape.join(', ')}]`);
  } else if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) throw new OutputError(`predict() must return one number per row ([n] or [n, 1]), got shape [${shape.join(', ')}]`);
  return { predictions, fitCalls: calls.fit, optimizerSteps: steps() };
});
