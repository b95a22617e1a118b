// The only channel out of the sandbox: signed newline-delimited JSON on fd 3
// (channel.ts). Even signed, everything on it is validated and bounded here.
import type { Limits } from '../spec/types.ts';
import type { Progress } from '../tasks/types.ts';

export interface BackendReport {
  name: string;
  simd: boolean;
  threads: number;
  tfjsVersion: string;
  kernels: string[];
  note?: string;
}

export type ChildMessage =
  | { t: 'ready'; backend: BackendReport }
  | ({ t: 'progress' } & Progress)
  | { t: 'result'; outputs: unknown }
  /** Something the student should know that does not change the verdict (a setBackend call ignored, say). */
  | { t: 'warning'; message: string }
  | { t: 'error'; kind: 'BAD_SUBMISSION' | 'CRASH' | 'MEMORY_LIMIT' | 'BAD_OUTPUT'; message: string; stack?: string };

/** What the grader hands the runner, as job.json in the job folder. */
export interface JobFile {
  /** The largest result the runner may send (the grader reads no longer line). */
  maxResultBytes: number;
  task: string;
  stage: 'run' | 'verify';
  /** The compiled submission (absent in the verify stage). */
  submission?: string;
  outDir: string;
  artifactsDir?: string;
  files: Record<string, string>;
  params: Record<string, unknown>;
  limits: Limits;
  seed: number;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  allowNative: boolean;
}

const num = { type: 'number' };
const count = { type: 'integer', minimum: 0, maximum: 1e9 };
export const childMessageSchema = {
  oneOf: [
    {
      type: 'object', required: ['t', 'backend'], additionalProperties: false,
      properties: {
        t: { const: 'ready' },
        backend: {
          type: 'object', required: ['name', 'simd', 'threads', 'tfjsVersion', 'kernels'],
          properties: { name: { type: 'string', maxLength: 40 }, simd: { type: 'boolean' }, threads: count, tfjsVersion: { type: 'string', maxLength: 40 }, kernels: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 80 } }, note: { type: 'string', maxLength: 500 } },
        },
      },
    },
    {
      type: 'object', required: ['t', 'phase'], additionalProperties: false,
      properties: {
        t: { const: 'progress' }, phase: { enum: ['load', 'train', 'predict'] }, epoch: count, epochs: count, call: count, unit: { enum: ['epoch', 'octave'] },
        logs: { type: 'object', maxProperties: 32, propertyNames: { maxLength: 64 }, additionalProperties: num },
      },
    },
    { type: 'object', required: ['t', 'outputs'], additionalProperties: false, properties: { t: { const: 'result' }, outputs: {} } },
    { type: 'object', required: ['t', 'message'], additionalProperties: false, properties: { t: { const: 'warning' }, message: { type: 'string', maxLength: 1000 } } },
    {
      type: 'object', required: ['t', 'kind', 'message'], additionalProperties: false,
      properties: { t: { const: 'error' }, kind: { enum: ['BAD_SUBMISSION', 'CRASH', 'MEMORY_LIMIT', 'BAD_OUTPUT'] }, message: { type: 'string', maxLength: 8192 }, stack: { type: 'string', maxLength: 16384 } },
    },
  ],
};
