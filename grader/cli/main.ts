// dlgrade: grade TensorFlow.js deep-learning submissions in a sandbox.
import { availableParallelism } from 'node:os';
import { readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ENTRY_NAMES } from '../grade/discover.ts';
import type { BatchSummary } from '../grade/run-batch.ts';
import { consoleReporter, jsonLinesReporter, quietReporter, type CliReporter } from '../report/console.ts';
import type { ReportPaths } from '../report/write-reports.ts';
import { detectIsolation } from '../sandbox/capabilities.ts';
import { nativeAvailable } from '../backend/resolve.ts';
import { ASSIGNMENTS_DIR, defaultCacheRoot, effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT } from '../spec/load.ts';
import { defaultSecretFile, resolveSecret } from '../spec/secret.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { initSubmission } from './init.ts';
import { inShard, parseShard } from '../grade/shard.ts';
import { graderFingerprint } from '../util/fingerprint.ts';
import { refuseForeignOutDir } from './out-dir.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, environment: 3, graderError: 4, interrupted: 130 } as const;

/** A fault of the grader itself while grading (not the user's input). */
class GraderFault extends Error {}

const HELP = `dlgrade — sandboxed autograder for TensorFlow.js deep-learning assignments

Usage:
  dlgrade check <assignment> <submission>          a student's self-check on the public validation set
  dlgrade grade <assignment> <submission|folder>…  grade submissions (a folder of them is a class)
  dlgrade init <assignment> [dir]                  a student's folder: the starter as index.ts, the statement,
                                                   a tsconfig.json for type-checking (default dir ./<assignment>)
  dlgrade merge <shard-out-dir>… --out <dir>       one class from the out folders of grade --shard runs: checks they
                                                   were graded alike and cover every shard once, then writes one
                                                   summary, results/, artifacts/ and the reports (--junit, --json)
  dlgrade list                                     the assignments
  dlgrade export gradescope|prairielearn <assignment> [--out dir]
                                                   what a course platform needs to grade with dlgrade
                                                   (dlgrade export --help)
  dlgrade info                                     what this machine's sandbox can use

<assignment> is an id from assignments/ (e.g. siamese-mnist) or a path to an assignment folder.
A submission is a .ts/.js file, or a folder with an entry file; a folder is one submission. Its entry is the
first found of:
  ${ENTRY_NAMES.filter((n) => n.startsWith('index.')).join(', ')}
  ${ENTRY_NAMES.filter((n) => !n.startsWith('index.')).join(', ')}
A folder given to grade without one is a class: each source file and sub-folder in it is a submission.
A .zip is a class as a platform exports it, unpacked safely into <cache-dir>/intake/ (a bad entry is that
student's BAD_SUBMISSION; an unreadable archive is exit 2). Student ids, by platform:
  Gradescope  submission_<n>/ folders + submission_metadata.yml: the first submitter's :sid (else :email)
  Canvas      <lastfirst>_[late_]<user id>_<attachment id>_<file>: the user id; the name is <lastfirst>;
              a student's files are one submission (Canvas's -<n> resubmission suffix removed)
  Moodle      <Full Name>_<participant id>_assignsubmission_file_/: the participant id; the name is <Full Name>
  otherwise   one file or folder per student at the top (or under one wrapping folder), as for a folder
--roster overrides these. Two submissions for one student are both BAD_SUBMISSION, naming each other.
Results: <out>/results/<submission>.json, one per submission; <out>/summary.json; <out>/artifacts/<submission>/
(pictures, for assignments that render some). Every run ends with the paths it wrote. One --out holds one
assignment in one mode.

Options:
  --out <dir>             where results go (default results/<assignment> or results/check-<assignment>)
  --junit <file>          also write JUnit XML
  --json <file|->         also write the summary as JSON ('-' prints JSON lines events on stdout instead of text)
  --concurrency <n>       submissions graded side by side (default ${Math.max(1, Math.min(2, availableParallelism()))})
  --time-limit <s>        wall clock per submission (default from the assignment / limits.json)
  --memory-limit <MiB>    memory per submission (likewise); raising either needs --force
  --force                 allow limits above the assignment's
  --no-resume             grade everything again, ignoring earlier results in --out
  --shard <i/n>           grade only shard i of n (0-based: 0/3, 1/3, 2/3): the submissions whose id hashes to i
                          mod n, so a student's shard never depends on the rest of the class; recorded in the
                          summary; put the shards together with dlgrade merge
  --allow-partial         merge: merge even when a shard is missing or was interrupted (the summary says which)
  --backend <name>        auto (default), wasm, cpu or tensorflow (needs --allow-native)
  --allow-native          allow @tensorflow/tfjs-node's native addon (weakens the sandbox)
  --data-dir <dir>        folder with the dataset's IDX files (default: the packaged copy)
  --weights <path|url>    another pretrained base for assignments that use one (cached; default: the bundled one)
  --cache-dir <dir>       dataset cache and job folders (default $DLGRADE_CACHE_DIR or .dlgrade-cache)
  --roster <file.csv>     who each submission is: columns submission,student_id[,name,email] (header line
                          required); submission is a platform id or name, an archive name, or a file/folder
                          name; results record student {id, name, email}
  --secret-file <path>    grade: the instructor's secret that seeds every graded draw (held-out points, splits,
                          pairs); default $DLGRADE_SECRET, else ${defaultSecretFile()} (created on first use).
                          Grades can only be reproduced with the same secret; check never uses it
  --allow-no-network-isolation   grade even where no network namespace can be made (unsafe)
  --keep-job-dirs         keep each submission's job folder for debugging
  -q, --quiet             print only the summary line
  -h, --help              this help
  -v, --version

Exit codes: 0 every submission passed; 1 some submission did not pass; 2 bad usage or bad assignment/limits
file; 3 the sandbox cannot be set up safely here; 4 the grader itself failed (some results are GRADER_ERROR);
130 interrupted (run again to resume); 128+n the grader was killed by signal n.
Verdicts: PASS, FAIL (a rubric threshold missed), TIME_LIMIT, MEMORY_LIMIT, CRASH (threw or died),
BAD_SUBMISSION (does not compile/load, wrong exports, batch size over the limit), BAD_OUTPUT (wrong
shape, NaN, far too large), TAMPERED (forged the grader's messages; flagged for review), GRADER_ERROR
(the grader failed on this submission: not the student's fault). Every result records the backend,
versions, seed, dataset checksum, time and peak memory.
`;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  // export has its own options (grader/cli/export.ts): dispatched before the grading options are parsed.
  if (argv[0] === 'export') return (await import('./export.ts')).exportMain(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' }, junit: { type: 'string' }, json: { type: 'string' },
        concurrency: { type: 'string' }, 'time-limit': { type: 'string' }, 'memory-limit': { type: 'string' },
        force: { type: 'boolean' }, 'no-resume': { type: 'boolean' }, backend: { type: 'string' },
        'allow-native': { type: 'boolean' }, 'data-dir': { type: 'string' }, 'cache-dir': { type: 'string' }, weights: { type: 'string' }, 'secret-file': { type: 'string' }, roster: { type: 'string' },
        'allow-no-network-isolation': { type: 'boolean' }, 'keep-job-dirs': { type: 'boolean' },
        shard: { type: 'string' }, 'allow-partial': { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    process.stderr.write(`dlgrade: ${(e as Error).message}\nRun dlgrade --help for usage.\n`);
    return EXIT.usage;
  }
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (v.version) { process.stdout.write(`${(await import('../../package.json', { with: { type: 'json' } })).default.version}\n`); return EXIT.ok; }
  if (v.help || !command) { process.stdout.write(HELP); return command || v.help ? EXIT.ok : EXIT.usage; }
  try {
    switch (command) {
      case 'list': return listAssignments();
      case 'init': {
        if (rest.length < 1 || rest.length > 2) throw new UsageError('init needs an assignment and at most one folder: dlgrade init <assignment> [dir]');
        process.stdout.write(initSubmission(rest[0]!, rest[1]));
        return EXIT.ok;
      }
      case 'info': process.stdout.write(JSON.stringify(detectIsolation(), null, 2) + '\n'); return EXIT.ok;
      case 'grade':
      case 'check': return await grade(command, rest, v);
      case 'merge': return await (await import('./merge.ts')).merge(rest, v); // loaded when needed: --help, init and usage errors start in a fraction of the time
      default: throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof GraderFault) {
      process.stderr.write(`dlgrade: internal error while grading: ${(e.cause as Error)?.stack ?? e.message}\n`);
      return EXIT.graderError;
    }
    process.stderr.write(`dlgrade: ${(e as Error).message}\n`);
    if (e instanceof UsageError) process.stderr.write('Run dlgrade --help for usage.\n');
    return EXIT.usage;
  }
}

function listAssignments(): number {
  for (const id of readdirSync(ASSIGNMENTS_DIR).sort()) {
    if (!existsSync(join(ASSIGNMENTS_DIR, id, 'assignment.json'))) continue;
    const a = loadAssignment(id);
    process.stdout.write(`${id.padEnd(24)} ${a.spec.title}  (${a.spec.source})\n`);
  }
  return EXIT.ok;
}

function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

async function grade(mode: 'grade' | 'check', args: string[], v: Record<string, string | boolean | undefined>): Promise<number> {
  const [assignmentRef, ...subs] = args;
  if (!assignmentRef || subs.length === 0) throw new UsageError(`${mode} needs an assignment and ${mode === 'check' ? 'a submission' : 'at least one submission'}`);
  if (mode === 'check' && subs.length > 1) throw new UsageError('check takes one submission');
  if (mode === 'check' && v.shard !== undefined) throw new UsageError('--shard is for grade (a class); check takes one submission');
  let shard;
  try {
    shard = v.shard === undefined ? undefined : parseShard(v.shard as string);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const assignment = loadAssignment(assignmentRef);
  const limits = effectiveLimits(loadDefaultLimits(), assignment, {
    timeLimitSec: positiveInt('time-limit', v['time-limit'] as string | undefined),
    memoryLimitMiB: positiveInt('memory-limit', v['memory-limit'] as string | undefined),
    force: !!v.force,
  });
  const backend = (v.backend as string | undefined) ?? 'auto';
  if (!['auto', 'wasm', 'cpu', 'tensorflow'].includes(backend)) throw new UsageError(`--backend must be auto, wasm, cpu or tensorflow, got "${backend}"`);
  if (backend === 'tensorflow' && !v['allow-native']) throw new UsageError('--backend tensorflow needs --allow-native (the native addon runs outside Node\'s permission model)');
  if (backend === 'tensorflow' && !nativeAvailable()) throw new UsageError('--backend tensorflow: @tensorflow/tfjs-node is not installed here (its install downloads libtensorflow); use --backend wasm');
  const concurrency = positiveInt('concurrency', v.concurrency as string | undefined) ?? Math.max(1, Math.min(2, availableParallelism()));
  if (!Number.isInteger(concurrency)) throw new UsageError(`--concurrency must be a whole number of submissions, got "${v.concurrency as string}"`);
  const isolation = detectIsolation();
  if (isolation.network === 'none' && !v['allow-no-network-isolation']) {
    process.stderr.write(`dlgrade: cannot isolate submissions from the network on this machine (${isolation.notes.join('; ')}).\n` +
      'Refusing to run untrusted code with network access; pass --allow-no-network-isolation to grade anyway.\n');
    return EXIT.environment;
  }
  if (mode === 'check' && v['secret-file'] !== undefined) throw new UsageError('--secret-file is for grade; check draws from the public seed');
  // grade only, and never silently: the secret's own errors (too short, world-readable, missing file) are exit 2.
  const secret = mode === 'grade' ? resolveSecret({
    secretFile: v['secret-file'] as string | undefined,
    forbiddenDirs: [REPO_ROOT, resolve((v['cache-dir'] as string | undefined) ?? defaultCacheRoot())],
  }) : undefined;
  const [{ readRoster }, { intakeSubmissions }, { runBatch }, { writeReports }] = await Promise.all([
    import('../grade/roster.ts'), import('../grade/intake.ts'), import('../grade/run-batch.ts'), import('../report/write-reports.ts'),
  ]);
  const roster = v.roster !== undefined ? readRoster(v.roster as string) : undefined;
  const discovered = await intakeSubmissions(subs, { single: mode === 'check', cacheRoot: resolve((v['cache-dir'] as string | undefined) ?? defaultCacheRoot()), roster });
  if (discovered.length === 0) throw new UsageError(`no submissions found in ${subs.join(', ')}`);
  // --shard: this machine's slice of the class (possibly none of it: an empty shard still writes its summary).
  const submissions = shard ? inShard(discovered, shard) : discovered;
  if (shard && !v.quiet && v.json !== '-') process.stderr.write(`shard ${shard.index}/${shard.count}: ${submissions.length} of the class's ${discovered.length} submissions\n`);
  const outDir = resolve((v.out as string | undefined) ?? join('results', mode === 'check' ? `check-${assignment.spec.id}` : assignment.spec.id));
  // Results are named after submissions only: another assignment's (or mode's) would be overwritten.
  refuseForeignOutDir(outDir, assignment.spec.id, mode);
  const jsonOut = v.json as string | undefined;
  const shown: CliReporter = jsonOut === '-' ? jsonLinesReporter() : v.quiet ? quietReporter() : consoleReporter();
  let begun = false;
  const reporter: typeof shown = { ...shown, begin: (info) => { begun = true; shown.begin(info); } };

  const ac = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) { process.stderr.write('\ndlgrade: stopping; finished results are kept (Ctrl-C again to kill at once)\n'); ac.abort(); }
    else process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // Started by bin.js: if that wrapper is killed outright, stop as if interrupted.
  const parent = Number(process.env.DLGRADE_PARENT_PID);
  const orphanWatch = parent ? setInterval(() => { if (process.ppid !== parent && !ac.signal.aborted) { interrupts++; ac.abort(); } }, 500).unref() : undefined;
  let summary: BatchSummary;
  try {
    summary = await runBatch({
      assignment, submissions, mode, outDir, concurrency, limits,
      cacheRoot: resolve((v['cache-dir'] as string | undefined) ?? defaultCacheRoot()),
      dataDir: v['data-dir'] as string | undefined,
      weights: v.weights as string | undefined,
      secret,
      backend: backend as 'auto', allowNative: !!v['allow-native'], isolation,
      resume: !v['no-resume'], keepJobDirs: !!v['keep-job-dirs'], reporter, signal: ac.signal,
      ...(shard ? { shard: { ...shard, classTotal: discovered.length, conditions: { limits, drawId: secret?.id ?? 'public', graderHash: graderFingerprint() } } } : {}),
    });
  } catch (e) {
    // Before grading begins, problems are the assignment's or the data's (exit 2); after, the grader's.
    if (!begun) throw e;
    throw new GraderFault((e as Error).message, { cause: e });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    if (orphanWatch) clearInterval(orphanWatch);
  }
  const junit = v.junit ? resolve(v.junit as string) : undefined;
  const json = jsonOut && jsonOut !== '-' ? resolve(jsonOut) : undefined;
  // summary.json, gradebook.csv, report.html, reports/<submission>.html, and --junit/--json when given.
  let reports: ReportPaths;
  try { reports = await writeReports(summary, outDir, { junit, json }); } catch (e) { throw new GraderFault(`writing the reports: ${(e as Error).message}`, { cause: e }); }
  for (const p of reports.problems) process.stderr.write(`dlgrade: report page not drawn in full: ${p}\n`);
  if (v.quiet) process.stderr.write(`${summary.passed}/${summary.total} passed\n`);
  // Last: where everything went (the layout of --out is in --help and the README).
  const artifacts = join(outDir, 'artifacts');
  shown.written({
    out: outDir,
    results: join(outDir, 'results'),
    resultFiles: summary.results.filter((r) => r.verdict !== 'ABORTED').length,
    summary: join(outDir, 'summary.json'),
    gradebook: reports.gradebook, html: reports.html, reports: reports.reports, reportFiles: reports.reportFiles,
    ...(junit ? { junit } : {}),
    ...(json ? { json } : {}),
    ...(existsSync(artifacts) && readdirSync(artifacts).length > 0 ? { artifacts } : {}),
  });
  if (summary.interrupted) return EXIT.interrupted;
  if (summary.counts.GRADER_ERROR) return EXIT.graderError;
  return summary.passed === summary.total ? EXIT.ok : EXIT.failed;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/grader/cli/main.ts')) {
  // A reader that goes away (`dlgrade list | head`) must not crash a run with a stack trace: results go to files anyway.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e; });
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
