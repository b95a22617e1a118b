// npm run acceptance -- gradescope | prairielearn: the slow end-to-end check of `dlgrade export`
// on the real siamese-mnist assignment. Exports the bundle, lays out the platform's folders in a
// temporary directory (/autograder/{source,submission,results} or /grade/{serverFilesCourse,student,results}),
// puts the reference solution in as the student's upload, runs the exported script with this
// checkout's installed node_modules (setup.sh / the Dockerfile are not run), and checks that
// results.json follows the platform's schema and gives the reference full marks. Full MNIST: ~20 s of
// training plus the dataset cache on first use.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportGradescope, exportPrairieLearn } from '../grader/cli/export.ts';
import { gradescopeProblems } from '../grader/report/gradescope.ts';
import { prairielearnProblems } from '../grader/report/prairielearn.ts';
import { REPO_ROOT } from '../grader/spec/load.ts';

export async function acceptPlatform(platform: 'gradescope' | 'prairielearn', id = 'siamese-mnist'): Promise<boolean> {
  const tmp = mkdtempSync(join(tmpdir(), `dlgrade-accept-${platform}-`));
  const secret = join(tmp, 'secret');
  const env = { ...process.env, DLGRADE_SECRET: undefined, DLGRADE_HOME: REPO_ROOT, DLGRADE_WORK_DIR: join(tmp, 'work') };
  try {
    chmodSync(tmp, 0o755); // the sandbox's own uid reaches the job folders below it
    // A bench secret, never the instructor's.
    writeFileSync(secret, 'dlgrade-bench-secret-not-for-grading', { mode: 0o600 });
    const t0 = performance.now();
    let results: Record<string, unknown>, problems: string[], script: string;
    if (platform === 'gradescope') {
      const bundle = exportGradescope(id, { out: join(tmp, 'bundle'), secretFile: secret });
      const ag = join(tmp, 'autograder');
      cpSync(bundle.dir, join(ag, 'source'), { recursive: true });
      cpSync(join(REPO_ROOT, 'reference', id), join(ag, 'submission'), { recursive: true });
      script = join(ag, 'source', 'run_autograder');
      const r = spawnSync('bash', [script], { stdio: 'inherit', env: { ...env, DLGRADE_GS_ROOT: ag } });
      if (r.status !== 0) throw new Error(`run_autograder exited with ${r.status}`);
      results = JSON.parse(readFileSync(join(ag, 'results', 'results.json'), 'utf8'));
      problems = gradescopeProblems(results);
    } else {
      const exp = exportPrairieLearn(id, { out: join(tmp, 'export'), secretFile: secret });
      const g = join(tmp, 'grade');
      cpSync(join(exp.dir, 'serverFilesCourse'), join(g, 'serverFilesCourse'), { recursive: true });
      cpSync(join(REPO_ROOT, 'reference', id), join(g, 'student'), { recursive: true });
      script = join(g, 'serverFilesCourse', `dlgrade-${id}`, 'run');
      const r = spawnSync('bash', [script], { stdio: 'inherit', env: { ...env, DLGRADE_PL_ROOT: g } });
      if (r.status !== 0) throw new Error(`run exited with ${r.status}`);
      results = JSON.parse(readFileSync(join(g, 'results', 'results.json'), 'utf8'));
      problems = prairielearnProblems(results);
    }
    const seconds = (performance.now() - t0) / 1000;
    const full = platform === 'gradescope'
      ? (results.tests as { score: number; max_score: number }[]).every((t) => t.score === t.max_score) && (results.score as number) > 0
      : results.gradable === true && results.score === 1;
    console.log(`| ${platform} | ${id} reference | ${full ? 'full marks' : 'NOT full marks (unexpected)'} | score ${String(results.score)} | schema ${problems.length ? `INVALID: ${problems.join('; ')}` : 'valid'} | ${seconds.toFixed(1)} s (export + run) |`);
    if (!full || problems.length) console.log(JSON.stringify(results, null, 2));
    return full && problems.length === 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
