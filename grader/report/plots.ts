// The reports' plots: Vega-Lite specs rendered to static SVG in Node when the
// report is written (vega's headless View; no canvas, no browser, no network),
// so a report opens offline with no script. Data is always inline values.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { HistoryEntry } from '../sandbox/progress-history.ts';
import type { TaskPlots } from '../tasks/types.ts';

const CONFIG = { font: 'sans-serif', background: 'white', view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 13, anchor: 'start' as const } };
const PASS = '#2e7d32', FAIL = '#c62828', LIMIT = '#c62828';

/** One Vega-Lite spec as an SVG document (a string starting with "<svg"). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vgSpec = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec, { logger: quietLogger() }).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function quietLogger() {
  let level = 0;
  const l = { level: (v?: number) => (v === undefined ? level : ((level = v), l)), error: () => l, warn: () => l, info: () => l, debug: () => l };
  return l as never;
}

/** A name the submission chose (a log key), as plain short text. */
function label(s: string): string {
  const t = s.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return t.length > 40 ? `${t.slice(0, 39)}…` : t || '(unnamed)';
}

/** Training curves from the submission's own progress messages: one panel per logged quantity, x the epoch over all fit calls in order. */
export function trainingSpec(history: HistoryEntry[]): TopLevelSpec | undefined {
  const points: { x: number; metric: string; value: number; call: string }[] = [];
  const calls = new Set(history.map((h) => h.call ?? 1));
  // Epochs restart at each fit call: the x axis runs on across calls.
  let offset = 0, lastCall = history[0]?.call ?? 1, maxInCall = 0;
  const metrics = new Set<string>();
  for (const h of history) {
    const call = h.call ?? 1;
    if (call !== lastCall) { offset += maxInCall; maxInCall = 0; lastCall = call; }
    maxInCall = Math.max(maxInCall, h.epoch);
    for (const [k, v] of Object.entries(h.logs ?? {})) {
      if (!Number.isFinite(v)) continue;
      const m = label(k);
      if (!metrics.has(m) && metrics.size >= 6) continue;
      metrics.add(m);
      points.push({ x: offset + h.epoch, metric: m, value: v, call: `fit call ${call}` });
    }
  }
  if (points.length === 0) return undefined;
  const unit = history.some((h) => h.unit === 'octave') ? 'octave' : 'epoch';
  return {
    data: { values: points },
    title: { text: 'Training curves', subtitle: "as reported by the submission's training loop (in-realm: not verified by the grader)" },
    facet: { row: { field: 'metric', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left', labelFontSize: 12 } } },
    spec: {
      width: 520, height: 140,
      mark: { type: 'line', point: points.length <= 400 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: calls.size > 1 ? `${unit} (all fit calls, in order)` : unit, axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        ...(calls.size > 1 ? { color: { field: 'call', type: 'nominal', title: null } } : {}),
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

export function rocSpec(roc: NonNullable<TaskPlots['roc']>): TopLevelSpec | undefined {
  const n = Math.min(roc.fpr?.length ?? 0, roc.tpr?.length ?? 0);
  const values = Array.from({ length: n }, (_, i) => ({ fpr: roc.fpr[i]!, tpr: roc.tpr[i]!, i })).filter((p) => Number.isFinite(p.fpr) && Number.isFinite(p.tpr));
  if (values.length < 2) return undefined;
  return {
    title: { text: `ROC curve (AUC ${Number(roc.auc).toFixed(4)})`, subtitle: 'measured by the grader: returned scores against hidden labels' },
    width: 300, height: 300,
    layer: [
      { data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] }, mark: { type: 'line', strokeDash: [4, 4], color: '#999' }, encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } } },
      {
        data: { values }, mark: { type: 'line', interpolate: 'step-after', color: '#1565c0' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
          order: { field: 'i', type: 'quantitative' },
        },
      },
    ],
  } as TopLevelSpec;
}

export function confusionSpec(c: NonNullable<TaskPlots['confusion']>): TopLevelSpec | undefined {
  const labels = (c.labels ?? []).map((l) => label(String(l)));
  const values: { truth: string; predicted: string; count: number }[] = [];
  c.counts?.forEach((row, t) => row?.forEach((count, p) => {
    if (t < labels.length && p < labels.length && Number.isFinite(count)) values.push({ truth: labels[t]!, predicted: labels[p]!, count });
  }));
  if (values.length === 0) return undefined;
  const cell = Math.max(18, Math.min(36, Math.floor(420 / labels.length)));
  const max = Math.max(...values.map((v) => v.count));
  return {
    title: { text: 'Confusion matrix', subtitle: 'measured by the grader: predicted classes against hidden labels' },
    data: { values },
    width: cell * labels.length, height: cell * labels.length,
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: labels, title: 'predicted', axis: { labelAngle: -45 } },
      y: { field: 'truth', type: 'ordinal', sort: labels, title: 'true class' },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, legend: null } } },
      {
        mark: { type: 'text', fontSize: labels.length > 12 ? 8 : 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** The values a class reached on one rubric item, binned, with the threshold as a red rule. */
export function histogramSpec(title: string, values: number[], threshold: number, op: string): TopLevelSpec | undefined {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return undefined;
  const pass = (x: number) => (op === '>' ? x > threshold : op === '>=' ? x >= threshold : op === '<' ? x < threshold : x <= threshold);
  return {
    title: { text: title, subtitle: `values against the threshold (${op} ${threshold})` },
    width: 360, height: 160,
    layer: [
      {
        data: { values: v.map((value) => ({ value, result: pass(value) ? 'meets' : 'misses' })) },
        mark: 'bar',
        encoding: {
          x: { field: 'value', type: 'quantitative', bin: { maxbins: 20, extent: [Math.min(...v, threshold), Math.max(...v, threshold)] }, title: 'value' },
          y: { aggregate: 'count', type: 'quantitative', title: 'students' },
          color: { field: 'result', type: 'nominal', scale: { domain: ['meets', 'misses'], range: [PASS, FAIL] }, title: null },
        },
      },
      { data: { values: [{ threshold }] }, mark: { type: 'rule', color: '#000', strokeDash: [5, 3], size: 2 }, encoding: { x: { field: 'threshold', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

export interface Percentiles { p50: number; p90: number; max: number }

/** Nearest-rank percentiles of the finite values (undefined when there are none). */
export function percentiles(values: number[]): Percentiles | undefined {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const at = (p: number) => v[Math.max(0, Math.ceil(p * v.length) - 1)]!;
  return { p50: at(0.5), p90: at(0.9), max: v[v.length - 1]! };
}

/** p50 / p90 / max of one resource as bars, against its limit (a red rule). */
export function usageSpec(title: string, unit: string, p: Percentiles, limit: number): TopLevelSpec {
  return {
    title: { text: title, subtitle: `p50, p90 and max against the limit (${limit} ${unit})` },
    width: 260, height: 90,
    layer: [
      {
        data: { values: [{ stat: 'p50', value: p.p50 }, { stat: 'p90', value: p.p90 }, { stat: 'max', value: p.max }] },
        mark: 'bar',
        encoding: {
          y: { field: 'stat', type: 'nominal', sort: ['p50', 'p90', 'max'], title: null },
          x: { field: 'value', type: 'quantitative', title: unit, scale: { domain: [0, Math.max(limit, p.max)] } },
          color: { value: '#546e7a' },
        },
      },
      { data: { values: [{ limit }] }, mark: { type: 'rule', color: LIMIT, size: 2 }, encoding: { x: { field: 'limit', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

export function verdictSpec(counts: Record<string, number>): TopLevelSpec | undefined {
  const values = Object.entries(counts).filter(([, n]) => n > 0).map(([verdict, n]) => ({ verdict, n }));
  if (values.length === 0) return undefined;
  return {
    title: 'Verdicts',
    data: { values },
    width: 360, height: { step: 22 },
    mark: 'bar',
    encoding: {
      y: { field: 'verdict', type: 'nominal', sort: '-x', title: null },
      x: { field: 'n', type: 'quantitative', title: 'students', axis: { tickMinStep: 1 } },
      color: { condition: { test: "datum.verdict === 'PASS'", value: PASS }, value: FAIL },
    },
  } as TopLevelSpec;
}
