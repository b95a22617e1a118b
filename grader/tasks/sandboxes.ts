// Bundled into the sandbox runner: the sandbox halves, by task kind.
import { runSiamesePairs } from './siamese-pairs/sandbox.ts';
import type { SandboxTask } from './types.ts';

export const sandboxTasks: Record<string, SandboxTask> = { 'siamese-pairs': runSiamesePairs };
