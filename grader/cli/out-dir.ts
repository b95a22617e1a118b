// One --out folder holds the results of one assignment in one mode. Results are
// keyed by submission name only, so a second assignment (or check after grade)
// graded into the same folder would overwrite the first one's results and
// summary without a word. The CLI refuses that before anything runs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mode } from '../tasks/types.ts';
import { shownPath } from '../report/console.ts';

/** What an --out folder already holds: the assignment id and mode of its summary, or of a result in it. */
export function outDirOwner(outDir: string): { id: string; mode: string; from: string } | undefined {
  const read = (file: string): { id: string; mode: string; from: string } | undefined => {
    try {
      const j = JSON.parse(readFileSync(file, 'utf8')) as { assignment?: { id?: unknown }; mode?: unknown };
      if (typeof j?.assignment?.id === 'string' && typeof j.mode === 'string') return { id: j.assignment.id, mode: j.mode, from: file };
    } catch { /* not ours, or half written: look further */ }
    return undefined;
  };
  const summary = join(outDir, 'summary.json');
  if (existsSync(summary)) {
    const s = read(summary);
    if (s) return s;
  }
  // A run killed before its summary was written leaves results only.
  const results = join(outDir, 'results');
  let names: string[];
  try {
    names = readdirSync(results).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return undefined;
  }
  for (const n of names) {
    const r = read(join(results, n));
    if (r) return r;
  }
  return undefined;
}

/** Throws (a usage error, exit 2) when `outDir` holds the results of another assignment or mode. */
export function refuseForeignOutDir(outDir: string, id: string, mode: Mode): void {
  const owner = outDirOwner(outDir);
  if (!owner || (owner.id === id && owner.mode === mode)) return;
  throw new Error(`${shownPath(outDir)} holds results of assignment ${owner.id} (${owner.mode}), not of ${id} (${mode}); use another --out or remove it`);
}
