import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import type { Isolation } from '../sandbox/capabilities.ts';
import type { RunEnvironment } from './result.ts';
import { graderFingerprint } from '../util/fingerprint.ts';

const require = createRequire(import.meta.url);
const PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', 'piscina', 'esbuild', 'ajv'];

function version(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

export function runEnvironment(iso: Isolation): RunEnvironment {
  const packages: Record<string, string> = {};
  for (const p of PACKAGES) {
    const v = version(p);
    if (v) packages[p] = v;
  }
  const { cgroupParents: _omit, ...isolation } = iso;
  return {
    dlgrade: (require('../../package.json') as { version: string }).version,
    graderHash: graderFingerprint(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    packages,
    isolation,
  };
}
