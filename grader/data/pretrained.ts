// Pretrained bases for transfer-learning tasks, available offline. The npm
// package nsfwjs ships Keras models converted to TF.js Layers format, wrapped
// in JS modules (the topology as an object literal, each weight shard as a
// base64 string). On first use the grader unpacks one into
// <cacheRoot>/pretrained/<name>/ as a plain model.json + weights.bin with
// sha256 checksums, which sandboxes then read directly (PreparedTask.files).
//
// `--weights <path|url>` replaces the bundled base: a local model.json (or a
// folder holding one) is copied into the cache; an http(s) URL is downloaded
// once into the cache and reused from there. A download that fails (no
// network) is an error that says so, never a silent fallback.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJson, sha256, writeAtomic, writeJsonAtomic } from '../util/fs.ts';

export type BundledBaseName = 'mobilenet_v2' | 'inception_v3';

export interface BundledBase {
  name: BundledBaseName;
  title: string;
  /** The npm package and the folder in it that holds the wrapped model. */
  package: 'nsfwjs';
  folder: string;
  /** The input size the shipped topology declares ([h, w, 3]). */
  inputSize: number;
  /** How the original network expects its pixels. */
  preprocessing: string;
  provenance: string;
  license: string;
}

const NSFWJS_PROVENANCE =
  'Converted to TF.js Layers format (weights uint8-quantized) and shipped in the npm package nsfwjs (Infinite Red, MIT license), ' +
  'which uses it as an NSFW image classifier: the ImageNet-trained Keras network with a classification top for five classes ' +
  '(drawing, hentai, neutral, porn, sexy) and its last blocks fine-tuned on that data (the nsfw_model project).';

export const BUNDLED_BASES: Record<BundledBaseName, BundledBase> = {
  mobilenet_v2: {
    name: 'mobilenet_v2',
    title: 'MobileNetV2 (alpha 1.0, 224×224)',
    package: 'nsfwjs',
    folder: 'dist/models/mobilenet_v2',
    inputSize: 224,
    preprocessing: 'RGB scaled to [-1, 1] (x / 127.5 - 1), as keras.applications.mobilenet_v2.preprocess_input',
    provenance: `Keras MobileNetV2 (Sandler et al. 2018), ImageNet weights. ${NSFWJS_PROVENANCE} Layers from block_11_expand on were fine-tuned; those before are the ImageNet weights.`,
    license: 'MIT (nsfwjs); Keras application weights Apache-2.0',
  },
  inception_v3: {
    name: 'inception_v3',
    title: 'InceptionV3 (299×299)',
    package: 'nsfwjs',
    folder: 'dist/models/inception_v3',
    inputSize: 299,
    preprocessing: 'RGB scaled to [-1, 1] (x / 127.5 - 1), as keras.applications.inception_v3.preprocess_input',
    provenance: `Keras InceptionV3 (Szegedy et al. 2016), ImageNet weights. ${NSFWJS_PROVENANCE}`,
    license: 'MIT (nsfwjs); Keras application weights Apache-2.0',
  },
};

export interface PretrainedFiles {
  /** The bundled base's name, or 'custom' for a --weights override. */
  name: BundledBaseName | 'custom';
  dir: string;
  /** model.json whose weightsManifest names one file, weights.bin, next to it. */
  modelJson: string;
  weightsBin: string;
  sha256: { 'model.json': string; 'weights.bin': string };
  /** sha256 over both digests: the base's identity in results. */
  checksum: string;
  /** Where the files came from (package and folder, a path, or a URL). */
  source: string;
  provenance: string;
  license: string;
  /** Layer names of the topology, in order (for tasks that cut the network at a layer). */
  layers: string[];
}

interface About {
  formatVersion: 1;
  name: PretrainedFiles['name'];
  source: string;
  /** What the cache was built from: package version and source file stats, or the URL. */
  fingerprint: string;
  provenance: string;
  license: string;
  sha256: PretrainedFiles['sha256'];
  checksum: string;
  layers: string[];
}

const require = createRequire(import.meta.url);

/** Paths of the bundled package files a base is built from (for tests and the provenance line). */
export function bundledSourceFiles(name: BundledBaseName): { packageDir: string; version: string; model: string; shards: string[] } {
  const base = BUNDLED_BASES[name];
  // Found the way Node finds packages (the package's "exports" hide its package.json from require.resolve).
  const pkgJson = (require.resolve.paths(base.package) ?? []).map((d) => join(d, base.package, 'package.json')).find((f) => existsSync(f));
  if (!pkgJson) throw new Error(`pretrained base ${name}: the npm package ${base.package} is not installed (run npm install, or pass --weights <model.json>)`);
  const packageDir = dirname(pkgJson);
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  const folder = join(packageDir, base.folder);
  const model = join(folder, 'model.min.js');
  if (!existsSync(model)) throw new Error(`pretrained base ${name}: ${model} is missing from ${base.package}@${version}`);
  const manifest = (loadWrapped(model) as ModelJsonLike).weightsManifest;
  const shards = manifest.flatMap((g) => g.paths).map((p) => join(folder, `${p}.min.js`));
  return { packageDir, version, model, shards };
}

/**
 * The files of a pretrained base in the cache, unpacked (or downloaded, or
 * copied) on first use and verified by checksum on every later one.
 * `weights` (the CLI's --weights) overrides `name`: a bundled base's name, a
 * model.json path or folder, a file:// URL, or an http(s) URL.
 */
export async function ensurePretrained(name: BundledBaseName, cacheRoot: string, weights?: string): Promise<PretrainedFiles> {
  if (weights === undefined || weights === '') return ensureBundled(name, cacheRoot);
  if (weights in BUNDLED_BASES) return ensureBundled(weights as BundledBaseName, cacheRoot);
  if (/^https?:\/\//i.test(weights)) return ensureUrl(weights, cacheRoot);
  const path = weights.startsWith('file://') ? fileURLToPath(weights) : resolve(weights);
  return ensureLocal(path, cacheRoot);
}

/** Re-reads the cached files and checks them against the recorded sha256 digests. */
export function verifyPretrained(p: PretrainedFiles): boolean {
  try {
    return sha256(readFileSync(p.modelJson)) === p.sha256['model.json'] && sha256(readFileSync(p.weightsBin)) === p.sha256['weights.bin'];
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------

interface WeightGroup { paths: string[]; weights: WeightSpec[] }
interface WeightSpec { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }
interface ModelJsonLike { modelTopology?: unknown; weightsManifest: WeightGroup[]; format?: string; [k: string]: unknown }

function loadWrapped(path: string): unknown {
  // The files are UMD bundles (CommonJS under node_modules/nsfwjs/dist/models): requiring
  // them evaluates only the package's own module wrapper around a literal.
  const value = require(path) as unknown;
  delete require.cache[path]; // the grader keeps no copy of a 20 MB string around
  return value;
}

function ensureBundled(name: BundledBaseName, cacheRoot: string): PretrainedFiles {
  const base = BUNDLED_BASES[name];
  if (!base) throw new Error(`unknown pretrained base "${name}" (bundled: ${Object.keys(BUNDLED_BASES).join(', ')})`);
  const src = bundledSourceFiles(name);
  const fingerprint = [`${base.package}@${src.version}`, ...[src.model, ...src.shards].map((f) => `${f}:${statSync(f).size}:${statSync(f).mtimeMs}`)].join('\n');
  const dir = join(cacheRoot, 'pretrained', name);
  const cached = reuse(dir, fingerprint);
  if (cached) return cached;
  const model = loadWrapped(src.model) as ModelJsonLike;
  const shards = src.shards.map((f) => {
    const b64 = loadWrapped(f);
    if (typeof b64 !== 'string') throw new Error(`${f}: expected a base64 weight shard, got ${typeof b64}`);
    return Buffer.from(b64, 'base64');
  });
  return store(dir, model, Buffer.concat(shards), {
    name, source: `${base.package}@${src.version} ${base.folder}`, fingerprint, provenance: `${base.title}. ${base.provenance}`, license: base.license,
  }, src.model);
}

function ensureLocal(path: string, cacheRoot: string): PretrainedFiles {
  let jsonPath = path;
  if (existsSync(path) && statSync(path).isDirectory()) jsonPath = join(path, 'model.json');
  if (!existsSync(jsonPath)) throw new Error(`--weights ${path}: no such file (expected a TF.js Layers model.json, or a folder holding one)`);
  const model = readJson(jsonPath) as ModelJsonLike;
  checkLayersModel(model, jsonPath);
  const bytes = Buffer.concat(model.weightsManifest.flatMap((g) => g.paths).map((p) => {
    const f = join(dirname(jsonPath), p);
    try {
      return readFileSync(f);
    } catch (e) {
      throw new Error(`--weights ${jsonPath}: cannot read weight file ${f} named in its weightsManifest (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }));
  const fingerprint = sha256(`${sha256(JSON.stringify(model))}/${sha256(bytes)}`);
  const dir = join(cacheRoot, 'pretrained', `local-${fingerprint.slice(0, 16)}`);
  return reuse(dir, fingerprint) ?? store(dir, model, bytes, {
    name: 'custom', source: jsonPath, fingerprint, provenance: `supplied with --weights ${jsonPath}`, license: 'as supplied (not checked by the grader)',
  }, jsonPath);
}

async function ensureUrl(url: string, cacheRoot: string): Promise<PretrainedFiles> {
  const dir = join(cacheRoot, 'pretrained', `url-${sha256(url).slice(0, 16)}`);
  const cached = reuse(dir, url);
  if (cached) return cached;
  const get = async (u: string): Promise<Buffer> => {
    let res: Response;
    try {
      res = await fetch(u, { signal: AbortSignal.timeout(120_000), redirect: 'follow' });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`--weights ${url}: cannot download ${u} (${cause?.code ?? cause?.message ?? (e as Error).message}). ` +
        `A --weights URL is fetched once into ${dir} and reused offline after that; without network access, pass the path of a local model.json instead.`);
    }
    if (!res.ok) throw new Error(`--weights ${url}: downloading ${u} failed with HTTP ${res.status} ${res.statusText}`);
    return Buffer.from(await res.arrayBuffer());
  };
  let model: ModelJsonLike;
  try {
    model = JSON.parse((await get(url)).toString('utf8')) as ModelJsonLike;
  } catch (e) {
    if ((e as Error).message.startsWith('--weights')) throw e;
    throw new Error(`--weights ${url}: the downloaded model.json is not JSON (${(e as Error).message})`);
  }
  checkLayersModel(model, url);
  const shards: Buffer[] = [];
  for (const p of model.weightsManifest.flatMap((g) => g.paths)) shards.push(await get(new URL(p, url).href));
  return store(dir, model, Buffer.concat(shards), {
    name: 'custom', source: url, fingerprint: url, provenance: `downloaded from ${url} (--weights)`, license: 'as supplied (not checked by the grader)',
  }, url);
}

function checkLayersModel(model: ModelJsonLike, where: string): void {
  if (!model || typeof model !== 'object' || !model.modelTopology || !Array.isArray(model.weightsManifest)) {
    throw new Error(`--weights ${where}: not a TF.js model.json (needs modelTopology and weightsManifest)`);
  }
  if (model.format === 'graph-model') throw new Error(`--weights ${where}: a TF.js graph model; transfer learning needs a Layers model (format "layers-model")`);
}

/** The cached base if its about.json matches `fingerprint` and the files still hash to their recorded digests. */
function reuse(dir: string, fingerprint: string): PretrainedFiles | undefined {
  const aboutPath = join(dir, 'about.json');
  if (!existsSync(aboutPath)) return undefined;
  let about: About;
  try {
    about = readJson(aboutPath) as About;
  } catch {
    return undefined;
  }
  if (about.formatVersion !== 1 || about.fingerprint !== fingerprint) return undefined;
  const files = filesOf(dir, about);
  return verifyPretrained(files) ? files : undefined;
}

function filesOf(dir: string, about: About): PretrainedFiles {
  return {
    name: about.name, dir, modelJson: join(dir, 'model.json'), weightsBin: join(dir, 'weights.bin'), sha256: about.sha256,
    checksum: about.checksum, source: about.source, provenance: about.provenance, license: about.license, layers: about.layers,
  };
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, int8: 1, int16: 2 };

function expectedBytes(specs: WeightSpec[], where: string): number {
  let total = 0;
  for (const s of specs) {
    const dtype = s.quantization?.dtype ?? s.dtype;
    const size = BYTES[dtype];
    if (size === undefined) throw new Error(`${where}: weight ${s.name} has unsupported dtype ${dtype}`);
    total += size * s.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

function layerNamesOf(model: ModelJsonLike): string[] {
  const topo = model.modelTopology as { model_config?: { config?: { layers?: { name?: string; config?: { name?: string } }[] } }; config?: { layers?: { name?: string }[] } };
  const layers = topo?.model_config?.config?.layers ?? topo?.config?.layers ?? [];
  return layers.map((l) => String(l.name ?? (l as { config?: { name?: string } }).config?.name ?? ''));
}

function store(dir: string, model: ModelJsonLike, weights: Buffer, meta: { name: PretrainedFiles['name']; source: string; fingerprint: string; provenance: string; license: string }, where: string): PretrainedFiles {
  const specs = model.weightsManifest.flatMap((g) => g.weights);
  const want = expectedBytes(specs, where);
  if (weights.length !== want) throw new Error(`${where}: the weight shards hold ${weights.length} bytes, the manifest describes ${want}`);
  const { weightsManifest: _w, ...rest } = model;
  const json = JSON.stringify({
    format: 'layers-model',
    generatedBy: 'keras',
    convertedBy: `dlgrade pretrained.ts from ${meta.source}`,
    ...rest,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  });
  mkdirSync(dir, { recursive: true, mode: 0o755 }); // sandboxes (possibly another uid) read these files
  const digests = { 'model.json': sha256(json), 'weights.bin': sha256(weights) };
  writeAtomic(join(dir, 'weights.bin'), weights);
  writeAtomic(join(dir, 'model.json'), json);
  const about: About = {
    formatVersion: 1, name: meta.name, source: meta.source, fingerprint: meta.fingerprint, provenance: meta.provenance, license: meta.license,
    sha256: digests, checksum: sha256(`${digests['model.json']}\n${digests['weights.bin']}`), layers: layerNamesOf(model),
  };
  writeJsonAtomic(join(dir, 'about.json'), about); // written last: its presence means the others are complete
  return filesOf(dir, about);
}
