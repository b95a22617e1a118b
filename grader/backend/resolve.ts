// The grader decides the backend once per batch, before any sandbox starts,
// so a whole class is graded on the same one and every child is told exactly
// which to load (and fails loudly if it cannot: see load-backend.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';

// Plain `require` inside the esbuild-made CommonJS runner, createRequire under tsx (ESM).
const require: NodeJS.Require = typeof module === 'object' && typeof __filename === 'string' ? createRequire(__filename) : createRequire(import.meta.url);

export const requireModule = (id: string): unknown => require(id);

/** Whether tfjs-node is installed at all (its optional install fails offline). */
export function nativeAvailable(): boolean {
  try {
    // Under tsx, tsconfig's `paths` maps the name to @tensorflow/tfjs for type checking; only the real package counts.
    return /tfjs-node[\\/]/.test(require.resolve('@tensorflow/tfjs-node'));
  } catch {
    return false;
  }
}

function wasmAvailable(): boolean {
  try {
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    return typeof WebAssembly === 'object' && existsSync(join(dir, 'dist', 'tfjs-backend-wasm-simd.wasm'));
  } catch {
    return false;
  }
}

export interface ResolvedBackend {
  name: BackendName;
  /** Why this one, for the run's header and results. */
  why: string;
}

/** auto: native TensorFlow when allowed and installed, else wasm (SIMD), else cpu — said out loud. */
export function resolveBackend(want: BackendChoice, allowNative: boolean): ResolvedBackend {
  if (want !== 'auto') return { name: want, why: 'asked for with --backend' };
  if (allowNative && nativeAvailable()) return { name: 'tensorflow', why: 'auto: tfjs-node is installed and --allow-native was given' };
  if (wasmAvailable()) return { name: 'wasm', why: allowNative ? 'auto: tfjs-node is not installed' : 'auto: the fastest backend that runs under the permission model' };
  return { name: 'cpu', why: 'auto: NEITHER tfjs-node NOR the wasm backend is usable here; training will be ~100× slower' };
}
