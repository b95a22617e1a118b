// TypeScript/JavaScript submissions are compiled here, outside the sandbox,
// into one CommonJS file the sandbox runs. Imports may not leave the
// submission's own folder (the compiler runs with the grader's rights, so
// an import of another file would inline it), and '@tensorflow/tfjs*'
// imports resolve to the runner's tf, whatever backend it loaded.
import { builtinModules } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync, existsSync, readFileSync, statSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { sha256, writeAtomic } from '../util/fs.ts';
import { TF_GLOBAL } from './child/tf-global.ts';

export class CompileError extends Error {
  override name = 'CompileError';
}

const TF_IMPORT = /^@tensorflow\/tfjs(-[a-z-]+)?$/;
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

const ENTRY_NAMES = ['index.ts', 'index.mts', 'index.js', 'index.mjs', 'main.ts', 'main.js'];

/** The file to compile for a submission that is a file or a folder. */
export function entryOf(submissionRoot: string): string {
  if (statSync(submissionRoot).isFile()) return submissionRoot;
  const found = ENTRY_NAMES.map((n) => join(submissionRoot, n)).find((p) => existsSync(p));
  if (!found) throw new CompileError(`${submissionRoot}: no entry file (expected one of ${ENTRY_NAMES.join(', ')})`);
  return found;
}

function confinePlugin(root: string): esbuild.Plugin {
  return {
    name: 'dlgrade-confine',
    setup(build) {
      build.onResolve({ filter: TF_IMPORT }, () => ({ path: 'tf', namespace: 'dlgrade-tf' }));
      build.onLoad({ filter: /.*/, namespace: 'dlgrade-tf' }, () => ({
        contents: `module.exports = globalThis[Symbol.for(${JSON.stringify(TF_GLOBAL.description)})];`,
        loader: 'js',
      }));
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (builtins.has(args.path)) return { path: args.path, external: true };
        if (!args.path.startsWith('.') && !args.path.startsWith('/')) {
          return { errors: [{ text: `cannot import package "${args.path}": submissions may import only @tensorflow/tfjs (or -node), Node built-ins and their own files` }] };
        }
        const target = resolve(args.resolveDir, args.path);
        if (target !== root && !target.startsWith(root + sep)) {
          return { errors: [{ text: `cannot import "${args.path}": it is outside the submission's folder` }] };
        }
        return undefined;
      });
    },
  };
}

/** Compiles `entry` (inside `root`) to `outfile`; throws CompileError with the compiler's messages. */
export async function compileSubmission(entry: string, root: string, outfile: string): Promise<void> {
  try {
    await esbuild.build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'silent',
      sourcemap: 'inline',
      plugins: [confinePlugin(root)],
    });
  } catch (e) {
    const failure = e as esbuild.BuildFailure;
    if (!failure.errors) throw e;
    const text = esbuild.formatMessagesSync(failure.errors, { kind: 'error', color: false }).join('\n').trim();
    throw new CompileError(text.replaceAll(root + sep, ''));
  }
}

const RUNNER_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'child', 'runner.ts');
let runnerPath: string | undefined;

/** Builds the sandbox runner once per grader process into the cache (content-addressed). */
export async function buildRunner(cacheRoot: string): Promise<string> {
  if (runnerPath) return runnerPath;
  const out = await esbuild.build({
    entryPoints: [RUNNER_SOURCE],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    external: ['@tensorflow/*'],
  });
  const code = out.outputFiles[0]!.contents;
  const dir = join(cacheRoot, 'runner');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const path = join(dir, `runner-${sha256(code).slice(0, 16)}.cjs`);
  if (!existsSync(path) || sha256(readFileSync(path)) !== sha256(code)) writeAtomic(path, code);
  runnerPath = path;
  return path;
}
