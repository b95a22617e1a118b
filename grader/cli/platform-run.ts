// The in-container half of `dlgrade export`: run_autograder (Gradescope) and
// the external grader's entrypoint (PrairieLearn) call this. It picks the one
// submission in the platform's submission folder, grades it with
// `dlgrade grade <assignment> <submission>` (grade mode, the bundle's secret,
// one at a time) and writes the platform's results.json with its writer.
// It always writes a results file, and exits 0 when it did: a student who
// fails gets a score, not an autograder failure.
//
//   node --import tsx grader/cli/platform-run.ts gradescope|prairielearn <config dir>
//
// <config dir> holds dlgrade.json (written by export), secret and assignments/<id>/.
// Paths, each overridable for a dry run or a test (defaults are where the platform puts things):
//   Gradescope (https://gradescope-autograders.readthedocs.io/en/latest/specs/#file-hierarchy)
//     DLGRADE_GS_SUBMISSION  /autograder/submission        the student's files
//     DLGRADE_GS_RESULTS     /autograder/results           results.json goes here
//   PrairieLearn (https://prairielearn.readthedocs.io/en/latest/externalGrading/#the-grading-process)
//     DLGRADE_PL_STUDENT     /grade/student
//     DLGRADE_PL_RESULTS     /grade/results                (created: PrairieLearn does not)
//   Both
//     DLGRADE_DATA_DIR       passed as --data-dir (another copy of the dataset's files)
//     DLGRADE_CACHE_DIR      dlgrade's dataset cache (default: <dlgrade>/.dlgrade-cache)
//     DLGRADE_WORK_DIR       where dlgrade's own results go (default: a fresh temporary folder)
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { ENTRY_NAMES } from '../grade/discover.ts';
import type { BatchSummary } from '../grade/run-batch.ts';
import { gradescopeFailure, gradescopeResults, writeGradescopeResults, type GradescopeVisibility } from '../report/gradescope.ts';
import { prairielearnFailure, prairielearnResults, writePrairieLearnResults } from '../report/prairielearn.ts';
import { REPO_ROOT } from '../spec/load.ts';

export type Platform = 'gradescope' | 'prairielearn';

/** dlgrade.json: what `dlgrade export` decided, read by this runner. */
export interface PlatformConfig {
  platform: Platform;
  /** The assignment folder, relative to the config dir. */
  assignment: string;
  assignmentId: string;
  maxPoints: number;
  /** Extra `dlgrade grade` options (e.g. --time-limit, --allow-no-network-isolation, --backend). */
  gradeArgs: string[];
  /** Gradescope: the rubric tests' visibility and stdout_visibility. */
  visibility?: GradescopeVisibility;
  stdoutVisibility?: GradescopeVisibility;
  /** The dlgrade version and grader hash the bundle was made from. */
  dlgrade: { version: string; graderHash: string };
}

const SOURCE_EXT = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

/**
 * The path to grade inside a platform's submission folder: the folder itself when it has an entry
 * file (index.ts…), its only source file, or the only folder in it (an uploaded folder). Anything
 * else (several loose files, nothing) is not one submission: the message says what to upload.
 */
export function pickSubmission(dir: string, depth = 0): { path: string } | { problem: string } {
  if (!existsSync(dir)) return { problem: `no submission folder ${dir}` };
  const names = readdirSync(dir).filter((n) => !n.startsWith('.') && n !== '__MACOSX').sort();
  if (names.some((n) => ENTRY_NAMES.includes(n) && lstatSync(join(dir, n)).isFile())) return { path: dir };
  const sources = names.filter((n) => SOURCE_EXT.has(extname(n)) && !n.endsWith('.d.ts') && lstatSync(join(dir, n)).isFile());
  const dirs = names.filter((n) => lstatSync(join(dir, n)).isDirectory() && n !== 'node_modules');
  if (sources.length === 1 && dirs.length === 0) return { path: join(dir, sources[0]!) };
  if (sources.length === 0 && dirs.length === 1 && depth < 2) return pickSubmission(join(dir, dirs[0]!), depth + 1);
  const found = names.length ? `found: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ` and ${names.length - 12} more` : ''}` : 'the upload is empty';
  return { problem: `upload one .ts or .js file, or several files with the one that exports the assignment's functions named index.ts (or ${ENTRY_NAMES.slice(1).join(', ')}); ${found}` };
}

export async function runPlatform(platform: Platform, configDir: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const t0 = performance.now();
  const log = (line: string) => process.stdout.write(`[dlgrade ${platform}] ${line}\n`);
  const config = JSON.parse(readFileSync(join(configDir, 'dlgrade.json'), 'utf8')) as PlatformConfig;
  const gs = platform === 'gradescope';
  const submissionDir = resolve(gs ? env.DLGRADE_GS_SUBMISSION ?? '/autograder/submission' : env.DLGRADE_PL_STUDENT ?? '/grade/student');
  const resultsDir = resolve(gs ? env.DLGRADE_GS_RESULTS ?? '/autograder/results' : env.DLGRADE_PL_RESULTS ?? '/grade/results');
  const resultsFile = join(resultsDir, 'results.json');
  mkdirSync(resultsDir, { recursive: true });
  const seconds = () => (performance.now() - t0) / 1000;
  const gsOpts = () => ({ visibility: config.visibility, stdoutVisibility: config.stdoutVisibility, executionTimeSec: seconds() });
  const fail = (kind: 'upload' | 'grader', message: string) => {
    log(`${kind === 'upload' ? 'not one submission' : 'GRADER FAILURE'}: ${message}`);
    if (gs) writeGradescopeResults(resultsFile, gradescopeFailure(kind, message, { ...gsOpts(), maxScore: config.maxPoints }));
    else writePrairieLearnResults(resultsFile, prairielearnFailure(kind, message));
    log(`wrote ${resultsFile}`);
    return 0;
  };

  const picked = pickSubmission(submissionDir);
  if ('problem' in picked) return fail('upload', picked.problem);
  const work = env.DLGRADE_WORK_DIR ? resolve(env.DLGRADE_WORK_DIR) : mkdtempSync(join(tmpdir(), 'dlgrade-platform-'));
  const out = join(work, 'out');
  const args = [
    join(REPO_ROOT, 'grader/cli/bin.js'), 'grade', join(configDir, config.assignment), picked.path,
    '--out', out, '--secret-file', join(configDir, 'secret'), '--concurrency', '1', '--no-resume',
    ...(env.DLGRADE_DATA_DIR ? ['--data-dir', env.DLGRADE_DATA_DIR] : []),
    ...config.gradeArgs,
  ];
  log(`dlgrade grade ${args.slice(2).join(' ')}`);
  // The grader's own output goes to this process's stdout: Gradescope's instructor-only log, PrairieLearn's job output.
  const { code, tail } = await new Promise<{ code: number; tail: string }>((done) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, CI: 'true' } });
    let tail = '';
    const keep = (d: Buffer) => { tail = (tail + d.toString('utf8')).slice(-4000); };
    child.stdout.on('data', (d: Buffer) => { process.stdout.write(d); });
    child.stderr.on('data', (d: Buffer) => { process.stdout.write(d); keep(d); });
    child.on('error', (e) => done({ code: -1, tail: e.message }));
    child.on('close', (c, sig) => done({ code: c ?? 128, tail: sig ? `${tail}\nkilled by ${sig}` : tail }));
  });
  log(`dlgrade exited with ${code}`);
  let summary: BatchSummary | undefined;
  try {
    summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as BatchSummary;
  } catch { /* no summary: the grader stopped before grading (bad assignment, no sandbox here) */ }
  const result = summary?.results.find((r) => r.verdict !== 'ABORTED');
  if (!summary || !result || summary.results.length !== 1) {
    const why = code === 3 ? 'the sandbox cannot be set up safely on this machine (see the log; the export\'s --allow-no-network-isolation is for platforms whose container has no network)' : `dlgrade exited with ${code} without a result`;
    return fail('grader', `${why}\n${tail.trim().split('\n').slice(-8).join('\n')}`);
  }
  log(`${result.submission.id}: ${result.verdict}, ${result.points}/${result.maxPoints} points${result.reason ? ` (${result.reason.split('\n')[0]})` : ''}`);
  for (const f of result.flags ?? []) log(`flagged for review (not shown to the student): ${f}`);
  if (gs) writeGradescopeResults(resultsFile, gradescopeResults(result, gsOpts()));
  else writePrairieLearnResults(resultsFile, prairielearnResults(result));
  log(`wrote ${resultsFile} in ${seconds().toFixed(1)} s`);
  return 0;
}

if (process.argv[1]?.endsWith('/grader/cli/platform-run.ts')) {
  const [platform, configDir] = process.argv.slice(2);
  if ((platform !== 'gradescope' && platform !== 'prairielearn') || !configDir) {
    process.stderr.write('usage: platform-run.ts gradescope|prairielearn <config dir>\n');
    process.exitCode = 2;
  } else {
    runPlatform(platform, resolve(configDir)).then((c) => { process.exitCode = c; }, (e: Error) => {
      process.stderr.write(`dlgrade ${platform}: ${e.stack ?? e.message}\n`);
      process.exitCode = 4; // run_autograder / run then writes its own last-resort results.json
    });
  }
}
