// JUnit XML for CI: one test suite per submission, one test case per rubric
// item. A submission that never produced outputs errors every case with the
// reason and its last lines of output.
import { createRequire } from 'node:module';
import type { Builder } from 'junit-report-builder';
import { writeAtomic } from '../util/fs.ts';
import type { BatchSummary } from '../grade/run-batch.ts';

// CommonJS package whose default export differs between require and import: require it.
const junit = createRequire(import.meta.url)('junit-report-builder') as Builder;

export function junitXml(summary: BatchSummary): string {
  const builder = junit.newBuilder();
  for (const r of summary.results) {
    const suite = builder.testSuite().name(`${summary.assignment.id} / ${r.submission.id}`).property('verdict', r.verdict).property('backend', r.environment.backend?.name ?? 'unknown').time(r.usage.elapsedSec);
    for (const f of r.flags ?? []) suite.property('flagged', f); // for review by hand; the verdict stands
    for (const item of r.rubric) {
      // An integrity signal (observed inside the submission's process) is marked in the name and as a property.
      const signal = item.evidence === 'signal' ? ' [integrity signal]' : '';
      const tc = suite.testCase().className(`${summary.assignment.id}.${r.submission.id}`).name(`${item.title} (${item.metric} ${item.op} ${item.threshold})${signal}`).time(r.usage.elapsedSec);
      if (item.evidence) tc.property('evidence', item.evidence);
      if (item.passed) continue;
      if (item.value !== null) tc.failure(item.detail, 'RubricFailure');
      else tc.error(`${r.verdict}: ${r.reason ?? item.detail}`, r.verdict);
      if (r.outputTail.length) tc.standardOutput(r.outputTail.join('\n'));
    }
  }
  return builder.build();
}

export function writeJunit(path: string, summary: BatchSummary): void {
  writeAtomic(path, junitXml(summary));
}
