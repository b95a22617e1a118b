// The CPU meters the time limit reads: a busy process accrues CPU time, a
// sleeping one does not, whichever meter the machine allows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { detectIsolation, type Isolation } from '../grader/sandbox/capabilities.ts';
import { createCpuMeter } from '../grader/sandbox/cpu-time.ts';
import { closeToLimits } from '../grader/grade/run-batch.ts';

// Busy for 1.5 s of its own CPU time, however loaded the machine is.
const busy = 'while (process.cpuUsage().user + process.cpuUsage().system < 1.5e6) {}';
const sleepy = 'setTimeout(() => {}, 1500)';

async function measure(iso: Isolation, code: string): Promise<number> {
  const meter = createCpuMeter(iso, `cpu-test-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    // Joined the way jail.ts joins: the shell writes its pid into cgroup.procs before exec'ing node.
    const script = 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f"; done; exec "$0" -e "$CODE"';
    const child = spawn('/bin/sh', ['-c', script, process.execPath, ...meter.joinFiles, '--'], { env: { ...process.env, CODE: code }, stdio: 'ignore' });
    meter.watch(child.pid!);
    let seen = 0;
    const poll = setInterval(() => { seen = Math.max(seen, meter.seconds()); }, 100);
    await new Promise((res) => child.on('close', res));
    clearInterval(poll);
    return Math.max(seen, meter.seconds());
  } finally {
    meter.dispose();
  }
}

const machine = detectIsolation();
const meters: Array<[string, Isolation]> = [['proc-poll', { ...machine, cpuTime: 'proc-poll' }]];
if (machine.cpuTime === 'cgroup-v1') meters.push(['cgroup-v1', machine]);

for (const [name, iso] of meters) {
  test(`${name}: a busy process accrues its CPU time, a sleeping one almost none`, async () => {
    const b = await measure(iso, busy);
    assert.ok(b > 1.2 && b < 4, `busy for 1.5 s of CPU: measured ${b} s`);
    const s = await measure(iso, sleepy);
    assert.ok(s < 0.6, `sleeping 1.5 s: measured ${s} s of CPU`);
  });
}

test('a run within its limits that used over 80 % of one is told so; one under, or one that hit the limit, is not', () => {
  const limits = { timeLimitSec: 300, memoryLimitMiB: 2048, maxBatchSize: 512, maxSourceKiB: 1024 };
  const near = closeToLimits({ cpuSec: 251, elapsedSec: 500, peakMiB: 1700 }, 'PASS', limits);
  assert.equal(near, [
    'close to the time limit: used 251 s of CPU time of 300 s (84 %); the grading machine may be slower: leave more room',
    'close to the wall-clock limit: ran 500 s of 600 s (83 %)',
    'close to the memory limit: peak 1700 MiB of 2048 MiB (83 %); the grading machine may need more: leave more room',
  ]);
  assert.equal(closeToLimits({ cpuSec: 200, elapsedSec: 230, peakMiB: 900 }, 'PASS', limits), []);
  assert.equal(closeToLimits({ cpuSec: 300, elapsedSec: 320, peakMiB: 900 }, 'TIME_LIMIT', limits), [], 'the verdict already says it');
});

test.run();
