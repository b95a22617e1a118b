// Real student code, as students write it (patterns from the statements and
// from tensorflow/tfjs-examples), graded as ONE class through the CLI on the
// tiny siamese assignment. Each fixture says what it must get, in its entry
// file's first line (a folder fixture: the first line of any file in it that
// has such a line):
//   // expect: VERDICT[|VERDICT…] /regex/
// The regex must match what the student is shown: the reason and the warnings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../grader/spec/load.ts';
import { expectationHeader, tempDir, tinySiameseAssignment, writeTinyMnist } from '../helpers/fixtures.ts';

const FIXTURES = join(REPO_ROOT, 'test/student/submissions');

interface Expectation { verdicts: string[]; shown: RegExp }

function expectationIn(path: string): Expectation | undefined {
  const files = statSync(path).isDirectory() ? readdirSync(path).sort().map((f) => join(path, f)).filter((f) => statSync(f).isFile()) : [path];
  for (const f of files) {
    const e = expectationHeader(f);
    if (e) return { verdicts: e.verdicts, shown: e.pattern };
  }
  return undefined;
}

test('real student code: each fixture gets its verdict and a message it can act on', async () => {
  const root = tempDir();
  const dataDir = writeTinyMnist(join(root, 'idx'));
  const assignment = tinySiameseAssignment(root);
  const cls = join(root, 'class');
  const expected = new Map<string, Expectation>();
  for (const name of readdirSync(FIXTURES)) {
    const want = expectationIn(join(FIXTURES, name));
    if (!want) throw new Error(`${name}: needs a first line "// expect: VERDICT /regex/"`);
    cpSync(join(FIXTURES, name), join(cls, name), { recursive: true });
    expected.set(name.replace(/\.(ts|js|mjs|cjs)$/, ''), want);
  }
  const out = join(root, 'out');
  const args = ['--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'grader/cli/main.ts'), 'grade', assignment, cls,
    '--out', out, '--cache-dir', join(root, 'cache'), '--data-dir', dataDir, '--concurrency', '2', '--time-limit', '30', '--memory-limit', '1024', '-q'];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-20000); });
  const code = await new Promise<number | null>((res) => child.on('close', res));
  assert.ok(code === 0 || code === 1, `exit code ${code}\n${stderr}`);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { results: Array<{ submission: { id: string }; verdict: string; reason?: string; warnings?: string[] }> };
  assert.equal(summary.results.map((r) => r.submission.id).sort(), [...expected.keys()].sort(), 'one result per fixture');
  const problems: string[] = [];
  for (const r of summary.results) {
    const want = expected.get(r.submission.id)!;
    const shown = [r.reason ?? '', ...(r.warnings ?? [])].join('\n');
    if (!want.verdicts.includes(r.verdict)) problems.push(`${r.submission.id}: got ${r.verdict}, expected ${want.verdicts.join('|')}\n    ${shown.slice(0, 600)}`);
    else if (!want.shown.test(shown)) problems.push(`${r.submission.id}: ${r.verdict} as expected, but what it shows does not match ${want.shown}\n    ${shown.slice(0, 600)}`);
  }
  assert.equal(problems, [], problems.join('\n'));
  console.log(`  student class: ${summary.results.length} fixtures`);
});

test.run();
