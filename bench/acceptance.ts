// npm run acceptance [assignment-id ...]: grades every assignment's reference
// solution and its weak examples (examples/<id>/) on the full data, the way an
// instructor would, and prints metric, seconds and peak MiB for each. Exits 1
// when a reference fails its own rubric, a weak example passes, or an
// assignment cannot be graded here (a missing dataset, say).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { grade } from './harness.ts';
import { REPO_ROOT } from '../grader/spec/load.ts';

// npm run acceptance -- gradescope|prairielearn: the exported course-platform graders, end to end (bench/acceptance-platforms.ts).
const platformArg = process.argv[2];
if (platformArg === 'gradescope' || platformArg === 'prairielearn') {
  const { acceptPlatform } = await import('./acceptance-platforms.ts');
  process.exit((await acceptPlatform(platformArg, process.argv[3])) ? 0 : 1);
}

const all = readdirSync(join(REPO_ROOT, 'reference')).filter((d) => existsSync(join(REPO_ROOT, 'assignments', d, 'assignment.json'))).sort();
const ids = process.argv.slice(2).length ? process.argv.slice(2) : all;
const f = (x: number, d = 2) => x.toFixed(d);
let bad = 0;

// seconds: the submission's process; harness: the grader's own time around it (compile, verify stage, scoring).
console.log('| assignment | submission | verdict | metrics | seconds | harness s | peak MiB | backend |\n|---|---|---|---|---|---|---|---|');
for (const id of ids) {
  const weakDir = join(REPO_ROOT, 'examples', id);
  const subs = [join(REPO_ROOT, 'reference', id), ...(existsSync(weakDir) ? readdirSync(weakDir).filter((f) => /\.(ts|js)$/.test(f)).map((f) => join(weakDir, f)) : [])];
  let s: Awaited<ReturnType<typeof grade>>;
  try {
    s = await grade(subs, 2, id);
  } catch (e) { // e.g. a dataset this machine lacks: say so and grade the other assignments
    bad++;
    console.log(`| ${id} | (all) | NOT GRADED | ${(e as Error).message.split('\n')[0]} | | | | |`);
    continue;
  }
  for (const r of s.results) {
    const isRef = r.submission.path === subs[0];
    const passed = r.verdict === 'PASS';
    if (isRef !== passed) bad++;
    const metrics = Object.entries(r.metrics).map(([k, v]) => `${k} ${f(v, 4)}`).join(', ');
    console.log(`| ${id} | ${isRef ? 'reference' : r.submission.id} | ${r.verdict}${isRef === passed ? '' : ' (unexpected)'} | ${metrics || (r.reason ?? '').split('\n')[0]} | ${f(r.usage.elapsedSec, 1)} | ${f(r.usage.harnessSec, 1)} | ${r.usage.peakMiB} | ${r.environment.backend?.name ?? '?'} |`);
  }
}
process.exit(bad ? 1 : 0);
