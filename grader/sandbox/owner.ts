// Names that say which grader process made a thing (a job folder, a cgroup, a
// uid lease), so a grader starting later can tell what a killed one left
// behind: the owner is gone when no process has that pid and start time.
import { readFileSync } from 'node:fs';

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // field 22: start time in clock ticks
  } catch {
    return undefined;
  }
}

/** This grader's tag: `<pid>.<start time>`; safe in file and cgroup names. */
export const OWNER_TAG = `${process.pid}.${startTime(process.pid) ?? '0'}`;

/** Whether the grader that wrote `tag` (at the start of a name, before '-') still runs. */
export function ownerAlive(name: string): boolean {
  const m = /^(\d+)\.(\d+)(?:-|$)/.exec(name);
  if (!m) return true; // not ours to judge
  return startTime(Number(m[1])) === m[2];
}
