// What each `@tensorflow/...` import of a submission becomes in its bundle
// (compile-child.ts resolves them; the modules below are the bundle's text).
//
// - @tensorflow/tfjs, tfjs-core, tfjs-layers, tfjs-converter, tfjs-node and
//   tfjs-node-gpu: the runner's tf, whatever backend it loaded (the union
//   package re-exports core, layers and converter at its top level; the grader
//   picks the backend, so -node is the same tf).
// - @tensorflow/tfjs-data: the runner's tf.data (the package's own top level:
//   `tfd.array`, `tfd.generator`, …).
// - @tensorflow/tfjs-backend-cpu, -wasm, -webgl: harmless. Imported for its side
//   effect (registering a backend) it does nothing, since the grader has
//   already chosen one; the setters students call (setWasmPaths,
//   setThreadsCount, …) are no-ops.
// - @tensorflow/tfjs-vis: drawing does nothing (there is no display); see
//   shims/tfjs-vis.ts.
// Any other @tensorflow/ package is refused at compile time, naming what may
// be imported.
import { TF_GLOBAL } from '../child/tf-global.ts';
import { TFVIS_TYPES, tfvisShim } from './tfjs-vis.ts';

/** The runner's tf, as an expression of the bundle. */
const TF = `globalThis[Symbol.for(${JSON.stringify(TF_GLOBAL.description)})]`;
const TF_MODULE = `module.exports = ${TF};`;
const version = (pkg: string) => `((${TF} || {}).version || {})[${JSON.stringify(pkg)}]`;
const noops = (names: string[]) => names.map((n) => `${n}() {}`).join(', ');

export interface TfPackage {
  /** The module's CommonJS text in the bundle. */
  contents: string;
  /** What the type checker sees for it: a package under node_modules/@tensorflow, or a declaration text. */
  types: { package: string } | { text: string };
}

export const TF_PACKAGES: Readonly<Record<string, TfPackage>> = {
  '@tensorflow/tfjs': { contents: TF_MODULE, types: { package: 'tfjs' } },
  '@tensorflow/tfjs-core': { contents: TF_MODULE, types: { package: 'tfjs' } },
  '@tensorflow/tfjs-layers': { contents: TF_MODULE, types: { package: 'tfjs' } },
  '@tensorflow/tfjs-converter': { contents: TF_MODULE, types: { package: 'tfjs' } },
  '@tensorflow/tfjs-node': { contents: TF_MODULE, types: { package: 'tfjs' } },
  '@tensorflow/tfjs-node-gpu': { contents: TF_MODULE, types: { package: 'tfjs' } },
  '@tensorflow/tfjs-data': { contents: `module.exports = ${TF}.data;`, types: { package: 'tfjs-data' } },
  '@tensorflow/tfjs-backend-cpu': {
    contents: `module.exports = { version_cpu: ${version('tfjs-backend-cpu')} };`,
    types: { text: 'export declare const version_cpu: string;\n' },
  },
  '@tensorflow/tfjs-backend-wasm': {
    contents: `module.exports = { version_wasm: ${version('tfjs-backend-wasm')}, ${noops(['setWasmPath', 'setWasmPaths', 'setThreadsCount'])}, getThreadsCount() { return 1; } };`,
    types: { text: 'export declare const version_wasm: string;\nexport declare function setWasmPath(path: string, usePlatformFetch?: boolean): void;\nexport declare function setWasmPaths(prefixOrFileMap: string | Record<string, string>, usePlatformFetch?: boolean): void;\nexport declare function setThreadsCount(n: number): void;\nexport declare function getThreadsCount(): number;\n' },
  },
  '@tensorflow/tfjs-backend-webgl': {
    contents: `module.exports = { version_webgl: ${version('tfjs-backend-webgl')}, webgl: { forceHalfFloat() {} }, ${noops(['setWebGLContext'])} };`,
    types: { text: 'export declare const version_webgl: string;\nexport declare const webgl: { forceHalfFloat(): void };\nexport declare function setWebGLContext(webGLVersion: number, gl: unknown): void;\n' },
  },
  '@tensorflow/tfjs-vis': {
    // `__name`: a no-op stand-in in case the shim's text was compiled with esbuild's keepNames.
    contents: `module.exports = (function () { const __name = (f) => f; return (${tfvisShim.toString()}); })()(${TF});`,
    types: { text: TFVIS_TYPES },
  },
};

/** For a student's message: what may be imported from @tensorflow. */
export const TF_PACKAGE_LIST = Object.keys(TF_PACKAGES).map((p) => p.replace('@tensorflow/', '')).join(', ');

export const TFVIS = '@tensorflow/tfjs-vis';
/** Said once per submission that imports tfjs-vis (a warning; the verdict does not change). */
export const tfvisWarning = (file: string) =>
  `${file} imports @tensorflow/tfjs-vis: tfjs-vis draws nothing in the grader (no display), so its charts, visor and fitCallbacks do nothing here, while tfvis.metrics are computed as usual.`;
