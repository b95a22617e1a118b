// @tensorflow/tfjs-vis inside the grader: there is no display, so it draws nothing.
//
// - tfvis.show.fitCallbacks(container, metrics, opts) returns callbacks (the
//   ones opts.callbacks names, by default onEpochEnd and onBatchEnd) that do
//   nothing, so `model.fit(x, y, { callbacks: tfvis.show.fitCallbacks(…) })`
//   trains as it would in the browser.
// - tfvis.show.* and tfvis.render.* resolve at once and draw nothing;
//   tfvis.visor() is one inert visor whose surface() returns inert elements.
// - tfvis.metrics.accuracy, perClassAccuracy and confusionMatrix are computed
//   (students print them), from the tensors' values, as tfjs-vis does.
//
// tfvisShim is bundled into the submission as source text (Function#toString),
// so it must stay self-contained: no imports, no helpers from outside it.

/* eslint-disable @typescript-eslint/no-explicit-any */
export function tfvisShim(tf: any): Record<string, unknown> {
  const nothing = (): void => undefined;
  const drawn = (): Promise<void> => Promise.resolve();
  const element = (): Record<string, unknown> => {
    const el: Record<string, unknown> = {
      style: {}, innerHTML: '', textContent: '', children: [], dataset: {},
      appendChild: (c: unknown) => c, removeChild: (c: unknown) => c, setAttribute: nothing, addEventListener: nothing, removeEventListener: nothing,
      querySelector: () => null, querySelectorAll: () => [],
    };
    el.classList = { add: nothing, remove: nothing, toggle: nothing, contains: () => false };
    return el;
  };
  const surfaces = new Map<string, Record<string, unknown>>();
  const visor = {
    el: element(),
    surface(options: { name?: unknown; tab?: unknown } = {}) {
      const key = `${String(options?.tab ?? 'Visor')}/${String(options?.name ?? '')}`;
      let s = surfaces.get(key);
      if (!s) surfaces.set(key, (s = { container: element(), label: element(), drawArea: element() }));
      return s;
    },
    isOpen: () => false, isFullscreen: () => false,
    open: nothing, close: nothing, toggle: nothing, toggleFullScreen: nothing, bindKeys: nothing, unbindKeys: nothing, setActiveTab: nothing,
  };
  const fitCallbacks = (_container: unknown, _metrics: unknown, opts?: { callbacks?: unknown }) => {
    const names = Array.isArray(opts?.callbacks) ? opts.callbacks.filter((n): n is string => typeof n === 'string' && /^on[A-Z]\w*$/.test(n)) : ['onEpochEnd', 'onBatchEnd'];
    const callbacks: Record<string, () => Promise<void>> = {};
    for (const n of names) callbacks[n] = drawn;
    return callbacks;
  };

  const values = async (what: string, x: any): Promise<number[]> => {
    if (Array.isArray(x)) return x.map(Number);
    if (x && typeof x.data === 'function') {
      if (x.rank !== undefined && x.rank !== 1) throw new Error(`tfvis.metrics: ${what} must be a 1D tensor of class indices (got rank ${x.rank})`);
      return Array.from(await x.data(), Number);
    }
    throw new Error(`tfvis.metrics: ${what} must be a 1D tensor of class indices`);
  };
  const pair = async (labels: unknown, predictions: unknown): Promise<[number[], number[]]> => {
    const l = await values('labels', labels), p = await values('predictions', predictions);
    if (l.length !== p.length) throw new Error(`tfvis.metrics: labels (${l.length}) and predictions (${p.length}) must have the same length`);
    return [l, p];
  };
  const classesOf = (l: number[], p: number[], numClasses?: number) => {
    if (numClasses != null) return numClasses;
    let max = -1;
    for (const v of l) if (v > max) max = v;
    for (const v of p) if (v > max) max = v;
    return max + 1;
  };
  const confusion = (l: number[], p: number[], n: number, weights?: number[]) => {
    const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < l.length; i++) {
      const row = m[l[i]!], c = p[i]!;
      if (row && c >= 0 && c < n) row[c]! += weights ? weights[i]! : 1;
    }
    return m;
  };
  const metrics = {
    async accuracy(labels: unknown, predictions: unknown): Promise<number> {
      const [l, p] = await pair(labels, predictions);
      let right = 0;
      for (let i = 0; i < l.length; i++) if (l[i] === p[i]) right++;
      return l.length ? right / l.length : 0;
    },
    async confusionMatrix(labels: unknown, predictions: unknown, numClasses?: number, weights?: unknown): Promise<number[][]> {
      const [l, p] = await pair(labels, predictions);
      const w = weights == null ? undefined : await values('weights', weights);
      return confusion(l, p, classesOf(l, p, numClasses), w);
    },
    async perClassAccuracy(labels: unknown, predictions: unknown, numClasses?: number): Promise<Array<{ accuracy: number; count: number }>> {
      const [l, p] = await pair(labels, predictions);
      const m = confusion(l, p, classesOf(l, p, numClasses));
      return m.map((row, k) => {
        const count = row.reduce((a, b) => a + b, 0);
        return { accuracy: count ? row[k]! / count : 0, count };
      });
    },
  };
  void tf; // the runner's tf; the metrics need only the tensors' values
  return {
    visor: () => visor,
    show: { fitCallbacks, history: drawn, perClassAccuracy: drawn, valuesDistribution: drawn, layer: drawn, modelSummary: drawn },
    render: { barchart: drawn, confusionMatrix: drawn, heatmap: drawn, histogram: drawn, linechart: drawn, scatterplot: drawn, table: drawn },
    metrics,
  };
}

/** What the type checker sees for '@tensorflow/tfjs-vis': loose, so that tutorial code checks cleanly. */
export const TFVIS_TYPES = `
type Drawable = { name: string; tab?: string; styles?: Record<string, unknown> } | Record<string, unknown>;
type Draw = (container: Drawable, ...rest: any[]) => Promise<void>;
export declare function visor(): {
  el: any; surface(options: { name: string; tab?: string; styles?: Record<string, unknown> }): { container: any; label: any; drawArea: any };
  isOpen(): boolean; isFullscreen(): boolean; open(): void; close(): void; toggle(): void; toggleFullScreen(): void;
  bindKeys(): void; unbindKeys(): void; setActiveTab(tabName: string): void;
};
export declare const show: {
  fitCallbacks(container: Drawable, metrics: string[], opts?: { callbacks?: string[]; [k: string]: unknown }): { [callback: string]: (iteration: number, log: any) => Promise<void> };
  history: Draw; perClassAccuracy: Draw; valuesDistribution: Draw; layer: Draw; modelSummary: Draw;
};
export declare const render: { barchart: Draw; confusionMatrix: Draw; heatmap: Draw; histogram: Draw; linechart: Draw; scatterplot: Draw; table: Draw };
export declare const metrics: {
  accuracy(labels: any, predictions: any): Promise<number>;
  confusionMatrix(labels: any, predictions: any, numClasses?: number, weights?: any): Promise<number[][]>;
  perClassAccuracy(labels: any, predictions: any, numClasses?: number): Promise<Array<{ accuracy: number; count: number }>>;
};
`;
