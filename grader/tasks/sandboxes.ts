// Bundled into the sandbox runner: the sandbox halves, by task kind.
import { deepdreamSandbox } from './deepdream/sandbox.ts';
import { functionFitSandbox } from './function-fit/sandbox.ts';
import { runImageClassify } from './image-classify/sandbox.ts';
import { runMnistAdder } from './mnist-adder/sandbox.ts';
import { runMobilenetTransfer } from './mobilenet-transfer/sandbox.ts';
import { runSeLenet } from './se-lenet/sandbox.ts';
import { runSiamesePairs } from './siamese-pairs/sandbox.ts';
import { runTabular } from './tabular/sandbox.ts';
import type { SandboxTaskModule } from './types.ts';

export const sandboxTasks: Record<string, SandboxTaskModule> = {
  'siamese-pairs': { run: runSiamesePairs },
  'function-fit': functionFitSandbox,
  'mnist-adder': { run: runMnistAdder },
  'se-lenet': { run: runSeLenet },
  'image-classify': { run: runImageClassify },
  tabular: { run: runTabular },
  'mobilenet-transfer': { run: runMobilenetTransfer },
  deepdream: deepdreamSandbox,
};
