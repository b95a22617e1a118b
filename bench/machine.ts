// The facts a benchmark number is worthless without: which CPU (and its
// vector extensions), how many cores, which versions, and what the native
// anchor really runs on (torch's BLAS library as loaded, its threads, the
// OpenBLAS environment). Printed at the top of `npm run bench`.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { REPO_ROOT } from '../grader/spec/load.ts';

/** Environment variables that change what OpenBLAS does; the anchor runs with the first two unset (a slower kernel choice on some CPUs). */
export const OPENBLAS_OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];
const BLAS_ENV = [...OPENBLAS_OVERRIDES, 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'GOTO_NUM_THREADS'];

const VECTOR_FLAGS = /^(sse\d?(_\d)?|ssse3|sse4a|avx\S*|fma\d?|f16c|amx\S*|neon|asimd\S*|sve\S*)$/;

export interface TorchFacts {
  python: string;
  version: string;
  /** The BLAS shared object torch's process actually mapped, resolved through Debian's alternatives. */
  blas: string;
  /** The one of them torch takes sgemm_ from. */
  blasProvider: string;
  /** A 256³ sgemm on one thread, GFLOP/s. */
  gemmGflops: number;
  /** reference BLAS (netlib) is ~7× slower at GEMM than OpenBLAS here: a handicapped anchor. */
  blasKind: 'openblas' | 'reference' | 'mkl' | 'blis' | 'other';
  cpuCapability: string;
  config: string;
}

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  vectorExtensions: string[];
  node: string;
  tfjs: string;
  blasEnv: Record<string, string>;
  torch?: TorchFacts;
  torchMissing?: string;
}

function cpuInfo(): { model: string; flags: string[] } {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string) => text.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
    // Virtual machines often show a bare "AMD EPYC": family and model tell the generation (family 23 is Zen/Zen 2, 25 Zen 3/4).
    const id = ['cpu family', 'model', 'stepping'].map((k) => field(k)).every((v) => v !== undefined) ? ` (family ${field('cpu family')}, model ${field('model')}, stepping ${field('stepping')})` : '';
    return { model: (field('model name') ?? cpus()[0]?.model ?? 'unknown') + id, flags: (field('flags') ?? field('Features') ?? '').split(/\s+/) };
  } catch {
    return { model: cpus()[0]?.model ?? 'unknown', flags: [] };
  }
}

let python: string | null | undefined;
/** A python3 that imports torch and numpy: the one on PATH, or Debian's (python3-torch installs there). Looked for once, when first needed. */
function torchPython(): string | null {
  python ??= ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0) ?? null;
  return python;
}

export const NO_TORCH = 'python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread)';

/**
 * Runs one of the bench's PyTorch scripts in the anchor's environment and takes the
 * last JSON line it prints (the python twin of child.ts's jsonFromChild).
 */
export function fromTorch<T>(script: string, args: string[], threads: number): { value: T } | { missing: true } | { error: string } {
  const py = torchPython();
  if (!py) return { missing: true };
  const r = spawnSync(py, [join(REPO_ROOT, 'bench', script), ...args], { encoding: 'utf8', env: anchorEnv(threads), maxBuffer: 1 << 24 });
  const line = r.stdout.split('\n').reverse().find((l) => l.startsWith('{') || l.startsWith('['));
  if (r.status !== 0 || !line) return { error: r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}` };
  return { value: JSON.parse(line) as T };
}

/** The environment the anchor runs in: this one without the OpenBLAS overrides, and BLAS held to `threads`. */
function anchorEnv(threads: number): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of OPENBLAS_OVERRIDES) delete env[k];
  // torch.set_num_threads does not reach a pthread OpenBLAS: without this, "1 thread" GEMMs ran on both cores.
  for (const k of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS']) env[k] = String(threads);
  return env;
}

function torchFacts(): TorchFacts | string {
  const r = fromTorch<TorchFacts>('torch_facts.py', [], 1);
  return 'value' in r ? r.value : 'missing' in r ? NO_TORCH : `torch does not load: ${r.error}`;
}

export function machineFacts(): MachineFacts {
  const cpu = cpuInfo();
  const torch = torchFacts();
  return {
    cpuModel: cpu.model,
    cores: cpus().length,
    vectorExtensions: cpu.flags.filter((f) => VECTOR_FLAGS.test(f)),
    node: process.version,
    tfjs: tf.version.tfjs,
    blasEnv: Object.fromEntries(BLAS_ENV.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!])),
    ...(typeof torch === 'string' ? { torchMissing: torch } : { torch }),
  };
}

export function printMachineFacts(m: MachineFacts): void {
  console.log('## Machine');
  console.log(`CPU: ${m.cpuModel}, ${m.cores} cores; vector extensions: ${m.vectorExtensions.join(' ') || 'none listed'}`);
  console.log(`Node ${m.node}, tfjs ${m.tfjs} (wasm: SIMD128, one thread in the sandbox)`);
  const env = Object.entries(m.blasEnv).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`BLAS environment of this shell: ${env || 'none set'}; the anchor runs with ${OPENBLAS_OVERRIDES.join('/')} unset and its BLAS threads set to its own thread count`);
  if (!m.torch) { console.log(`PyTorch anchor: ${m.torchMissing}`); return; }
  const t = m.torch;
  console.log(`PyTorch ${t.version} (${t.python}), CPU capability ${t.cpuCapability}, BLAS: ${t.blasProvider} (${t.blasKind}; a 256³ sgemm on one thread runs at ${t.gemmGflops.toFixed(1)} GFLOP/s)`);
  if (t.blasKind === 'reference')
    console.log('WARNING: torch runs on the reference BLAS, whose GEMM is several times slower than an optimised one: every ratio against this anchor flatters TF.js. Install libopenblas0-pthread (Debian) and rerun.');
}
