// IMDB review sentiment (course notes 001, lab 3; notes 002, §3): a model that
// takes the grader's word-id sequences and says whether a review is positive.
// The grader splits the deduplicated reviews with the grading draw, builds the
// vocabulary from the training reviews only and encodes every review
// (grader/data/imdb.ts). The run stage saves the model train() returned; the
// verify stage (no student code) loads that copy and predicts the evaluated
// reviews, whose labels stay in this process.
//   accuracy          measured: the verify stage's predictions against the hidden labels
//   embedding_layers  verified: Embedding layers (input_dim ≥ the vocabulary) in that same saved model.json
import { buildVocabulary, encodeSequences, ensureImdbCache, imdbSplit, readImdbLabels, readImdbTexts } from '../../data/imdb.ts';
import { accuracy, confusionMatrix } from '../../metrics/classes.ts';
import { layersOf, savedModelIn, type SavedModel } from '../shared/topology.ts';
import type { PrepareContext, PreparedTask, TaskHost, VerifyResult } from '../types.ts';
import { preparedFiles } from './files.ts';

export interface TextClassifyParams {
  kind: 'text-classify';
  dataset: 'imdb';
  trainCount: number;
  /** Reviews evaluated on: the hidden test reviews (grade) or held-back training reviews (check). */
  evalCount: number;
  vocabSize: number;
  sequenceLength: number;
  predictBatch?: number;
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'dataset', 'trainCount', 'evalCount', 'vocabSize', 'sequenceLength'],
  properties: {
    kind: { const: 'text-classify' },
    dataset: { const: 'imdb' },
    trainCount: { type: 'integer', minimum: 20, maximum: 45000 },
    evalCount: { type: 'integer', minimum: 20, maximum: 25000 },
    vocabSize: { type: 'integer', minimum: 10, maximum: 100000 },
    sequenceLength: { type: 'integer', minimum: 4, maximum: 2000 },
    predictBatch: { type: 'integer', minimum: 1, default: 1000 },
  },
};

const outputSchema = {
  type: 'object',
  required: ['fitCalls'],
  properties: { fitCalls: { type: 'integer', minimum: 0 } },
};

export interface TextClassifyVerify {
  /** Per evaluated review, 1 when the saved model calls it positive, else 0; null when the model did not load or predict. */
  classes: number[] | null;
  modelJson: string | null;
  errors: string[];
}

/** Embedding layers of the saved model that cover the whole vocabulary (input_dim ≥ vocabSize), and all of them. */
export function embeddingLayers(saved: SavedModel, vocabSize: number): { covering: number; all: { name: string; inputDim: number }[] } {
  const all = layersOf(saved).filter((l) => l.className === 'Embedding').map((l) => ({ name: l.name, inputDim: Number(l.config.input_dim ?? l.config.inputDim) }));
  return { covering: all.filter((e) => Number.isFinite(e.inputDim) && e.inputDim >= vocabSize).length, all };
}

export const textClassify: TaskHost = {
  kind: 'text-classify',
  paramsSchema,
  metrics: ['accuracy', 'embedding_layers', 'fit_calls'],
  prepare(ctx: PrepareContext): PreparedTask {
    const p = ctx.assignment.spec.task as unknown as TextClassifyParams;
    const where = ctx.assignment.specPath;
    const cache = ensureImdbCache(ctx.cacheRoot, ctx.dataDir);
    let split;
    try {
      split = imdbSplit(cache.meta.count, p, ctx.mode, ctx.draw, ctx.assignment.spec.seed);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    const labels = readImdbLabels(cache);
    const truth = Uint8Array.from(split.evaluate, (i) => labels[i]!);
    const files = preparedFiles(ctx, cache.meta.checksum, {
      trainTexts: 'train-texts.json', trainLabels: 'train-labels.u8', trainSequences: 'train-sequences.i32',
      evalTexts: 'eval-texts.json', evalSequences: 'eval-sequences.i32', vocabulary: 'vocabulary.json',
    }, () => {
      const texts = readImdbTexts(cache);
      const train = Array.from(split.train, (i) => texts[i]!), evaluated = Array.from(split.evaluate, (i) => texts[i]!);
      const vocabulary = buildVocabulary(train, p.vocabSize); // from the training reviews only
      return {
        trainTexts: JSON.stringify(train), trainLabels: Uint8Array.from(split.train, (i) => labels[i]!), trainSequences: encodeSequences(train, vocabulary, p.sequenceLength),
        evalTexts: JSON.stringify(evaluated), evalSequences: encodeSequences(evaluated, vocabulary, p.sequenceLength), vocabulary: JSON.stringify(vocabulary),
      };
    });
    const n = truth.length.toLocaleString('en-US');
    const verifiedClasses = (verified?: VerifyResult): number[] | undefined => {
      const v = verified?.outputs as Partial<TextClassifyVerify> | undefined;
      return Array.isArray(v?.classes) && v.classes.length === truth.length ? v.classes : undefined;
    };
    const shape = { vocabSize: p.vocabSize, sequenceLength: p.sequenceLength, predictBatch: p.predictBatch ?? 1000 };
    return {
      files,
      params: { trainCount: split.train.length, evalCount: split.evaluate.length, ...shape },
      dataset: {
        name: 'imdb', checksum: cache.meta.checksum,
        evaluatedOn: ctx.mode === 'grade' ? `${n} test reviews` : `${n} held-back training reviews (check mode; grading uses the hidden test reviews)`,
      },
      checkMeasuredOn: ctx.mode === 'check' ? `${n} held-back training reviews (check mode; grading uses the hidden test reviews)` : undefined,
      outputSchema,
      maxOutputBytes: 64 * 1024, // the fit count: the predictions come from the verify stage
      checkOutputs() { /* the schema checks the count */ },
      verify: { params: shape },
      score(outputs, verified?: VerifyResult) {
        const classes = verifiedClasses(verified);
        const saved = classes ? savedModelIn((verified?.outputs as Partial<TextClassifyVerify>).modelJson) : undefined;
        return {
          accuracy: accuracy(classes ?? [], truth),
          // Only a model that loaded (and so made the scored predictions) is inspected.
          embedding_layers: saved ? embeddingLayers(saved, p.vocabSize).covering : 0,
          fit_calls: (outputs as { fitCalls: number }).fitCalls,
        };
      },
      plots(_outputs, verified?: VerifyResult) {
        const classes = verifiedClasses(verified);
        return classes ? { confusion: { labels: ['negative', 'positive'], counts: confusionMatrix(classes, truth, 2) } } : {};
      },
      hints(_outputs, metrics, verified?: VerifyResult) {
        const hints: Record<string, string> = {};
        const classes = verifiedClasses(verified);
        if (metrics.embedding_layers === 0 && classes) {
          const saved = savedModelIn((verified?.outputs as Partial<TextClassifyVerify>).modelJson);
          const all = saved ? embeddingLayers(saved, p.vocabSize).all : [];
          hints.embedding_layers = all.length
            ? `the saved model's Embedding layer${all.length > 1 ? 's' : ''} ${all.map((e) => `${e.name} (inputDim ${e.inputDim})`).join(', ')} cover${all.length > 1 ? '' : 's'} fewer than the ${p.vocabSize} word ids; use tf.layers.embedding({ inputDim: ${p.vocabSize}, outputDim: … })`
            : `the saved model has no Embedding layer: start with tf.layers.embedding({ inputDim: ${p.vocabSize}, outputDim: 16, inputLength: ${p.sequenceLength} }) on the word ids, not a dense layer on the raw ids`;
        }
        if (classes && metrics.accuracy !== undefined && metrics.accuracy < 0.6) {
          const positives = classes.filter((c) => c === 1).length;
          if (positives === 0 || positives === classes.length) hints.accuracy = `the saved model calls every review ${positives ? 'positive' : 'negative'}; check that it trained (loss falling) and ends in one sigmoid unit`;
        }
        return hints;
      },
    };
  },
};
