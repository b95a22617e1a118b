// dlgrade export gradescope|prairielearn <assignment>: what an instructor uploads to a course
// platform so that it grades with dlgrade. The platform runs grader/cli/platform-run.ts, which
// runs `dlgrade grade` on the one submission and writes results.json with the platform's writer
// (grader/report/gradescope.ts, grader/report/prairielearn.ts).
//
// Both exports carry: a copy of this grader (package.json, package-lock.json, limits.json,
// tsconfig.json, grader/; no node_modules: the platform installs them with `npm ci`), the
// assignment folder, dlgrade.json (what this export decided) and the grading secret as `secret`
// (mode 0600). The secret is the instructor's (--secret-file, $DLGRADE_SECRET or
// ~/.config/dlgrade/secret, as for grade), so a platform's grades equal local ones; whoever holds
// the bundle holds the secret: keep it private (Gradescope shows the autograder zip to course
// staff only; PrairieLearn's serverFilesCourse is never served to students). The student's code
// never sees it: it runs in dlgrade's sandbox, which mounts neither the bundle nor the secret.
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { zipSync, type Zippable } from 'fflate';
import { effectiveLimits, loadAssignment, loadDefaultLimits, REPO_ROOT, defaultCacheRoot } from '../spec/load.ts';
import { resolveSecret } from '../spec/secret.ts';
import { graderFingerprint } from '../util/fingerprint.ts';
import { wallLimitSec, WALL_CLOCK_FACTOR } from '../sandbox/cpu-time.ts';

/** PrairieLearn ends an external grading job after this long; dlgrade leaves a minute for start-up and writing. */
const PL_JOB_SEC = 600;
/** The largest time limit whose wall-clock backstop, plus that minute, fits a PrairieLearn job: 270 s. */
const PL_MAX_TIME_LIMIT_SEC = Math.floor((PL_JOB_SEC - 60) / WALL_CLOCK_FACTOR);
import { GRADESCOPE_VISIBILITIES, type GradescopeVisibility } from '../report/gradescope.ts';
import type { Platform, PlatformConfig } from './platform-run.ts';

export const EXPORT_HELP = `dlgrade export — what a course platform needs to grade an assignment with dlgrade

Usage:
  dlgrade export gradescope <assignment> [--out dir]     an autograder bundle: folder + .zip to upload
  dlgrade export prairielearn <assignment> [--out dir]   a grading image, the external grader's files, a question

Options:
  --out <dir>                  where (default ./gradescope-<assignment> or ./prairielearn-<assignment>)
  --secret-file <path>         the grading secret to bundle (default $DLGRADE_SECRET, else ~/.config/dlgrade/secret)
  --time-limit <s>             tighten the assignment's time limit on the platform (PrairieLearn: at most 270 s,
                               so that the wall-clock backstop, twice it, fits PrairieLearn's 600 s job timeout)
  --backend <name>             wasm (default: auto) or cpu
  --allow-no-network-isolation grade even where the container cannot make a network namespace (default for
                               PrairieLearn, whose grading containers have no network; see the README)
  --visibility <v>             Gradescope: rubric tests visible (default), after_due_date, after_published or hidden
  --stdout-visibility <v>      Gradescope: who sees the run's log (default hidden: instructors only)
  --no-zip                     Gradescope: write the folder only
  --image <name>               PrairieLearn: the Docker image name for info.json (default dlgrade/<assignment>)
`;

/** What goes into the bundle's copy of dlgrade (relative to the repository): what `npm ci` and the grader need. */
const GRADER_FILES = ['package.json', 'package-lock.json', 'limits.json', 'tsconfig.json', 'README.md', 'grader'];

export interface ExportOptions {
  out?: string;
  secretFile?: string;
  timeLimitSec?: number;
  backend?: string;
  allowNoNetworkIsolation?: boolean;
  visibility?: GradescopeVisibility;
  stdoutVisibility?: GradescopeVisibility;
  zip?: boolean;
  image?: string;
}

export interface ExportReport { dir: string; zip?: string; files: string[]; notes: string[] }

class ExportUsage extends Error {}

export async function exportMain(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        out: { type: 'string' }, 'secret-file': { type: 'string' }, 'time-limit': { type: 'string' }, backend: { type: 'string' },
        'allow-no-network-isolation': { type: 'boolean' }, visibility: { type: 'string' }, 'stdout-visibility': { type: 'string' },
        'no-zip': { type: 'boolean' }, image: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`dlgrade export: ${(e as Error).message}\n${EXPORT_HELP}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) { process.stdout.write(EXPORT_HELP); return 0; }
  const [platform, assignment, ...extra] = positionals;
  try {
    if ((platform !== 'gradescope' && platform !== 'prairielearn') || !assignment || extra.length) throw new ExportUsage('export needs a platform (gradescope or prairielearn) and an assignment');
    const vis = (name: string, x: string | undefined) => {
      if (x !== undefined && !GRADESCOPE_VISIBILITIES.includes(x as GradescopeVisibility)) throw new ExportUsage(`--${name} must be one of ${GRADESCOPE_VISIBILITIES.join(', ')}, got "${x}"`);
      return x as GradescopeVisibility | undefined;
    };
    const t = v['time-limit'] === undefined ? undefined : Number(v['time-limit']);
    if (t !== undefined && !(t > 0)) throw new ExportUsage(`--time-limit must be a positive number, got "${v['time-limit']}"`);
    if (v.backend !== undefined && !['auto', 'wasm', 'cpu'].includes(v.backend)) throw new ExportUsage(`--backend must be auto, wasm or cpu, got "${v.backend}"`);
    const o: ExportOptions = {
      out: v.out, secretFile: v['secret-file'], timeLimitSec: t, backend: v.backend,
      allowNoNetworkIsolation: v['allow-no-network-isolation'], visibility: vis('visibility', v.visibility),
      stdoutVisibility: vis('stdout-visibility', v['stdout-visibility']), zip: !v['no-zip'], image: v.image,
    };
    const report = platform === 'gradescope' ? exportGradescope(assignment, o) : exportPrairieLearn(assignment, o);
    process.stdout.write(`wrote ${report.dir}${report.zip ? `\n  and ${report.zip} (upload this to Gradescope)` : ''}\n${report.notes.map((n) => `  ${n}\n`).join('')}  instructions: ${join(report.dir, 'README.md')}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`dlgrade export: ${(e as Error).message}\n`);
    if (e instanceof ExportUsage) process.stderr.write('Run dlgrade export --help for usage.\n');
    return 2;
  }
}

/** The parts both platforms share: grader copy, assignment, secret, dlgrade.json. Returns the config. */
function writeCommon(platform: Platform, assignmentRef: string, configDir: string, graderDir: string, o: ExportOptions): { config: PlatformConfig; timeLimitSec: number } {
  const a = loadAssignment(assignmentRef);
  // The same checks grade makes (a limit above the assignment's needs --force there: not offered here).
  const limits = effectiveLimits(loadDefaultLimits(), a, { timeLimitSec: o.timeLimitSec, force: false });
  const secret = resolveSecret({ secretFile: o.secretFile, forbiddenDirs: [REPO_ROOT, resolve(defaultCacheRoot())] });
  copyGrader(graderDir);
  const assignmentDir = join(configDir, 'assignments', a.spec.id);
  mkdirSync(assignmentDir, { recursive: true });
  cpSync(a.dir, assignmentDir, { recursive: true, filter: (src) => !lstatSync(src).isSymbolicLink() });
  writeFileSync(join(configDir, 'secret'), secret.key, { mode: 0o600 });
  chmodSync(join(configDir, 'secret'), 0o600);
  const gradeArgs = [
    ...(o.timeLimitSec !== undefined ? ['--time-limit', String(limits.timeLimitSec)] : []),
    ...(o.backend ? ['--backend', o.backend] : []),
    ...(o.allowNoNetworkIsolation ? ['--allow-no-network-isolation'] : []),
  ];
  const config: PlatformConfig = {
    platform, assignment: `assignments/${a.spec.id}`, assignmentId: a.spec.id,
    maxPoints: a.spec.rubric.reduce((s, r) => s + r.points, 0), gradeArgs,
    ...(o.visibility ? { visibility: o.visibility } : {}), ...(o.stdoutVisibility ? { stdoutVisibility: o.stdoutVisibility } : {}),
    dlgrade: { version: pkgVersion(), graderHash: graderFingerprint() },
  };
  writeFileSync(join(configDir, 'dlgrade.json'), JSON.stringify(config, null, 2) + '\n');
  return { config, timeLimitSec: limits.timeLimitSec };
}

function copyGrader(dest: string): void {
  mkdirSync(dest, { recursive: true });
  for (const f of GRADER_FILES) {
    const src = join(REPO_ROOT, f);
    if (existsSync(src)) cpSync(src, join(dest, f), { recursive: true, filter: (s) => !lstatSync(s).isSymbolicLink() });
  }
}

function pkgVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function prepareOut(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    // Only an earlier export is replaced: anything else in the way is the user's.
    if (!existsSync(join(dir, 'README.md')) || !/^# dlgrade (Gradescope autograder|PrairieLearn external grader)/.test(readFileSync(join(dir, 'README.md'), 'utf8'))) {
      throw new Error(`${dir} exists and is not an earlier dlgrade export; use another --out or remove it`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p); else if (e.isFile()) out.push(p);
    }
  };
  walk('');
  return out.sort();
}

/** Gradescope wants the files at the root of the zip, not a folder (specs, "Note: When you are zipping…"). Unix modes are kept. */
function zipFolder(dir: string, zipPath: string): void {
  const entries: Zippable = {};
  for (const rel of filesUnder(dir)) {
    const mode = statSync(join(dir, rel)).mode & 0o777;
    // attrs: the external attributes; a Unix mode sits in the high 16 bits (os 3 = Unix).
    entries[rel] = [readFileSync(join(dir, rel)), { os: 3, attrs: ((0o100000 | mode) << 16) >>> 0, level: 6 }];
  }
  writeFileSync(zipPath, zipSync(entries));
}

export function exportGradescope(assignmentRef: string, o: ExportOptions = {}): ExportReport {
  const id = loadAssignment(assignmentRef).spec.id;
  const dir = resolve(o.out ?? `gradescope-${id}`);
  prepareOut(dir);
  const { config, timeLimitSec } = writeCommon('gradescope', assignmentRef, dir, join(dir, 'dlgrade'), o);
  writeFileSync(join(dir, 'NODE_VERSION'), `${process.versions.node}\n`);
  writeFileSync(join(dir, 'setup.sh'), gradescopeSetup(config), { mode: 0o755 });
  writeFileSync(join(dir, 'run_autograder'), gradescopeRun(), { mode: 0o755 });
  writeFileSync(join(dir, 'README.md'), gradescopeReadme(config, timeLimitSec, o));
  const zip = o.zip === false ? undefined : `${dir}.zip`;
  if (zip) zipFolder(dir, zip);
  const notes = [`the bundle holds your grading secret (id ${secretIdOf(dir)}): keep the folder and the zip private`];
  if (!o.allowNoNetworkIsolation) notes.push('Gradescope containers have network access; if the sandbox cannot make a network namespace there, results say so (see README)');
  return { dir, zip, files: filesUnder(dir), notes };
}

function secretIdOf(configDir: string): string {
  return resolveSecret({ secretFile: join(configDir, 'secret') }).id;
}

function gradescopeSetup(c: PlatformConfig): string {
  return `#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image; the zip's contents
# are in /autograder/source (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
# Written by dlgrade export for ${c.assignmentId}.
set -euo pipefail
SOURCE="\${DLGRADE_GS_SOURCE:-/autograder/source}"
NODE_VERSION="$(tr -d '[:space:]' < "$SOURCE/NODE_VERSION")"   # the Node the bundle was exported with

# bubblewrap: dlgrade's filesystem sandbox; util-linux: setpriv, unshare; xz-utils: the Node tarball.
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl xz-utils bubblewrap util-linux

# Node >= 20. Ubuntu's own nodejs is too old on Gradescope's base images (12 on 22.04, 18 on 24.04), so
# it is used only when it is recent enough; otherwise the official build from nodejs.org, checked against
# the release's SHASUMS256.txt. An offline alternative: put node-v$NODE_VERSION-linux-<arch>.tar.xz into
# the bundle next to this script and it is used instead of the download.
node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' || echo 0; }
CANDIDATE="$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}')"; CANDIDATE="\${CANDIDATE#*:}"
if [ "$(node_major)" -lt 20 ] && [ "\${CANDIDATE%%.*}" -ge 20 ] 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm
fi
if [ "$(node_major)" -lt 20 ]; then
  case "$(dpkg --print-architecture)" in amd64) ARCH=x64 ;; arm64) ARCH=arm64 ;; *) echo "unsupported architecture" >&2; exit 1 ;; esac
  TARBALL="node-v$NODE_VERSION-linux-$ARCH.tar.xz"
  cd /tmp
  if [ -f "$SOURCE/$TARBALL" ]; then cp "$SOURCE/$TARBALL" .; else
    curl -fsSLO "https://nodejs.org/dist/v$NODE_VERSION/$TARBALL"
    curl -fsSLO "https://nodejs.org/dist/v$NODE_VERSION/SHASUMS256.txt"
    grep " $TARBALL\\$" SHASUMS256.txt | sha256sum -c -
  fi
  tar -xJf "$TARBALL" -C /usr/local --strip-components=1 --no-same-owner
  hash -r
fi
node --version

# dlgrade and its locked dependencies (tsx runs its TypeScript; no build step).
cd "$SOURCE/dlgrade"
npm ci --omit=dev --no-audit --no-fund
# The sandbox runs each submission as its own unprivileged uid: it must read the TF.js packages.
chmod -R a+rX "$SOURCE/dlgrade" "$SOURCE/assignments"
chown root:root "$SOURCE/secret"
chmod 600 "$SOURCE/secret"

# What the sandbox can use in this image (printed into the build log), then a self-check of the
# starter: it proves the sandbox runs here and fills the dataset cache, so that every submission
# does not parse the dataset again. Its verdict does not matter.
node grader/cli/bin.js info || true
node grader/cli/bin.js check "$SOURCE/${c.assignment}" "$SOURCE/${c.assignment}/starter.ts" --out /tmp/dlgrade-warmup -q ${c.gradeArgs.join(' ')} || true
rm -rf /tmp/dlgrade-warmup
`;
}

/**
 * The end both platforms' run scripts share: the secret private, no stale results, the grader run, and a
 * results.json in the platform's own format even when the grader could not start (no Node, a broken install).
 * configVar/resultsVar: names of the shell variables holding the bundle's folder and the results folder.
 */
function runPlatformTail(platform: Platform, configVar: string, resultsVar: string, fallbackWhy: string, fallbackJson: string): string {
  return `NODE="\${DLGRADE_NODE:-node}"
chmod 600 "$${configVar}/secret" 2>/dev/null
mkdir -p "$${resultsVar}"
rm -f "$${resultsVar}/results.json"
cd "$DLGRADE_HOME" && "$NODE" --import tsx grader/cli/platform-run.ts ${platform} "$${configVar}"
code=$?
if [ ! -s "$${resultsVar}/results.json" ]; then
  # ${fallbackWhy}
  printf '%s\\n' '${fallbackJson}' > "$${resultsVar}/results.json"
fi
exit 0
`;
}

function gradescopeRun(): string {
  return `#!/usr/bin/env bash
# Gradescope runs this once per submission, as root, in /autograder: it grades /autograder/submission
# with \`dlgrade grade\` and writes /autograder/results/results.json. It exits 0 whenever results.json
# was written, a failing student included. The grader's log goes to stdout, which Gradescope shows to
# instructors only (unless you export with --stdout-visibility).
#
# Every path can be overridden, to try the autograder on your own machine or in a test:
#   DLGRADE_GS_ROOT        /autograder                     the folder Gradescope lays out
#   DLGRADE_GS_SOURCE      $DLGRADE_GS_ROOT/source         this bundle, unzipped
#   DLGRADE_GS_SUBMISSION  $DLGRADE_GS_ROOT/submission     the student's files
#   DLGRADE_GS_RESULTS     $DLGRADE_GS_ROOT/results        where results.json goes
#   DLGRADE_HOME           $DLGRADE_GS_SOURCE/dlgrade      the dlgrade to run (its node_modules installed)
#   DLGRADE_NODE           node
#   DLGRADE_DATA_DIR       another copy of the dataset's files (--data-dir)
#   DLGRADE_CACHE_DIR, DLGRADE_WORK_DIR   dlgrade's dataset cache, and where its own results go
ROOT="\${DLGRADE_GS_ROOT:-/autograder}"
export DLGRADE_GS_SOURCE="\${DLGRADE_GS_SOURCE:-$ROOT/source}"
export DLGRADE_GS_SUBMISSION="\${DLGRADE_GS_SUBMISSION:-$ROOT/submission}"
export DLGRADE_GS_RESULTS="\${DLGRADE_GS_RESULTS:-$ROOT/results}"
DLGRADE_HOME="\${DLGRADE_HOME:-$DLGRADE_GS_SOURCE/dlgrade}"
${runPlatformTail('gradescope', 'DLGRADE_GS_SOURCE', 'DLGRADE_GS_RESULTS', 'Last resort (no Node, a broken install): still a valid results.json, so the student sees why.',
  '{"score": 0, "output": "The autograder could not start (exit code \'"$code"\'). This is not your fault: your instructor can see why in the autograder log and will regrade your submission.", "output_format": "text", "stdout_visibility": "hidden"}')}`;
}

function gradescopeReadme(c: PlatformConfig, timeLimitSec: number, o: ExportOptions): string {
  return `# dlgrade Gradescope autograder: ${c.assignmentId}

Written by \`dlgrade export gradescope\` (dlgrade ${c.dlgrade.version}). Upload **\`${basename(o.out ?? `gradescope-${c.assignmentId}`)}.zip\`**
(this folder's files at the zip's root, as Gradescope requires) on the assignment's *Configure Autograder*
page, with the default Ubuntu base image. Give the assignment ${c.maxPoints} autograder points (the rubric's
total) and an autograder timeout above twice the time limit plus a minute (${wallLimitSec(timeLimitSec) + 60} s).

| file | what |
|---|---|
| \`setup.sh\` | run once by Gradescope at build time: installs bubblewrap, Node ≥ 20 (Ubuntu's if recent enough, else the official build from nodejs.org, checksum-verified; or a \`node-v…-linux-x64.tar.xz\` you add to the bundle), then \`npm ci\` in \`dlgrade/\`, and warms the dataset cache |
| \`run_autograder\` | run per submission: grades \`/autograder/submission\` with \`dlgrade grade ${c.assignment} <submission> --secret-file secret …\` and writes \`/autograder/results/results.json\`; exits 0 even when the student fails |
| \`dlgrade/\` | the grader, copied from the checkout that exported this (no \`node_modules\`) |
| \`${c.assignment}/\` | the assignment: rubric, statement, starter |
| \`dlgrade.json\` | what this export decided (extra grade options: ${c.gradeArgs.length ? c.gradeArgs.join(' ') : 'none'}) |
| \`secret\` | **your grading secret** (mode 0600; setup.sh makes it root's). Grades here equal \`dlgrade grade\` on your machine with the same secret. Whoever has this zip has the secret: Gradescope shows autograder files to course staff only; do not share the zip. Student code never reads it: it runs in dlgrade's sandbox, which does not mount /autograder/source. |
| \`NODE_VERSION\` | the Node version setup.sh installs when Ubuntu's is too old |

**What students see.** One test per rubric item, named \`Title (metric op threshold)\`, with the
measured value against the threshold (the same numbers \`dlgrade check\` shows them)${c.visibility ? `, visibility \`${c.visibility}\`` : ', visible'}; the
verdict, its reason and warnings at the top. A crash shows the last lines their program printed.
The run's log (stdout) is ${c.stdoutVisibility ? `\`${c.stdoutVisibility}\`` : 'hidden'} for students: it holds review flags (an implausibly high
score) and the grader's details. Review flags and the submission's hash, grading key and secret id are
also stored in results.json's \`extra_data\`.

**Which files.** Students upload one \`.ts\`/\`.js\` file, or several with the entry named \`index.ts\`
(or \`main.ts\`, \`.js\`…). Anything else gets score 0 and a message saying what to upload.

**The sandbox on Gradescope.** dlgrade isolates each submission (bubblewrap, namespaces, cgroups, its own
uid). Gradescope's containers have network access; where the container does not let dlgrade make a
network namespace, grading stops with a results.json saying so (score 0, "not your fault") and the log
says why. Re-export with \`--allow-no-network-isolation\` only if you accept that student code could reach
the network there. If the grader itself fails, the student gets score 0 with "not your fault"; regrade
from Gradescope after a fix.

**Try it locally** (as Gradescope lays it out):

\`\`\`sh
mkdir -p /tmp/ag/submission /tmp/ag/results && cp -r . /tmp/ag/source && cp my-solution.ts /tmp/ag/submission/
DLGRADE_GS_ROOT=/tmp/ag DLGRADE_HOME=/path/to/installed/dlgrade ./run_autograder && cat /tmp/ag/results/results.json
\`\`\`
`;
}

export function exportPrairieLearn(assignmentRef: string, o: ExportOptions = {}): ExportReport {
  const a = loadAssignment(assignmentRef);
  const id = a.spec.id;
  const dir = resolve(o.out ?? `prairielearn-${id}`);
  prepareOut(dir);
  // PrairieLearn kills a job after at most 600 s; dlgrade's wall-clock backstop is twice the time limit.
  const assignmentLimit = effectiveLimits(loadDefaultLimits(), a, {}).timeLimitSec;
  const fits = (limit: number) => wallLimitSec(limit) + 60 <= PL_JOB_SEC;
  const timeLimitSec = o.timeLimitSec ?? (fits(assignmentLimit) ? undefined : PL_MAX_TIME_LIMIT_SEC);
  if (timeLimitSec !== undefined && !fits(timeLimitSec)) throw new ExportUsage(`--time-limit ${timeLimitSec}: PrairieLearn allows a job ${PL_JOB_SEC} s, and the wall-clock backstop is twice the time limit; use at most ${PL_MAX_TIME_LIMIT_SEC}`);
  const configDir = join(dir, 'serverFilesCourse', `dlgrade-${id}`);
  const { config, timeLimitSec: limit } = writeCommon('prairielearn', assignmentRef, configDir, join(dir, 'image', 'dlgrade'), {
    ...o, timeLimitSec, allowNoNetworkIsolation: o.allowNoNetworkIsolation ?? true,
  });
  cpSync(join(configDir, 'assignments'), join(dir, 'image', 'assignments'), { recursive: true });
  writeFileSync(join(configDir, 'run'), prairielearnRun(id), { mode: 0o755 });
  writeFileSync(join(dir, 'image', 'Dockerfile'), prairielearnDockerfile(config));
  const image = o.image ?? `dlgrade/${id}`;
  const q = join(dir, 'questions', id);
  mkdirSync(q, { recursive: true });
  const starterName = existsSync(join(a.dir, 'starter.ts')) ? 'index.ts' : 'index.js';
  writeFileSync(join(q, 'info.json'), JSON.stringify({
    uuid: crypto.randomUUID(),
    title: a.spec.title,
    topic: 'dlgrade',
    tags: ['dlgrade', id],
    type: 'v3',
    singleVariant: true,
    gradingMethod: 'External',
    externalGradingOptions: {
      enabled: true,
      image,
      serverFilesCourse: [`dlgrade-${id}/`],
      entrypoint: `/grade/serverFilesCourse/dlgrade-${id}/run`,
      timeout: Math.min(600, 2 * limit + 60),
      enableNetworking: false,
    },
  }, null, 2) + '\n');
  writeFileSync(join(q, 'question.html'), `<pl-question-panel>
  <p>${escapeHtml(a.spec.title)}: see the statement. Upload your solution as <code>${starterName}</code>
  (it may import only <code>@tensorflow/tfjs</code>, Node built-ins and nothing else).</p>
  <pl-file-upload file-names="${starterName}"></pl-file-upload>
</pl-question-panel>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
`);
  writeFileSync(join(dir, 'README.md'), prairielearnReadme(config, limit, image, starterName));
  const notes = [`serverFilesCourse/dlgrade-${id}/secret is your grading secret: keep the course repository private`];
  if (timeLimitSec !== undefined && o.timeLimitSec === undefined) notes.push(`time limit tightened to ${timeLimitSec} s to fit PrairieLearn's 600 s job timeout`);
  return { dir, files: filesUnder(dir), notes };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function prairielearnRun(id: string): string {
  return `#!/usr/bin/env bash
# PrairieLearn's external grader entrypoint for ${id} (info.json: externalGradingOptions.entrypoint).
# PrairieLearn copies the student's files to /grade/student and this folder to
# /grade/serverFilesCourse/dlgrade-${id}; the results go to /grade/results/results.json, which
# PrairieLearn does not create (https://prairielearn.readthedocs.io/en/latest/externalGrading/).
# /grade/data/data.json is not needed: the assignment and its rubric are in this folder.
# Every path can be overridden (a dry run, a test):
#   DLGRADE_PL_ROOT /grade; DLGRADE_PL_STUDENT $DLGRADE_PL_ROOT/student; DLGRADE_PL_RESULTS $DLGRADE_PL_ROOT/results;
#   DLGRADE_PL_CONFIG (this folder); DLGRADE_HOME /dlgrade (the image's dlgrade); DLGRADE_NODE node;
#   DLGRADE_DATA_DIR, DLGRADE_CACHE_DIR, DLGRADE_WORK_DIR as for dlgrade.
ROOT="\${DLGRADE_PL_ROOT:-/grade}"
export DLGRADE_PL_STUDENT="\${DLGRADE_PL_STUDENT:-$ROOT/student}"
export DLGRADE_PL_RESULTS="\${DLGRADE_PL_RESULTS:-$ROOT/results}"
CONFIG="\${DLGRADE_PL_CONFIG:-$ROOT/serverFilesCourse/dlgrade-${id}}"
DLGRADE_HOME="\${DLGRADE_HOME:-/dlgrade}"
${runPlatformTail('prairielearn', 'CONFIG', 'DLGRADE_PL_RESULTS', 'Last resort: not gradable (no attempt charged), with the reason.',
  '{"gradable": false, "format_errors": ["The autograder could not start (exit code \'"$code"\'); this is not your fault, please tell your instructor."]}')}`;
}

function prairielearnDockerfile(c: PlatformConfig): string {
  return `# The grading image for ${c.assignmentId} (PrairieLearn external grading: externalGradingOptions.image).
# Build and push it:  docker build -t <you>/${c.assignmentId} . && docker push <you>/${c.assignmentId}
# PrairieLearn runs grading containers without network, so everything is installed here.
FROM node:${process.versions.node.split('.')[0]}-bookworm-slim
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap util-linux ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
COPY dlgrade /dlgrade
WORKDIR /dlgrade
RUN npm ci --omit=dev --no-audit --no-fund && chmod -R a+rX /dlgrade
# Warm the dataset cache (and prove the sandbox starts) with a self-check of the starter; its verdict does not matter.
COPY assignments /dlgrade-assignments
RUN node grader/cli/bin.js check /dlgrade-assignments/${c.assignmentId} /dlgrade-assignments/${c.assignmentId}/starter.ts --out /tmp/warm -q --allow-no-network-isolation; rm -rf /tmp/warm; true
`;
}

function prairielearnReadme(c: PlatformConfig, limit: number, image: string, starterName: string): string {
  return `# dlgrade PrairieLearn external grader: ${c.assignmentId}

Written by \`dlgrade export prairielearn\` (dlgrade ${c.dlgrade.version}), following
https://prairielearn.readthedocs.io/en/latest/externalGrading/.

| path | what to do with it |
|---|---|
| \`image/\` | \`docker build -t ${image} image && docker push ${image}\`: Node, bubblewrap, dlgrade with its \`npm ci\`'d dependencies, a warm dataset cache. No secret in it. |
| \`serverFilesCourse/dlgrade-${c.assignmentId}/\` | copy into your course's \`serverFilesCourse/\`: the entrypoint \`run\`, \`dlgrade.json\`, the assignment, and **\`secret\`, your grading secret** (mode 0600). A course repository is private and serverFilesCourse is never served to students; student code runs in dlgrade's sandbox, which does not mount /grade. |
| \`questions/${c.assignmentId}/\` | a question to start from: \`info.json\` (external grading on, image \`${image}\`, entrypoint \`/grade/serverFilesCourse/dlgrade-${c.assignmentId}/run\`, timeout ${Math.min(600, 2 * limit + 60)} s, networking off) and \`question.html\` (\`<pl-file-upload file-names="${starterName}">\`, \`<pl-external-grader-results>\`). Put the statement in it, and set \`topic\` to one of your course's topics. |

**What it does.** \`run\` grades \`/grade/student\` with \`dlgrade grade <assignment> <submission> --secret-file secret --time-limit ${limit} …\`
and writes \`/grade/results/results.json\`: \`score\` = points / ${c.maxPoints}, one test per rubric item with the
measured value against the threshold, the verdict and reason in \`message\`, the account in \`output\`.

**gradable.** PrairieLearn's docs reserve \`"gradable": false\` for input that is invalid, "for example if it
has a syntax error that prevented compilation": the student is not charged an attempt. So a
\`BAD_SUBMISSION\` (does not compile or load, missing export, forbidden import, batch size over the limit) is
\`gradable: false\` with the reason in \`format_errors\`, and so is a grader failure (not the student's fault,
must not cost an attempt). A crash, a limit, bad outputs or a missed threshold are graded: score from the
rubric (0 when nothing was measured).

**Limits.** PrairieLearn stops a job after at most 600 s and dlgrade's wall-clock backstop is twice the time
limit, so this export grades with a ${limit} s time limit.

**Network.** Grading containers have no network (\`enableNetworking: false\`, PrairieLearn's default); Docker
does not let dlgrade make its own network namespace there, so this export passes
\`--allow-no-network-isolation\`. Keep networking off.

Review flags (an implausibly high score) are printed to the job's log, not into results.json.
`;
}
