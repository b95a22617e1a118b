// Type-checks a submission for a student's self-check (`dlgrade check`), in the
// compiler process (compile-child.ts), after its bundle is made and sent: the
// same time and memory limits hold, and whatever happens here (errors, a hang,
// a crash) can only cost warnings, never the compile.
//
// The checker sees the submission from the same in-memory map esbuild used,
// never from the disk: each import resolves to the file esbuild resolved it to
// (or, for a type-only import esbuild never saw, by TypeScript's own rules
// inside the map). From the disk it reads only TypeScript's lib files and the
// declarations under node_modules/@tensorflow, @types and @webgpu, and nothing
// is reported about those (skipLibCheck). '@tensorflow/tfjs*' imports see the
// real TF.js declarations of what the runner hands the submission
// (shims/tf-packages.ts); tfjs-vis a loose declaration of its shim.
//
// Options: TypeScript's defaults (not strict), with the strictness options of
// the submission's own tsconfig.json; module detection forced, so CommonJS
// files are modules too.
import type * as TS from 'typescript';
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import { TF_PACKAGES } from './shims/tf-packages.ts';

export interface TypeCheckSetup {
  /** Absolute path of TypeScript's main file (lib/typescript.js). */
  typescript: string;
  /** Absolute folders (ending in '/') the checker may read: TypeScript's lib/, node_modules/@tensorflow/, @types/, @webgpu/. */
  readable: string[];
  /** The node_modules folder holding @tensorflow/ (ending in '/'). */
  nodeModules: string;
  /** Whether @types/node is there (else Node's globals and built-ins are typed `any`). */
  nodeTypes: boolean;
}

export interface TypeCheckInput {
  entry: string;
  files: Record<string, string>;
  /** How esbuild resolved each import: `${importer}\0${spec}` → the file's key. */
  resolved: Record<string, string>;
}

/** Type errors shown; more are counted in one last line. */
export const MAX_TYPE_ERRORS = 10;
export const NOT_CHECKED_WHEN_GRADING = '(types are not checked when grading)';
const MAX_MESSAGE = 300;
const ROOT = '/dlgrade-submission/';
const VIRTUAL = '/dlgrade-types/';

/** The strictness (and a few other checking) options a student's tsconfig.json may set. */
const STUDENT_OPTIONS = [
  'strict', 'noImplicitAny', 'strictNullChecks', 'strictFunctionTypes', 'strictBindCallApply', 'strictPropertyInitialization', 'strictBuiltinIteratorReturn',
  'noImplicitThis', 'useUnknownInCatchVariables', 'alwaysStrict', 'noImplicitReturns', 'noFallthroughCasesInSwitch', 'noUncheckedIndexedAccess',
  'exactOptionalPropertyTypes', 'noImplicitOverride', 'noPropertyAccessFromIndexSignature', 'noUnusedLocals', 'noUnusedParameters',
  'allowUnreachableCode', 'allowUnusedLabels', 'experimentalDecorators', 'useDefineForClassFields', 'jsx', 'target',
];

/** Node's globals and built-in modules as `any`, when @types/node is not installed. */
const UNTYPED_NODE = [
  ...builtinModules.flatMap((m) => [`declare module '${m}';`, `declare module 'node:${m}';`]),
  'declare var require: any; declare var module: any; declare var exports: any; declare var process: any; declare var Buffer: any;',
  'declare var __dirname: string; declare var __filename: string; declare var global: any;',
].join('\n');

function extensionOf(ts: typeof TS, key: string): TS.Extension | undefined {
  if (key.endsWith('.d.ts')) return ts.Extension.Dts;
  return ({ '.ts': ts.Extension.Ts, '.tsx': ts.Extension.Tsx, '.mts': ts.Extension.Mts, '.cts': ts.Extension.Cts, '.js': ts.Extension.Js, '.mjs': ts.Extension.Mjs, '.cjs': ts.Extension.Cjs, '.json': ts.Extension.Json } as Record<string, TS.Extension>)[posix.extname(key)];
}

/** tsconfig.json's checking options, if it parses (its comments and trailing commas allowed by the caller's parser). */
function studentOptions(ts: typeof TS, tsconfig: unknown): TS.CompilerOptions {
  const co = tsconfig && typeof tsconfig === 'object' ? (tsconfig as { compilerOptions?: unknown }).compilerOptions : undefined;
  if (!co || typeof co !== 'object') return {};
  const picked = Object.fromEntries(STUDENT_OPTIONS.filter((k) => k in co).map((k) => [k, (co as Record<string, unknown>)[k]]));
  return ts.convertCompilerOptionsFromJson(picked, ROOT).options;
}

/** The submission's type errors, as lines for the student (at most MAX_TYPE_ERRORS, then a count). */
export function typeCheck(ts: typeof TS, setup: TypeCheckSetup, input: TypeCheckInput, tsconfig: unknown): string[] {
  const { files } = input;
  if (!Object.keys(files).some((k) => /\.(ts|tsx|mts|cts)$/.test(k))) return []; // JavaScript only: nothing to check
  const normal = (p: string) => posix.normalize(p);
  const readable = (p: string) => {
    const n = normal(p);
    return setup.readable.some((dir) => n.startsWith(dir) || n + '/' === dir);
  };
  const virtual: Record<string, string> = { [`${VIRTUAL}any.d.ts`]: 'declare const untyped: any;\nexport = untyped;\n' };
  if (!setup.nodeTypes) virtual[`${VIRTUAL}node.d.ts`] = UNTYPED_NODE;
  const keyOf = (p: string) => (p.startsWith(ROOT) ? normal(p).slice(ROOT.length) : undefined);
  const textOf = (p: string): string | undefined => {
    const key = keyOf(p);
    if (key !== undefined) return files[key];
    if (virtual[p] !== undefined) return virtual[p];
    if (!readable(p)) return undefined;
    try { return readFileSync(normal(p), 'utf8'); } catch { return undefined; }
  };
  const isDir = (d: string) => {
    const key = keyOf(d.endsWith('/') ? d : d + '/');
    if (key !== undefined) return key === '' || Object.keys(files).some((k) => k.startsWith(key));
    if (!readable(d.endsWith('/') ? d : d + '/') && !setup.readable.some((r) => r.startsWith(normal(d) + '/'))) return false;
    try { return statSync(normal(d)).isDirectory(); } catch { return false; }
  };

  const options: TS.CompilerOptions = {
    noEmit: true, skipLibCheck: true, skipDefaultLibCheck: true,
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Preserve, moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force, allowJs: true, checkJs: false, resolveJsonModule: true, esModuleInterop: true,
    allowImportingTsExtensions: true, allowArbitraryExtensions: true, noLib: false,
    lib: setup.nodeTypes ? ['lib.es2023.d.ts'] : ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: setup.nodeTypes ? ['node'] : [], typeRoots: [`${setup.nodeModules}@types`],
    ...studentOptions(ts, tsconfig),
  };
  const libDir = posix.dirname(setup.typescript) + '/';
  const host: TS.CompilerHost = {
    getSourceFile: (name, languageVersion) => {
      const text = textOf(name);
      return text === undefined ? undefined : ts.createSourceFile(name, text, languageVersion);
    },
    getDefaultLibFileName: (o) => libDir + ts.getDefaultLibFileName(o),
    getDefaultLibLocation: () => libDir,
    writeFile: () => {},
    getCurrentDirectory: () => ROOT,
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (f) => textOf(f) !== undefined,
    readFile: (f) => textOf(f),
    directoryExists: isDir,
    getDirectories: () => [],
    realpath: (p) => p,
  };
  const fromNodeModules = `${setup.nodeModules}../dlgrade-resolve.ts`;
  const tfTypes = (spec: string): TS.ResolvedModuleFull => {
    const pkg = TF_PACKAGES[spec]!;
    if ('text' in pkg.types) {
      const file = `${VIRTUAL}${spec.replace('@tensorflow/', '')}.d.ts`;
      virtual[file] = pkg.types.text;
      return { resolvedFileName: file, extension: ts.Extension.Dts, isExternalLibraryImport: true };
    }
    const found = ts.resolveModuleName(`@tensorflow/${pkg.types.package}`, fromNodeModules, options, host).resolvedModule;
    return found ?? { resolvedFileName: `${VIRTUAL}any.d.ts`, extension: ts.Extension.Dts, isExternalLibraryImport: true };
  };
  host.resolveModuleNameLiterals = (literals, containingFile, _redirect, opts) => literals.map((lit) => {
    const spec = lit.text;
    const importer = keyOf(containingFile);
    if (importer === undefined) return ts.resolveModuleName(spec, containingFile, opts, host); // a declaration file's own import
    if (Object.hasOwn(TF_PACKAGES, spec)) return { resolvedModule: tfTypes(spec) };
    const key = input.resolved[`${importer}\0${spec}`];
    if (key !== undefined && files[key] !== undefined) {
      const extension = extensionOf(ts, key);
      if (extension) return { resolvedModule: { resolvedFileName: ROOT + key, extension, isExternalLibraryImport: false } };
    }
    if (spec.startsWith('.')) return ts.resolveModuleName(spec, containingFile, opts, host); // a type-only import, inside the map
    return { resolvedModule: undefined }; // Node's built-ins: ambient declarations
  });

  const roots = [ROOT + input.entry, ...Object.keys(virtual).filter((f) => f.endsWith('node.d.ts'))];
  const program = ts.createProgram({ rootNames: roots, options, host });
  const checked = program.getSourceFiles().filter((sf) => {
    const key = keyOf(sf.fileName);
    return key !== undefined && /\.(ts|tsx|mts|cts)$/.test(key);
  });
  const diagnostics = checked.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)])
    .filter((d) => d.category === ts.DiagnosticCategory.Error);
  const entryFirst = (d: TS.Diagnostic) => (d.file?.fileName === ROOT + input.entry ? 0 : 1);
  diagnostics.sort((a, b) => entryFirst(a) - entryFirst(b) || (a.file!.fileName < b.file!.fileName ? -1 : a.file!.fileName > b.file!.fileName ? 1 : (a.start ?? 0) - (b.start ?? 0)));
  const lines = diagnostics.slice(0, MAX_TYPE_ERRORS).map((d) => {
    const where = d.file ? `${keyOf(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : input.entry;
    // Paths as the student knows them: their own files relative, packages by name.
    let text = ts.flattenDiagnosticMessageText(d.messageText, ' ').replace(/\s+/g, ' ').replaceAll(ROOT, '').replaceAll(setup.nodeModules, '').replaceAll(VIRTUAL, '@tensorflow/');
    if (text.length > MAX_MESSAGE) text = text.slice(0, MAX_MESSAGE - 1) + '…';
    return `${where}: ${text} ${NOT_CHECKED_WHEN_GRADING}`;
  });
  const more = diagnostics.length - lines.length;
  if (more > 0) lines.push(`…and ${more} more type error${more === 1 ? '' : 's'} ${NOT_CHECKED_WHEN_GRADING}`);
  return lines;
}
