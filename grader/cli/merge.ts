// dlgrade merge <shard-out-dir>… --out <dir>: one class from the out folders of
// `dlgrade grade --shard i/n` runs on several machines (a CI matrix, a
// Kubernetes Indexed Job, a shell loop).
//
// Nothing is merged unless the shards are provably parts of one grading: the
// same assignment spec, mode, limits, grader code, grading secret (drawId) and
// dataset; every shard index 0…n-1 exactly once (a missing or interrupted shard
// only with --allow-partial); each student in one shard, the one their id
// hashes to. A refusal is exit 2 and names the folders and the field.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BatchSummary } from '../grade/run-batch.ts';
import { shardOf, type ShardRecord } from '../grade/shard.ts';
import type { Verdict } from '../grade/judge.ts';
import { formatSummary, formatWritten, shownPath, type Written } from '../report/console.ts';
import { writeReports } from '../report/write-reports.ts';
import { resultSchema, type SubmissionResult } from '../report/result.ts';
import { check, compile } from '../spec/validate.ts';
import { copyRegularTree, removeTree } from '../util/fs-tree.ts';
import { readJson, writeJsonAtomic } from '../util/fs.ts';
import { refuseForeignOutDir } from './out-dir.ts';

/** A refusal to merge (exit 2): the message names the folders and the field. */
export class MergeRefused extends Error {
  override name = 'MergeRefused';
}

const EXIT = { ok: 0, failed: 1, graderError: 4 } as const;
/** The options merge takes; any other is a usage error rather than silently ignored. */
const MERGE_OPTIONS = new Set(['out', 'junit', 'json', 'allow-partial', 'quiet']);
/** Ids are file names the grader made (discover.ts): anything else in a summary did not come from it. */
const SAFE_ID = /^(?!\.\.?$)[A-Za-z0-9._-]+$/;
/** The rendered pictures of one submission are small; a shard folder from elsewhere is capped all the same. */
const ARTIFACT_CAPS = { maxBytes: 256 * 1024 * 1024, maxFiles: 10_000, maxDepth: 8 };

const validateResult = compile(resultSchema);

/** What must be the same in every shard, by the field name a refusal shows. */
type Field = 'assignment.id' | 'assignment.specHash' | 'mode' | 'limits' | 'environment.graderHash' | 'dataset.drawId' | 'dataset.checksum' | 'shard.count' | 'shard.classTotal';

interface ShardIn {
  dir: string;
  shown: string;
  summary: BatchSummary;
  shard: ShardRecord;
  /** Each summary entry, as read back from results/<id>.json (ABORTED ones from the summary: they have no file). */
  results: SubmissionResult[];
  /** Field → the one value this shard was graded under (canonical JSON for objects). */
  conditions: Map<Field, string>;
}

export interface MergeOptions {
  out: string;
  allowPartial?: boolean;
}

/** The CLI command: parses its options, merges, writes, prints, returns the exit code. */
export async function merge(dirs: string[], v: Record<string, string | boolean | undefined>): Promise<number> {
  const unknown = Object.keys(v).filter((k) => v[k] !== undefined && !MERGE_OPTIONS.has(k));
  if (unknown.length) throw new MergeRefused(`merge takes --out, --junit, --json, --allow-partial and -q, not ${unknown.map((k) => `--${k}`).join(', ')}`);
  if (dirs.length === 0) throw new MergeRefused('merge needs the out folders of the shards: dlgrade merge <shard-out-dir>… --out <dir>');
  if (typeof v.out !== 'string') throw new MergeRefused('merge needs --out <dir>, the folder the merged class goes to');
  const jsonOut = v.json as string | undefined;
  const summary = mergeShards(dirs, { out: v.out, allowPartial: !!v['allow-partial'] });
  const out = resolve(v.out);
  const junit = typeof v.junit === 'string' ? resolve(v.junit) : undefined;
  const json = jsonOut && jsonOut !== '-' ? resolve(jsonOut) : undefined;
  // The same reports a single run writes: summary.json, gradebook.csv, report.html, reports/, --junit, --json.
  const reports = await writeReports(summary, out, { junit, json });
  for (const p of reports.problems) process.stderr.write(`dlgrade: report page not drawn in full: ${p}\n`);
  const artifacts = join(out, 'artifacts');
  const written: Written = {
    out,
    results: join(out, 'results'),
    resultFiles: summary.results.filter((r) => r.verdict !== 'ABORTED').length,
    summary: join(out, 'summary.json'),
    gradebook: reports.gradebook, html: reports.html, reports: reports.reports, reportFiles: reports.reportFiles,
    ...(junit ? { junit } : {}),
    ...(json ? { json } : {}),
    ...(existsSync(artifacts) && readdirSync(artifacts).length > 0 ? { artifacts } : {}),
  };
  const m = summary.merged!;
  if (jsonOut === '-') {
    process.stdout.write(JSON.stringify({ event: 'summary', summary: { ...summary, results: undefined } }) + '\n');
    process.stdout.write(JSON.stringify({ event: 'written', ...written }) + '\n');
  } else {
    if (!v.quiet) process.stderr.write(`merged shards ${m.indices.join(', ')} of ${m.count}${m.missing.length ? ` (missing: ${m.missing.join(', ')})` : ''}: ${dirs.map((d) => shownPath(resolve(d))).join(', ')}\n`);
    process.stderr.write(formatSummary(summary));
    process.stderr.write(formatWritten(written));
  }
  if (summary.counts.GRADER_ERROR) return EXIT.graderError;
  return summary.passed === summary.total ? EXIT.ok : EXIT.failed;
}

/**
 * Reads and checks the shards in `dirs`, then writes the merged class to `o.out`
 * (summary.json, results/, artifacts/) and returns its summary. Throws MergeRefused.
 */
export function mergeShards(dirs: string[], o: MergeOptions): BatchSummary {
  const out = resolve(o.out);
  const shards = dirs.map(readShard);
  const problems: string[] = [];
  const refuse = () => {
    if (problems.length) throw new MergeRefused(`refusing to merge:\n  - ${problems.join('\n  - ')}`);
  };

  // The same folder twice is the plainest duplicate.
  for (let i = 0; i < shards.length; i++) for (let j = i + 1; j < shards.length; j++) {
    if (shards[i]!.dir === shards[j]!.dir) problems.push(`${shards[i]!.shown} is given twice`);
  }
  if (shards.some((s) => s.dir === out)) problems.push(`--out ${shownPath(out)} is one of the shards; merge into another folder`);
  refuse();

  // Graded alike: every field, against the first shard.
  const first = shards[0]!;
  for (const s of shards.slice(1)) {
    for (const [field, value] of first.conditions) {
      const other = s.conditions.get(field);
      if (other !== undefined && other !== value) problems.push(`${first.shown} and ${s.shown} were graded under different ${field} (${difference(field, value, other)})`);
    }
  }
  refuse();

  // Every index once.
  const count = first.shard.count;
  const byIndex = new Map<number, ShardIn>();
  for (const s of [...shards].sort((a, b) => a.shard.index - b.shard.index)) {
    const seen = byIndex.get(s.shard.index);
    if (seen) problems.push(`${seen.shown} and ${s.shown} are both shard ${s.shard.index}/${count} (shard.index)`);
    else byIndex.set(s.shard.index, s);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length && !o.allowPartial) {
    problems.push(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing (shard.index; given: ${[...byIndex.values()].map((s) => `${s.shard.index}/${count} in ${s.shown}`).join(', ')}); pass --allow-partial to merge without ${missing.length > 1 ? 'them' : 'it'}`);
  }
  for (const s of shards) {
    const aborted = s.results.filter((r) => r.verdict === 'ABORTED').length;
    if ((s.summary.interrupted || aborted) && !o.allowPartial) {
      problems.push(`${s.shown} (shard ${s.shard.index}/${count}) was interrupted${aborted ? ` (${aborted} submission${aborted === 1 ? '' : 's'} not graded)` : ''} (interrupted); run its grade --shard ${s.shard.index}/${count} again to resume, or pass --allow-partial`);
    }
  }

  // Each student once, in the shard their id hashes to.
  const owner = new Map<string, ShardIn>();
  for (const s of shards) {
    for (const r of s.results) {
      const id = r.submission.id;
      const belongs = shardOf(id, count);
      if (belongs !== s.shard.index) problems.push(`${s.shown} (shard ${s.shard.index}/${count}) holds ${id}, whose id belongs to shard ${belongs}/${count} (submission.id)`);
      const prev = owner.get(id);
      if (prev && prev !== s) problems.push(`${id} was graded in two shards: ${prev.shown} and ${s.shown} (submission.id)`);
      else owner.set(id, s);
    }
  }
  refuse();

  // The merged class, in id order (a class folder's discovery order).
  const results = shards.flatMap((s) => s.results).sort((a, b) => Buffer.compare(Buffer.from(a.submission.id), Buffer.from(b.submission.id)));
  const counts: Partial<Record<Verdict, number>> = {};
  for (const r of results) counts[r.verdict] = (counts[r.verdict] ?? 0) + 1;
  const indices = [...byIndex.keys()].sort((a, b) => a - b);
  const summary: BatchSummary = {
    assignment: first.summary.assignment,
    mode: first.summary.mode,
    total: shards.reduce((n, s) => n + s.summary.total, 0),
    passed: counts.PASS ?? 0,
    reused: shards.reduce((n, s) => n + (s.summary.reused ?? 0), 0),
    counts,
    points: results.reduce((n, r) => n + r.points, 0),
    maxPoints: results.reduce((n, r) => n + r.maxPoints, 0),
    // The shards ran side by side: the class took as long as the slowest.
    elapsedSec: Math.max(...shards.map((s) => s.summary.elapsedSec ?? 0)),
    interrupted: shards.some((s) => s.summary.interrupted),
    results,
    merged: { count, indices, missing },
  };

  prepareOut(out, summary);
  const resultsDir = join(out, 'results');
  mkdirSync(resultsDir, { recursive: true });
  for (const s of shards) {
    for (const r of s.results) {
      if (r.verdict === 'ABORTED') continue; // no file: left for the shard's resumed run
      copyFileSync(join(s.dir, 'results', `${r.submission.id}.json`), join(resultsDir, `${r.submission.id}.json`));
      const art = join(s.dir, 'artifacts', r.submission.id);
      if (existsSync(art) && statSync(art).isDirectory()) copyRegularTree(art, join(out, 'artifacts', r.submission.id), ARTIFACT_CAPS, `${s.shown}/artifacts/${r.submission.id}`);
    }
  }
  writeJsonAtomic(join(out, 'summary.json'), summary);
  return summary;
}

/** Reads one shard's out folder: its summary, and each result from results/ (validated). */
function readShard(raw: string): ShardIn {
  const dir = resolve(raw);
  const shown = shownPath(dir);
  const file = join(dir, 'summary.json');
  if (!existsSync(file)) throw new MergeRefused(`${shown}: no summary.json; is it the --out folder of a dlgrade grade --shard run that finished?`);
  let summary: BatchSummary;
  try {
    summary = readJson(file) as BatchSummary;
  } catch (e) {
    throw new MergeRefused((e as Error).message);
  }
  const where = shownPath(file);
  if (!summary || typeof summary !== 'object' || !summary.assignment || typeof summary.assignment.specHash !== 'string' || typeof summary.mode !== 'string' || !Array.isArray(summary.results)) {
    throw new MergeRefused(`${where}: not a dlgrade summary (needs assignment.specHash, mode and results)`);
  }
  if (summary.merged) throw new MergeRefused(`${shown} holds a merged class (merged), not a shard; merge the shards themselves`);
  const shard = summary.shard;
  if (!shard) throw new MergeRefused(`${shown} was graded without --shard (shard is missing in ${where}); grade each part with --shard i/n to merge them`);
  if (!Number.isSafeInteger(shard.index) || !Number.isSafeInteger(shard.count) || shard.count < 1 || shard.index < 0 || shard.index >= shard.count || !Number.isSafeInteger(shard.classTotal) || !shard.conditions) {
    throw new MergeRefused(`${where}: shard must be {index, count, classTotal, conditions} with 0 ≤ index < count, got ${JSON.stringify(shard).slice(0, 200)}`);
  }

  const conditions = new Map<Field, string>();
  const note = (field: Field, value: unknown, from: string) => {
    const v = canonical(value);
    const had = conditions.get(field);
    if (had === undefined) conditions.set(field, v);
    else if (had !== v) throw new MergeRefused(`${shown} mixes results graded under different ${field} (${difference(field, had, v)}, at ${from}); grade the shard again with --no-resume`);
  };
  note('assignment.id', summary.assignment.id, where);
  note('assignment.specHash', summary.assignment.specHash, where);
  note('mode', summary.mode, where);
  note('shard.count', shard.count, where);
  note('shard.classTotal', shard.classTotal, where);
  note('limits', shard.conditions.limits, where);
  note('environment.graderHash', shard.conditions.graderHash, where);
  note('dataset.drawId', shard.conditions.drawId, where);

  const results: SubmissionResult[] = [];
  for (const entry of summary.results) {
    const id = entry?.submission?.id;
    if (typeof id !== 'string' || !SAFE_ID.test(id)) throw new MergeRefused(`${where}: a result with an unusable submission.id ${JSON.stringify(id)}`);
    if (entry.verdict === 'ABORTED') { results.push(entry); continue; }
    const rfile = join(dir, 'results', `${id}.json`);
    const rshown = shownPath(rfile);
    if (!existsSync(rfile)) throw new MergeRefused(`${rshown} is missing, but ${where} lists ${id}; copy the whole out folder of the shard`);
    let r: SubmissionResult;
    try {
      r = check<SubmissionResult>(validateResult, readJson(rfile), rshown);
    } catch (e) {
      throw new MergeRefused((e as Error).message);
    }
    if (r.submission.id !== id) throw new MergeRefused(`${rshown}: submission.id is ${JSON.stringify(r.submission.id)}, not ${id}`);
    if (r.gradingKey !== entry.gradingKey) throw new MergeRefused(`${rshown} does not match ${where} (gradingKey): it was written by another run; grade the shard again`);
    note('assignment.id', r.assignment?.id, rshown);
    note('assignment.specHash', r.assignment?.specHash, rshown);
    note('mode', r.mode, rshown);
    note('limits', r.limits, rshown);
    note('environment.graderHash', r.environment?.graderHash, rshown);
    note('dataset.drawId', r.dataset?.drawId, rshown);
    note('dataset.checksum', r.dataset?.checksum, rshown);
    results.push(r);
  }
  return { dir, shown, summary, shard, results, conditions };
}

/** Makes `out` ready for the merged class: empty, or a previous merge of the same assignment and mode (replaced). */
function prepareOut(out: string, summary: BatchSummary): void {
  const shown = shownPath(out);
  try {
    refuseForeignOutDir(out, summary.assignment.id, summary.mode);
  } catch (e) {
    throw new MergeRefused((e as Error).message);
  }
  const file = join(out, 'summary.json');
  let previous: { merged?: unknown } | undefined;
  if (existsSync(file)) {
    try { previous = readJson(file) as { merged?: unknown }; } catch { /* unreadable: refused below */ }
    if (!previous?.merged) throw new MergeRefused(`${shown} holds the results of a grading run, not of a merge; merge into another --out (or remove it)`);
  } else if (existsSync(join(out, 'results')) && readdirSync(join(out, 'results')).length > 0) {
    throw new MergeRefused(`${shown}/results holds results but no summary.json; merge into another --out (or remove it)`);
  }
  // A previous merge is replaced as a whole: none of its results may outlive it.
  removeTree(join(out, 'results'));
  removeTree(join(out, 'artifacts'));
  removeTree(join(out, 'reports'));
  mkdirSync(out, { recursive: true });
}

/** JSON with sorted keys: the same object always gives the same text. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x)) ?? 'undefined';
}

/** Two values of a field, as short as tells them apart: the differing limits, hashes cut to 12 characters. */
function difference(field: Field, a: string, b: string): string {
  if (field === 'limits') {
    try {
      const x = JSON.parse(a) as Record<string, unknown>, y = JSON.parse(b) as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => canonical(x[k]) !== canonical(y[k]));
      if (keys.length) return keys.map((k) => `${k} ${canonical(x[k])} vs ${canonical(y[k])}`).join(', ');
    } catch { /* fall through */ }
  }
  const short = (s: string) => {
    const t = s.startsWith('"') ? (JSON.parse(s) as string) : s;
    return /^[0-9a-f]{40,}$/.test(t) ? t.slice(0, 12) : t.length > 80 ? `${t.slice(0, 80)}…` : t;
  };
  return `${short(a)} vs ${short(b)}`;
}
