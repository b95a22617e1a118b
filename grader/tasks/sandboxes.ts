// Bundled into the sandbox runner: the sandbox halves, by task kind.
import { deepdreamSandbox } from './deepdream/sandbox.ts';
import { functionFitSandbox } from './function-fit/sandbox.ts';
import { imageClassifySandbox } from './image-classify/sandbox.ts';
import { mnistAdderSandbox } from './mnist-adder/sandbox.ts';
import { runMobilenetTransfer } from './mobilenet-transfer/sandbox.ts';
import { seLenetSandbox } from './se-lenet/sandbox.ts';
import { runSiamesePairs } from './siamese-pairs/sandbox.ts';
import { runTabular } from './tabular/sandbox.ts';
import type { SandboxTaskModule } from './types.ts';

export const sandboxTasks: Record<string, SandboxTaskModule> = {
  'siamese-pairs': { run: runSiamesePairs },
  'function-fit': functionFitSandbox,
  'mnist-adder': mnistAdderSandbox,
  'se-lenet': seLenetSandbox,
  'image-classify': imageClassifySandbox,
  tabular: { run: runTabular },
  'mobilenet-transfer': { run: runMobilenetTransfer },
  deepdream: deepdreamSandbox,
};
