// Bundled into the sandbox runner: the sandbox halves, by task kind.
import { runBinaryClassify } from './binary-classify/sandbox.ts';
import { deepdreamSandbox } from './deepdream/sandbox.ts';
import { functionCheckSandbox } from './function-check/sandbox.ts';
import { functionFitSandbox } from './function-fit/sandbox.ts';
import { imageClassifySandbox } from './image-classify/sandbox.ts';
import { mnistAdderSandbox } from './mnist-adder/sandbox.ts';
import { runMobilenetTransfer } from './mobilenet-transfer/sandbox.ts';
import { regularizationSandbox } from './regularization/sandbox.ts';
import { seLenetSandbox } from './se-lenet/sandbox.ts';
import { siamesePairsSandbox } from './siamese-pairs/sandbox.ts';
import { runTabular } from './tabular/sandbox.ts';
import { textClassifySandbox } from './text-classify/sandbox.ts';
import type { SandboxTaskModule } from './types.ts';

export const sandboxTasks: Record<string, SandboxTaskModule> = {
  'siamese-pairs': siamesePairsSandbox,
  'function-fit': functionFitSandbox,
  'function-check': functionCheckSandbox,
  'mnist-adder': mnistAdderSandbox,
  'se-lenet': seLenetSandbox,
  'image-classify': imageClassifySandbox,
  tabular: { run: runTabular },
  'mobilenet-transfer': { run: runMobilenetTransfer },
  deepdream: deepdreamSandbox,
  'binary-classify': { run: runBinaryClassify },
  'text-classify': textClassifySandbox,
  regularization: regularizationSandbox,
};
