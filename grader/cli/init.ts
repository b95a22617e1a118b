// dlgrade init <assignment> [dir]: a student's starting folder. The starter
// becomes index.ts (a folder with index.ts is one submission), next to the
// statement and a tsconfig.json with which an editor, or tsc -p, type-checks
// the code against the TF.js installed with dlgrade: both '@tensorflow/tfjs'
// and '@tensorflow/tfjs-node' resolve to its declarations, since the grader
// hands a submission its own tf whichever of the two it imports.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { loadAssignment } from '../spec/load.ts';
import { shownPath } from '../report/console.ts';

const require = createRequire(import.meta.url);

/** The type declarations of the @tensorflow/tfjs that dlgrade itself uses, and its version. */
export function tfjsTypes(): { dts: string; version: string } {
  const pkgFile = require.resolve('@tensorflow/tfjs/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string; types?: string; typings?: string };
  const dts = join(dirname(pkgFile), pkg.types ?? pkg.typings ?? 'dist/index.d.ts');
  if (!existsSync(dts)) throw new Error(`${dts}: the type declarations of @tensorflow/tfjs are missing (reinstall dlgrade)`);
  return { dts, version: pkg.version };
}

/** Node's declarations (@types/node), when installed with dlgrade: for submissions that import node: modules. */
function nodeTypesRoot(): string | undefined {
  try {
    return dirname(dirname(require.resolve('@types/node/package.json')));
  } catch {
    return undefined;
  }
}

/** The tsconfig.json init writes: strict, no output, the tfjs imports pinned to dlgrade's copy. */
export function studentTsconfig(): object {
  const { dts } = tfjsTypes();
  const typeRoot = nodeTypesRoot();
  return {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      module: 'ESNext',
      moduleResolution: 'Bundler',
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      resolveJsonModule: true,
      esModuleInterop: true,
      skipLibCheck: true,
      ...(typeRoot ? { typeRoots: [typeRoot], types: ['node'] } : { types: [] }),
      paths: { '@tensorflow/tfjs': [dts], '@tensorflow/tfjs-node': [dts] },
    },
    include: ['**/*.ts', '**/*.mts', '**/*.cts'],
    exclude: ['node_modules'],
  };
}

/** Writes the folder; returns the lines to print. Throws (exit 2) naming files that already exist. */
export function initSubmission(assignmentRef: string, dirArg?: string): string {
  const a = loadAssignment(assignmentRef);
  const dir = resolve(dirArg ?? a.spec.id);
  const starter = join(a.dir, a.spec.starter);
  const statement = join(a.dir, a.spec.statement);
  for (const f of [starter, statement]) if (!existsSync(f)) throw new Error(`${f}: assignment ${a.spec.id} has no such file (assignment.json names it)`);
  const files: [string, string, string][] = [
    ['index.ts', readFileSync(starter, 'utf8'), `the starter (${a.spec.starter}): fill in its TODOs`],
    ['README.md', readFileSync(statement, 'utf8'), 'the statement: what each export must do'],
    ['tsconfig.json', JSON.stringify(studentTsconfig(), null, 2) + '\n', `type-checks index.ts against @tensorflow/tfjs ${tfjsTypes().version}, as installed with dlgrade`],
  ];
  const existing = files.map(([name]) => join(dir, name)).filter((p) => existsSync(p));
  if (existing.length) {
    throw new Error(`${existing.map((p) => shownPath(p)).join(', ')} already exist${existing.length === 1 ? 's' : ''}; init never overwrites: choose another folder (dlgrade init ${assignmentRef} <dir>) or move them away`);
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of files) writeFileSync(join(dir, name), text, { flag: 'wx' });
  const shownDir = shownPath(dir);
  return files.map(([name, , what]) => `wrote ${join(shownDir, name)}  ${what}\n`).join('') +
    `A folder with index.ts is one submission. When it is ready, self-check it with:\n  dlgrade check ${assignmentRef} ${shownDir}\n`;
}
