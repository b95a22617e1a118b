import { binaryClassify } from './binary-classify/host.ts';
import { deepdream } from './deepdream/host.ts';
import { functionCheck } from './function-check/host.ts';
import { functionFit } from './function-fit/host.ts';
import { imageClassify } from './image-classify/host.ts';
import { mnistAdder } from './mnist-adder/host.ts';
import { mobilenetTransfer } from './mobilenet-transfer/host.ts';
import { regularization } from './regularization/host.ts';
import { seLenet } from './se-lenet/host.ts';
import { siamesePairs } from './siamese-pairs/host.ts';
import { tabular } from './tabular/host.ts';
import { textClassify } from './text-classify/host.ts';
import type { TaskHost } from './types.ts';

const hosts: Record<string, TaskHost> = Object.fromEntries([siamesePairs, functionFit, mnistAdder, seLenet, mobilenetTransfer, imageClassify, tabular, deepdream, functionCheck, binaryClassify, textClassify, regularization].map((h) => [h.kind, h]));

export function taskHost(kind: string, specPath: string): TaskHost {
  const host = hosts[kind];
  if (!host) throw new Error(`${specPath}: task.kind "${kind}" is not a known task (known: ${Object.keys(hosts).join(', ')})`);
  return host;
}
