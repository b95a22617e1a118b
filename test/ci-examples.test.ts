// The CI examples under examples/ci/ are valid for the engines that run them:
// each validated against the engine's published JSON schema (vendored in
// test/schemas/, sources in its README), and each shards the way dlgrade does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments, parseDocument } from 'yaml';
import { REPO_ROOT } from '../grader/spec/load.ts';
import { parseShard } from '../grader/grade/shard.ts';

const SCHEMAS = join(REPO_ROOT, 'test', 'schemas');
const EXAMPLES = join(REPO_ROOT, 'examples', 'ci');
const schema = (name: string) => JSON.parse(readFileSync(join(SCHEMAS, name), 'utf8')) as object;

/** YAML 1.2, every document; a syntax error or a duplicate key fails the test. */
function yamlDocs(file: string): any[] {
  const docs = parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8'), { uniqueKeys: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
  return docs.map((d) => d.toJS() as any);
}

function validator(s: object, formats: Record<string, (x: any) => boolean> = {}): ValidateFunction<any> {
  // strictSchema off: the Kubernetes schemas carry x-kubernetes-* annotations, which are not keywords.
  const ajv = new Ajv({ allErrors: true, strictSchema: false, strictTypes: false, strictTuples: false, validateFormats: true });
  for (const [name, validate] of Object.entries(formats)) ajv.addFormat(name, { validate });
  return ajv.compile<any>(s);
}
const explain = (v: ValidateFunction) => (v.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');

// The formats the Kubernetes OpenAPI schemas use, as the API server reads them.
const K8S_FORMATS = {
  int32: (x: number) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31,
  int64: (x: number) => Number.isSafeInteger(x),
  'date-time': (x: string) => !Number.isNaN(Date.parse(x)),
};

const githubSchema = validator(schema('github-workflow.json'));
const jobSchema = validator(schema('k8s-v1.29.0-standalone-strict-job-batch-v1.json'), K8S_FORMATS);

/** bash -n: the script parses. */
function shellParses(script: string): string {
  const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr;
}

test('the vendored schemas are the ones the README names', () => {
  const readme = readFileSync(join(SCHEMAS, 'README.md'), 'utf8');
  for (const f of ['github-workflow.json', 'k8s-v1.29.0-standalone-strict-job-batch-v1.json']) assert.ok(readme.includes(f), f);
  assert.is((schema('github-workflow.json') as any).$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal((schema('k8s-v1.29.0-standalone-strict-job-batch-v1.json') as any).properties.kind.enum, ['Job']);
});

test('examples/ci/github-actions.yml is a valid workflow: one job per shard, then a merge', () => {
  const wf: any = yamlDocs('github-actions.yml')[0];
  assert.ok(githubSchema(wf), explain(githubSchema));
  const grade = wf.jobs.grade;
  const shards: number[] = grade.strategy.matrix.shard;
  assert.equal(shards, shards.map((_, i) => i), 'matrix values are the 0-based shard indices');
  assert.is(grade.strategy['fail-fast'], false);
  const step = grade.steps.find((s: any) => typeof s.run === 'string' && s.run.includes('dlgrade grade'));
  assert.match(step.run, /--shard "\$SHARD"/);
  assert.is(step.env.SHARD, '${{ matrix.shard }}/${{ strategy.job-total }}');
  // As the runner expands it for each job (job-total is the matrix size): every one a valid --shard.
  for (const i of shards) assert.equal(parseShard(step.env.SHARD.replace('${{ matrix.shard }}', String(i)).replace('${{ strategy.job-total }}', String(shards.length))), { index: i, count: shards.length });
  assert.is(step.env.DLGRADE_SECRET, '${{ secrets.DLGRADE_SECRET }}');
  assert.ok(grade.steps.some((s: any) => s.uses?.startsWith('actions/upload-artifact@') && s.with.path === 'out/shard-${{ matrix.shard }}'), 'each shard uploads its out folder');
  const merge = wf.jobs.merge;
  assert.is(merge.needs, 'grade');
  assert.ok(merge.steps.some((s: any) => s.uses?.startsWith('actions/download-artifact@') && s.with.pattern === 'dlgrade-shard-*'));
  assert.ok(merge.steps.some((s: any) => /dlgrade merge shards\/dlgrade-shard-\* --out class/.test(s.run ?? '')));
  assert.ok(merge.steps.some((s: any) => s.uses?.startsWith('actions/upload-artifact@') && s.with.path === 'class'));
  assert.not.ok(JSON.stringify(merge).includes('DLGRADE_SECRET'), 'the merge needs no secret');
  for (const job of Object.values<any>(wf.jobs)) for (const s of job.steps) if (s.run) assert.is(shellParses(s.run.replace(/\$\{\{[^}]*\}\}/g, 'X')), '', s.run);
  // The schema is no rubber stamp: a job without runs-on, an unknown key, a bad matrix are refused.
  const broken = structuredClone(wf);
  delete broken.jobs.merge['runs-on'];
  assert.not.ok(githubSchema(broken));
  assert.not.ok(githubSchema({ ...wf, job: wf.jobs }));
  assert.not.ok(githubSchema({ ...wf, jobs: { ...wf.jobs, grade: { ...grade, strategy: { matrix: 'shards' } } } }));
});

test('examples/ci/k8s-grade-job.yaml: a valid Indexed Job whose index is the shard, then a valid merge Job', () => {
  const docs = yamlDocs('k8s-grade-job.yaml');
  assert.is(docs.length, 2);
  for (const d of docs) assert.ok(jobSchema(d), `${d.metadata?.name}: ${explain(jobSchema)}`);
  const [gradeJob, mergeJob] = docs;
  assert.is(gradeJob.spec.completionMode, 'Indexed');
  const pod = gradeJob.spec.template.spec;
  assert.is(pod.restartPolicy, 'Never');
  const c = pod.containers[0];
  const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
  assert.is(Number(env.SHARDS.value), gradeJob.spec.completions, 'SHARDS is the number of completions');
  assert.equal(env.DLGRADE_SECRET.valueFrom.secretKeyRef, { name: 'dlgrade-secret', key: 'secret' });
  const script: string = c.args.join('\n');
  assert.is(shellParses(script), '');
  const shard = /--shard "([^"]+)"/.exec(script)![1]!;
  assert.is(shard, '$JOB_COMPLETION_INDEX/$SHARDS');
  // The indices Kubernetes hands out, 0 … completions-1, are each a valid shard.
  for (let i = 0; i < gradeJob.spec.completions; i++) assert.equal(parseShard(shard.replace('$JOB_COMPLETION_INDEX', String(i)).replace('$SHARDS', env.SHARDS.value)), { index: i, count: gradeJob.spec.completions });
  assert.match(script, /--out "\/results\/shard-\$JOB_COMPLETION_INDEX"/);
  assert.ok(c.volumeMounts.some((m: any) => m.mountPath === '/results' && !m.readOnly));
  const results = pod.volumes.find((v: any) => v.name === 'results').persistentVolumeClaim.claimName;
  // The merge Job reads the same volume, after the grading Job completed.
  const mpod = mergeJob.spec.template.spec;
  assert.is(mpod.volumes.find((v: any) => v.name === 'results').persistentVolumeClaim.claimName, results);
  assert.match(mpod.initContainers[0].command.join(' '), /kubectl wait --for=condition=complete .*job\/dlgrade-grade/);
  const mscript: string = mpod.containers[0].args.join('\n');
  assert.is(shellParses(mscript), '');
  assert.match(mscript, /dlgrade merge \/results\/shard-\* --out \/results\/class/);
  // Retried only when a retry can help: bad usage (2) and no safe sandbox (3) fail the Job.
  assert.equal(gradeJob.spec.podFailurePolicy.rules[0].onExitCodes.values, [2, 3]);
  // Strict: a misspelt field or a wrong type is refused.
  assert.not.ok(jobSchema({ ...gradeJob, spec: { ...gradeJob.spec, completionsMode: 'Indexed' } }));
  assert.not.ok(jobSchema({ ...gradeJob, spec: { ...gradeJob.spec, completions: 'four' } }));
  assert.not.ok(jobSchema({ ...gradeJob, kind: 'Deployment' }));
});

test('the README shows the one-command local equivalent, and it is valid shell', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('## Grading a class on several machines');
  assert.ok(at >= 0, 'the section exists');
  const section = readme.slice(at, readme.indexOf('\n## ', at + 5) === -1 ? undefined : readme.indexOf('\n## ', at + 5));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  assert.match(block, /--shard "\$i\/\$n"/);
  assert.match(block, /dlgrade merge/);
  assert.is(shellParses(block), '');
  // The YAML library reads the examples as YAML 1.2 (no "on" → true surprise).
  assert.ok('on' in parseDocument(readFileSync(join(EXAMPLES, 'github-actions.yml'), 'utf8')).toJS());
});

test.run();
