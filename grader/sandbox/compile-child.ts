// The compiler process: one per submission, started by compile.ts with a
// time and memory limit (and, as root, an unprivileged uid). It bundles the
// submission from an in-memory map of its files, never from the disk: every
// import is resolved here, inside the map, so esbuild never opens a path, a
// package.json, a tsconfig or a source map of its own. A crash, hang or
// memory blow-up of the compiler costs only this process.
//
// Protocol: a CompileInput as JSON on stdin; one CompileOutput as a JSON line
// on stdout. With `typeCheck` (dlgrade check) and a bundle made, a second
// line follows, a TypeCheckOutput (typecheck.ts): sent after the bundle, so a
// type checker that hangs or blows up under the same limits costs only warnings.
import type * as Esbuild from 'esbuild';
import type * as TS from 'typescript';
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { TF_PACKAGE_LIST, TF_PACKAGES, TFVIS, tfvisWarning } from './shims/tf-packages.ts';
import { typeCheck, type TypeCheckSetup } from './typecheck.ts';

export interface CompileInput {
  /** Absolute path of esbuild's JS API (lib/main.js). */
  esbuild: string;
  /** The entry's key in `files`. */
  entry: string;
  /** Relative POSIX path (from the submission's root) → source text. */
  files: Record<string, string>;
  /** Files of the folder left out of the map, with why (named when a student imports one). */
  others: Record<string, string>;
  /** Type-check too, after the bundle is sent (a student's self-check): a second line of output, a TypeCheckOutput. */
  typeCheck?: TypeCheckSetup;
}

export type CompileOutput =
  | { t: 'ok'; code: string; map: string; warnings?: string[] }
  | { t: 'errors'; errors: string }
  | { t: 'crash'; message: string }
  | { t: 'fault'; message: string };

/** The second line, after an 'ok' one, when the input asked for a type check. */
export type TypeCheckOutput =
  | { t: 'types'; warnings: string[] }
  | { t: 'types-failed'; message: string };

/** Extensions a submission may import, and their loaders. */
export const SOURCE_LOADERS: Readonly<Record<string, 'ts' | 'tsx' | 'js' | 'json'>> = {
  '.ts': 'ts', '.tsx': 'tsx', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json',
};
/** What the bundle's source map calls the tf shim. */
export const TF_SOURCE = 'dlgrade:tf';
/** What it calls the shim of each @tensorflow package (TF_SOURCE for the runner's tf itself). */
export const shimSource = (pkg: string) => (pkg === '@tensorflow/tfjs' ? TF_SOURCE : `dlgrade:${pkg.replace('@tensorflow/', '')}`);
/** Every source name a shim may have in the bundle's map. */
export const SHIM_SOURCES: ReadonlySet<string> = new Set(Object.keys(TF_PACKAGES).map(shimSource));

const PROBE = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'];
/** An import written with .js for a .ts file, as TypeScript allows. */
const TS_FOR_JS: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };
const NS = 'dlgrade-src';
const TF_NS = 'dlgrade-tf';
const PACKAGE_PATH_FIELDS = ['main', 'module', 'browser', 'exports', 'imports'] as const;
// Where esbuild would expand a computed import (`import(\`./${x}\`)`) if it
// got that far: a folder that does not exist, so the expansion finds nothing.
const NOWHERE = '/dlgrade-no-such-folder/' + 'x/'.repeat(64);

type Resolved = Esbuild.OnResolveResult;
const fail = (text: string): Resolved => ({ errors: [{ text }] });

/** Whether `p`, written in folder `dir` (a key prefix, '' for the root), leads out of the submission. */
function leaves(dir: string, p: string): boolean {
  if (p.startsWith('/')) return true;
  const n = posix.normalize(posix.join(dir || '.', p));
  return n === '..' || n.startsWith('../');
}

/** tsconfig.json allows comments and trailing commas. */
function parseJsonc(text: string): unknown {
  let out = '', i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

function stringLeaves(v: unknown, into: string[] = []): string[] {
  if (typeof v === 'string') into.push(v);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) stringLeaves(x, into);
  return into;
}

interface PathMapping { pattern: string; targets: string[] }
interface Project { tsconfigRaw: Esbuild.TsconfigRaw; baseUrl?: string; paths: PathMapping[] }

/** Refuses package.json fields and tsconfig settings that point outside; returns what esbuild may see of tsconfig.json. */
function checkProject(files: Record<string, string>): { errors: string[]; project: Project } {
  const errors: string[] = [];
  for (const key of Object.keys(files)) {
    if (posix.basename(key) !== 'package.json') continue;
    let pkg: Record<string, unknown>;
    try { pkg = JSON.parse(files[key]!); } catch { continue; } // only matters if a folder import reads it; said there
    if (!pkg || typeof pkg !== 'object') continue;
    const dir = posix.dirname(key) === '.' ? '' : posix.dirname(key);
    for (const field of PACKAGE_PATH_FIELDS) {
      if (!(field in pkg)) continue;
      const always = field === 'main' || field === 'module'; // a path even without ./
      const bad = stringLeaves(pkg[field]).find((s) => (always || s.startsWith('.') || s.startsWith('/')) && leaves(dir, s));
      if (bad !== undefined) errors.push(`${key}: "${field}" points outside the submission's folder (${JSON.stringify(bad)})`);
    }
  }
  // esbuild never reads these (they are neutralised on load), but one aimed outside is no accident.
  for (const [key, text] of Object.entries(files)) {
    if (posix.extname(key) === '.json') continue;
    const dir = posix.dirname(key) === '.' ? '' : posix.dirname(key);
    for (const m of text.matchAll(/\/[/*][#@]\s*sourceMappingURL=([^\s*]+)/g)) {
      const url = m[1]!;
      if (!url.startsWith('data:') && (/^[a-z][a-z0-9+.-]*:/i.test(url) || leaves(dir, url))) {
        errors.push(`${key}: a sourceMappingURL comment points outside the submission's folder (${JSON.stringify(url)}); remove it`);
      }
    }
  }
  const project: Project = { tsconfigRaw: { compilerOptions: {} }, paths: [] };
  const raw = files['tsconfig.json'];
  if (raw !== undefined) {
    let ts: { extends?: unknown; compilerOptions?: Record<string, unknown> };
    try {
      ts = parseJsonc(raw) as typeof ts;
    } catch (e) {
      errors.push(`tsconfig.json is not valid JSON (${(e as Error).message})`);
      return { errors, project };
    }
    const co = ts?.compilerOptions && typeof ts.compilerOptions === 'object' ? ts.compilerOptions : {};
    for (const ext of [ts?.extends].flat()) {
      if (typeof ext === 'string' && (ext.startsWith('.') || ext.startsWith('/')) && leaves('', ext)) errors.push(`tsconfig.json: "extends" points outside the submission's folder (${JSON.stringify(ext)})`);
    }
    let base = '';
    if (typeof co.baseUrl === 'string') {
      if (leaves('', co.baseUrl)) errors.push(`tsconfig.json: "baseUrl" points outside the submission's folder (${JSON.stringify(co.baseUrl)})`);
      else project.baseUrl = base = posix.normalize(co.baseUrl).replace(/^\.\/?$/, '').replace(/\/$/, '');
    }
    if (co.paths && typeof co.paths === 'object') {
      for (const [pattern, targets] of Object.entries(co.paths as Record<string, unknown>)) {
        // Where the editor finds tf's declarations (dlgrade init pins them to dlgrade's own copy): the grader hands
        // the submission its tf before any "paths" apply, so such an entry is never used, wherever it points.
        if (pattern.startsWith('@tensorflow/')) continue;
        const list = (Array.isArray(targets) ? targets : [targets]).filter((t): t is string => typeof t === 'string');
        const bad = list.find((t) => leaves(base, t));
        if (bad !== undefined) errors.push(`tsconfig.json: "paths" maps ${JSON.stringify(pattern)} to ${JSON.stringify(bad)}, outside the submission's folder`);
        else project.paths.push({ pattern, targets: list.map((t) => posix.normalize(posix.join(base || '.', t))) });
      }
    }
    // Only the options that change how code compiles; nothing that names a file.
    const keep = ['experimentalDecorators', 'useDefineForClassFields', 'verbatimModuleSyntax', 'preserveValueImports', 'importsNotUsedAsValues', 'alwaysStrict', 'strict', 'target', 'jsx', 'jsxFactory', 'jsxFragmentFactory', 'jsxImportSource'];
    project.tsconfigRaw = { compilerOptions: Object.fromEntries(keep.filter((k) => k in co).map((k) => [k, co[k]])) as Esbuild.TsconfigRaw['compilerOptions'] };
  }
  return { errors, project };
}

/**
 * `seen` collects the files that import tfjs-vis (for a warning) and how each import of a submission file
 * resolved (`${importer}\0${spec}` → key, for the type checker).
 */
function submissionPlugin(input: CompileInput, project: Project, seen: Seen): Esbuild.Plugin {
  const { files, others } = input;
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const isDir = (d: string) => d === '' || Object.keys(files).some((k) => k.startsWith(d + '/')) || Object.keys(others).some((k) => k.startsWith(d + '/'));

  /** A path inside the map (already normalised, relative to the root) → its key, probing like TypeScript/Node. */
  const probe = (t: string, depth = 0): string | undefined => {
    if (t !== '' && files[t] !== undefined && posix.extname(t) in SOURCE_LOADERS) return t;
    if (t !== '') {
      for (const ext of PROBE) if (files[t + ext] !== undefined) return t + ext;
      const ext = posix.extname(t);
      for (const alt of TS_FOR_JS[ext] ?? []) if (files[t.slice(0, -ext.length) + alt] !== undefined) return t.slice(0, -ext.length) + alt;
    }
    if (!isDir(t)) return undefined;
    const dir = t === '' ? '' : t + '/';
    const pkgText = files[dir + 'package.json'];
    if (pkgText !== undefined && depth < 4) {
      let main: unknown;
      try { main = (JSON.parse(pkgText) as { main?: unknown })?.main; } catch { throw new Error(`${dir}package.json is not valid JSON`); }
      if (typeof main === 'string' && main !== '') {
        const m = posix.normalize(posix.join(t || '.', main)).replace(/\/$/, '');
        if (m !== t) {
          const viaMain = probe(m === '.' ? '' : m, depth + 1);
          if (viaMain) return viaMain;
        }
      }
    }
    for (const ext of PROBE) if (files[dir + 'index' + ext] !== undefined) return dir + 'index' + ext;
    return undefined;
  };

  const inMap = (spec: string, target: string): Resolved => {
    let key: string | undefined;
    try { key = probe(target); } catch (e) { return fail(`cannot import "${spec}": ${(e as Error).message}`); }
    if (key !== undefined) return { path: key, namespace: NS };
    const why = others[target] ?? PROBE.map((e) => others[target + e]).find(Boolean);
    if (why) return fail(`cannot import "${spec}": ${why}`);
    return fail(`cannot import "${spec}": no such file in the submission's folder`);
  };

  return {
    name: 'dlgrade-confine',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args): Resolved => {
        const r = resolve(args);
        if (args.namespace === NS && r.namespace === NS && r.path) seen.resolved[`${args.importer}\0${args.path}`] = r.path;
        return r;
      });
      const resolve = (args: Esbuild.OnResolveArgs): Resolved => {
        const spec = args.path;
        if (args.kind === 'entry-point') return { path: input.entry, namespace: NS };
        const attrs = Object.entries(args.with ?? {});
        if (attrs.length && !(attrs.length === 1 && attrs[0]![0] === 'type' && attrs[0]![1] === 'json' && spec.endsWith('.json'))) {
          return fail(`cannot import "${spec}" with { ${attrs.map(([k, v]) => `${k}: '${v}'`).join(', ')} }: submissions may not use import attributes (only { type: 'json' } on a .json file)`);
        }
        if (Object.hasOwn(TF_PACKAGES, spec)) {
          if (spec === TFVIS && args.namespace === NS && !seen.tfvisUsers.includes(args.importer)) seen.tfvisUsers.push(args.importer);
          return { path: spec, namespace: TF_NS };
        }
        if (spec.startsWith('@tensorflow/')) return fail(`cannot import "${spec}": the grader provides only these @tensorflow packages: ${TF_PACKAGE_LIST}`);
        if (builtins.has(spec) || spec.startsWith('node:')) return { path: spec, external: true };
        if (spec.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(spec)) return fail(`cannot import "${spec}": it is outside the submission's folder`);
        const from = args.namespace === NS ? posix.dirname(args.importer) : '.';
        if (spec === '.' || spec === '..' || spec.startsWith('./') || spec.startsWith('../')) {
          if (leaves(from === '.' ? '' : from, spec)) return fail(`cannot import "${spec}": it is outside the submission's folder`);
          const target = posix.normalize(posix.join(from, spec)).replace(/\/$/, '');
          return inMap(spec, target === '.' ? '' : target);
        }
        if (spec.startsWith('#')) return fail(`cannot import "${spec}": package.json "imports" are not supported in submissions; import the file by its relative path`);
        // tsconfig.json "paths" and "baseUrl", kept inside the folder by checkProject.
        for (const { pattern, targets } of project.paths) {
          const star = pattern.indexOf('*');
          let matched: string | undefined;
          if (star < 0) matched = spec === pattern ? '' : undefined;
          else if (spec.startsWith(pattern.slice(0, star)) && spec.endsWith(pattern.slice(star + 1)) && spec.length >= pattern.length - 1) matched = spec.slice(star, spec.length - (pattern.length - star - 1));
          if (matched === undefined) continue;
          for (const t of targets) {
            const target = posix.normalize(t.replace('*', matched)).replace(/\/$/, '');
            if (leaves('', target)) return fail(`cannot import "${spec}": it is outside the submission's folder`);
            const key = probe(target === '.' ? '' : target);
            if (key !== undefined) return { path: key, namespace: NS };
          }
        }
        if (project.baseUrl !== undefined && !leaves(project.baseUrl, spec)) {
          const key = probe(posix.normalize(posix.join(project.baseUrl || '.', spec)).replace(/\/$/, ''));
          if (key !== undefined) return { path: key, namespace: NS };
        }
        return fail(`cannot import package "${spec}": submissions may import only @tensorflow/tfjs (or -node, -core, -layers, -data, -vis…), Node built-ins and their own files`);
      };
      build.onLoad({ filter: /.*/, namespace: TF_NS }, (args) => ({ contents: TF_PACKAGES[args.path]!.contents, loader: 'js' }));
      build.onLoad({ filter: /.*/, namespace: NS }, (args) => {
        const contents = files[args.path];
        const loader = SOURCE_LOADERS[posix.extname(args.path)];
        if (contents === undefined || !loader) return { errors: [{ text: `cannot load "${args.path}"` }] };
        // A `//# sourceMappingURL=` comment would make esbuild read that map (a data: URL) into ours: neutralised, same length.
        return { contents: loader === 'json' ? contents : contents.replace(/(\/[/*])[#@](\s*sourceMappingURL=)/g, '$1 $2'), loader, resolveDir: NOWHERE };
      });
      // Anything else esbuild would read itself (a computed import it expanded on the disk): refused, path not echoed.
      build.onLoad({ filter: /.*/ }, () => ({ errors: [{ text: COMPUTED_IMPORT }] }));
    },
  };
}

const COMPUTED_IMPORT = 'cannot import a computed path (import(`./${name}`) or require(\'./\' + name)): import each of your files by its literal relative path';

/** esbuild's own wording of a computed import it could not expand. */
function rewordGlob(m: Esbuild.Message): Esbuild.Message {
  const glob = /^(?:Could not resolve |The glob pattern )((?:import|require)\(".*"\))/.exec(m.text);
  if (glob && (glob[1]!.includes('*') || m.id === 'empty-glob')) return { ...m, id: '', text: `cannot import a computed path (${glob[1]}): import each of your files by its literal relative path` };
  return m;
}

/** Messages name the student's own relative paths, never a namespace. */
function tidy(m: Esbuild.Message): Esbuild.Message {
  const strip = (s: string) => s.replaceAll(`${NS}:`, '').replaceAll(`${TF_NS}:`, '');
  return {
    ...m, text: strip(m.text), pluginName: '',
    location: m.location ? { ...m.location, file: strip(m.location.file) } : null,
    notes: m.notes.map((n) => ({ ...n, text: strip(n.text), location: n.location ? { ...n.location, file: strip(n.location.file) } : null })),
  };
}

interface Seen { tfvisUsers: string[]; resolved: Record<string, string> }

export async function compileInChild(input: CompileInput, seen: Seen = { tfvisUsers: [], resolved: {} }): Promise<CompileOutput> {
  let esbuild: typeof Esbuild;
  try {
    esbuild = require(input.esbuild) as typeof Esbuild;
  } catch (e) {
    return { t: 'fault', message: `cannot load esbuild: ${(e as Error).message}` };
  }
  const format = async (ms: Esbuild.Message[]) => (await esbuild.formatMessages(ms.map(rewordGlob).map(tidy), { kind: 'error', color: false })).join('\n').trim();
  const { errors, project } = checkProject(input.files);
  if (errors.length) return { t: 'errors', errors: errors.join('\n') };
  let result: Esbuild.BuildResult<{ write: false }>;
  try {
    result = await esbuild.build({
      entryPoints: [input.entry],
      bundle: true,
      write: false,
      outfile: 'submission.cjs', // named, never written: the map's "file"
      absWorkingDir: NOWHERE, // nothing of the disk, not even a folder listing
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'silent',
      sourcemap: 'external',
      sourcesContent: true,
      keepNames: true, // function names as written (no `train2`)
      tsconfigRaw: project.tsconfigRaw,
      plugins: [submissionPlugin(input, project, seen)],
    });
  } catch (e) {
    const failure = e as Esbuild.BuildFailure;
    if (Array.isArray(failure.errors) && failure.errors.length) return { t: 'errors', errors: await format(failure.errors) };
    return { t: 'crash', message: (e as Error)?.message ?? String(e) };
  }
  const globs = result.warnings.filter((w) => w.id === 'empty-glob');
  if (globs.length) return { t: 'errors', errors: await format(globs) };
  const code = result.outputFiles.find((f) => f.path.endsWith('.cjs'));
  const mapFile = result.outputFiles.find((f) => f.path.endsWith('.map'));
  if (!code || !mapFile) return { t: 'fault', message: 'esbuild returned no bundle' };
  const map = JSON.parse(mapFile.text) as { sources: string[] };
  const sources: string[] = [];
  for (const s of map.sources) {
    if (s.startsWith(`${TF_NS}:`) && Object.hasOwn(TF_PACKAGES, s.slice(TF_NS.length + 1))) sources.push(shimSource(s.slice(TF_NS.length + 1)));
    else if (s.startsWith(`${NS}:`) && input.files[s.slice(NS.length + 1)] !== undefined) sources.push(s.slice(NS.length + 1));
    else return { t: 'errors', errors: COMPUTED_IMPORT }; // something not from the map reached the bundle
  }
  map.sources = sources;
  const warnings = seen.tfvisUsers.length ? [tfvisWarning(seen.tfvisUsers.sort()[0]!)] : [];
  return { t: 'ok', code: code.text, map: JSON.stringify(map), ...(warnings.length ? { warnings } : {}) };
}

/** The type checker's warnings, after the bundle: its failure is a message, never the compile's. */
function typeCheckInChild(input: CompileInput, seen: Seen): TypeCheckOutput {
  try {
    const ts = require(input.typeCheck!.typescript) as typeof TS;
    let tsconfig: unknown;
    try { tsconfig = input.files['tsconfig.json'] === undefined ? undefined : parseJsonc(input.files['tsconfig.json']); } catch { /* said by the compile */ }
    const warnings = typeCheck(ts, input.typeCheck!, { entry: input.entry, files: input.files, resolved: seen.resolved }, tsconfig);
    return { t: 'types', warnings };
  } catch (e) {
    return { t: 'types-failed', message: e instanceof RangeError ? 'the type checker ran out of stack on this submission' : `the type checker failed (${String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 200)})` };
  }
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  let out: CompileOutput;
  let input: CompileInput | undefined;
  const seen: Seen = { tfvisUsers: [], resolved: {} };
  try {
    input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CompileInput;
    out = await compileInChild(input, seen);
  } catch (e) {
    out = { t: 'fault', message: (e as Error)?.stack ?? String(e) };
  }
  const write = (line: unknown) => new Promise<void>((res) => process.stdout.write(JSON.stringify(line) + '\n', () => res()));
  // One line each: the compile's answer first, so that a type check that dies cannot take it along.
  await write(out);
  if (out.t === 'ok' && input?.typeCheck) {
    try { await (require(input.esbuild) as typeof Esbuild).stop(); } catch { /* its memory, not needed */ }
    await write(typeCheckInChild(input, seen));
  }
  process.exit(0);
}

if (process.env.DLGRADE_COMPILE_CHILD === '1') void main();
