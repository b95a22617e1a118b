// Host half of the WORK1 cubic-fit assignments. Four variants share the data
// and the MSE metric; each adds what its work asks for:
//   fit          (1.1) the Layers API: model.fit must be used
//   custom-loop  (1.2) a hand-written loop: model.fit is disabled, optimizer steps counted
//   checkpoints  (1.3) checkpoints saved from an epoch-end callback during fit (an in-realm signal, cross-checked
//                against the folders); the grader restores the latest
//   save-restore (1.4) weights-only and whole-model artifacts, both reloaded by the grader
import type { PrepareContext, PreparedTask, TaskHost, VerifyResult } from '../types.ts';
import { COEFFICIENT_SPREAD, cubicData, graderCoefficients, maxAbsDiff, mse, type CubicSpec } from './data.ts';

export type FitVariant = 'fit' | 'custom-loop' | 'checkpoints' | 'save-restore';

export interface FunctionFitParams extends CubicSpec {
  kind: 'function-fit';
  variant: FitVariant;
}

const nums = { type: 'array', items: { type: 'number' } };
/** An output schema's array of predictions, with the function of the submission they came from (judge.ts describes a bad one). */
const predictionsOf = (fn: string) => ({ ...nums, returnedBy: fn, each: 'held-out point', noun: 'prediction' });

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'variant', 'coefficients', 'xRange', 'noiseStd', 'trainCount', 'testCount'],
  properties: {
    kind: { const: 'function-fit' },
    variant: { enum: ['fit', 'custom-loop', 'checkpoints', 'save-restore'] },
    coefficients: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 },
    xRange: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
    noiseStd: { type: 'number', minimum: 0 },
    trainCount: { type: 'integer', minimum: 10, maximum: 100000 },
    testCount: { type: 'integer', minimum: 10, maximum: 100000 },
  },
};

const outputSchemas: Record<FitVariant, object> = {
  fit: { type: 'object', required: ['predictions', 'fitCalls'], properties: { predictions: predictionsOf('predict()'), fitCalls: { type: 'integer' } } },
  'custom-loop': { type: 'object', required: ['predictions', 'optimizerSteps'], properties: { predictions: predictionsOf('predict()'), optimizerSteps: { type: 'integer' } } },
  checkpoints: {
    type: 'object',
    required: ['predictions', 'saves'],
    properties: {
      predictions: predictionsOf('model.predict() (the model from restore())'),
      saves: {
        type: 'object',
        required: ['inTraining', 'other'],
        properties: {
          inTraining: { type: 'array', maxItems: 1000, items: { type: 'object', required: ['epoch', 'folder'], properties: { epoch: { type: 'integer', minimum: 1 }, folder: { type: 'string', pattern: '^epoch-\\d+$' } } } },
          other: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
  'save-restore': {
    type: 'object',
    required: ['trained', 'fromWeights', 'fromModel'],
    properties: { trained: predictionsOf('model.predict() (the model from train())'), fromWeights: predictionsOf('model.predict() (the model from loadWeights())'), fromModel: predictionsOf('model.predict() (the model from loadModel())') },
  },
};

/** The sandbox's record of model.save calls (function-fit/sandbox.ts checkpointSaves). */
interface CheckpointSaves { inTraining: { epoch: number; folder: string }[]; other: number }
interface CheckpointVerify { checkpoints: { epoch: number; name?: string; mtimeMs: number }[]; predictions: number[] | null; errors: string[] }
interface SaveRestoreVerify { fromModel: number[] | null; fromWeights: number[] | null; weightsOnly: boolean; errors: string[] }

export const functionFit: TaskHost = {
  kind: 'function-fit',
  paramsSchema,
  metrics: ['mse', 'fit_calls', 'optimizer_steps', 'checkpoints_written', 'checkpoint_folders', 'restore_max_abs_diff', 'model_restore_diff', 'weights_restore_diff', 'own_restore_diff', 'weights_only'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as FunctionFitParams;
    // grade: the grader's cubic is near the statement's (each coefficient within ±0.3), and it, the training points
    // and the held-out points all come from the secret draw, so the statement's coefficients alone miss the MSE
    // threshold and only training on the handed data passes. check: the statement's cubic, training points from
    // the public seed and held-out points from the public "<seed>/check", as always.
    const grading = ctx.mode === 'grade';
    const mseLimit = Math.max(0, ...ctx.assignment.spec.rubric.filter((r) => r.metric === 'mse').map((r) => r.threshold));
    const truth: CubicSpec = grading ? { ...p, coefficients: graderCoefficients(p, ctx.draw, 2 * (mseLimit || 0.1)) } : p;
    const data = cubicData(truth, grading ? ctx.draw : ctx.assignment.spec.seed);
    const held = grading ? data : cubicData(p, ctx.draw);
    const params = { variant: p.variant, xTrain: data.xTrain, yTrain: data.yTrain, xTest: held.xTest };
    const n = held.xTest.length;
    const expectLength = (key: string, xs: unknown) => {
      const got = (xs as number[]).length;
      const from = ((outputSchemas[p.variant] as { properties: Record<string, { returnedBy?: string }> }).properties[key]?.returnedBy) ?? 'predict()';
      if (got !== n) throw new Error(`${from} returned ${got} predictions for ${n} held-out points; return one prediction per row of x (a tensor of shape [${n}, 1])`);
    };
    return {
      files: {},
      params,
      dataset: {
        name: 'cubic',
        // Never the grader's own coefficients: results may be shown to students.
        checksum: `coefficients ${grading ? `within ±${COEFFICIENT_SPREAD} of ` : ''}${p.coefficients.join(',')}, noise ${p.noiseStd}, seed ${ctx.assignment.spec.seed}`,
        evaluatedOn: `${n} held-out points (${grading ? 'secret grading' : 'public check'} draw)`,
      },
      outputSchema: outputSchemas[p.variant],
      checkOutputs(outputs) {
        const o = outputs as Record<string, number[]>;
        if (p.variant === 'save-restore') for (const k of ['trained', 'fromWeights', 'fromModel']) expectLength(k, o[k]);
        else expectLength('predictions', o.predictions);
      },
      ...(p.variant === 'checkpoints' || p.variant === 'save-restore' ? { verify: { params: { variant: p.variant, xTest: held.xTest } } } : {}),
      score(outputs, verified?: VerifyResult): Record<string, number> {
        const o = outputs as Record<string, any>;
        if (p.variant === 'fit') return { mse: mse(o.predictions, held.yTest), fit_calls: o.fitCalls };
        if (p.variant === 'custom-loop') return { mse: mse(o.predictions, held.yTest), optimizer_steps: o.optimizerSteps };
        if (p.variant === 'checkpoints') {
          const v = verified?.outputs as CheckpointVerify | undefined;
          const cps = v?.checkpoints ?? [];
          const saves = (o as { saves: CheckpointSaves }).saves;
          // Written during training: only model.save calls the sandbox saw inside an epoch-end callback of a running
          // fit count, one per distinct epoch, and only into a folder epoch-N the verify stage found on disk.
          // Saving every folder after fit returns counts nothing. That moment is observed in the submission's realm
          // (an integrity signal); the folders' modification times, each later than the one before, stay a cross-check.
          const found = new Set(cps.map((c) => c.name ?? `epoch-${c.epoch}`));
          const epochs = new Set(saves.inTraining.filter((s) => found.has(s.folder)).map((s) => s.epoch));
          const increasing = cps.every((c, i) => i === 0 || c.mtimeMs > cps[i - 1]!.mtimeMs);
          return {
            mse: mse(o.predictions, held.yTest),
            checkpoints_written: increasing ? epochs.size : 0,
            checkpoint_folders: cps.length,
            restore_max_abs_diff: v?.predictions ? maxAbsDiff(v.predictions, o.predictions) : Infinity,
          };
        }
        const v = verified?.outputs as SaveRestoreVerify | undefined;
        return {
          mse: mse(o.trained, held.yTest),
          own_restore_diff: Math.max(maxAbsDiff(o.fromWeights, o.trained), maxAbsDiff(o.fromModel, o.trained)),
          model_restore_diff: v?.fromModel ? maxAbsDiff(v.fromModel, o.trained) : Infinity,
          weights_restore_diff: v?.fromWeights ? maxAbsDiff(v.fromWeights, o.trained) : Infinity,
          weights_only: v?.weightsOnly ? 1 : 0,
        };
      },
    };
  },
};
