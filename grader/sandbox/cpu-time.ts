// The time limit counts the submission's CPU time, not the wall clock: the
// same solution took 202 s alone and 229 s graded two at a time, so a wall
// clock charges a student for the neighbours. CPU time comes from a cpuacct
// cgroup where we have one (it counts every thread and child, exited ones
// too), otherwise from /proc polling of the process tree.
import { mkdirSync, readFileSync } from 'node:fs';
import { processTree } from './proc-tree.ts';
import { join } from 'node:path';
import { killCgroup } from './cleanup.ts';
import type { Isolation } from './capabilities.ts';

export interface CpuMeter {
  /** cgroup.procs files the wrapper shell joins before exec'ing the submission. */
  readonly joinFiles: string[];
  /** Starts following the spawned process tree (the polling meter only). */
  watch(pid: number): void;
  /** CPU seconds (user + system) used so far by everything the submission ran. */
  seconds(): number;
  dispose(): void;
}

/** How far the wall clock may run past the CPU limit before it ends the run anyway (sleeping, blocked, starved). */
export const WALL_CLOCK_FACTOR = 2;

/** The wall-clock backstop, in seconds, of a run whose CPU time is limited to `timeLimitSec`. */
export function wallLimitSec(timeLimitSec: number): number {
  return WALL_CLOCK_FACTOR * timeLimitSec;
}

export function createCpuMeter(iso: Isolation, id: string): CpuMeter {
  if (iso.cpuTime === 'cgroup-v1' && iso.cgroupParents?.cpuacct) return new CgroupCpuMeter(join(iso.cgroupParents.cpuacct, `dlgrade-${id}`));
  return new ProcPollCpuMeter();
}

class CgroupCpuMeter implements CpuMeter {
  readonly joinFiles: string[];
  constructor(private dir: string) {
    mkdirSync(dir);
    this.joinFiles = [join(dir, 'cgroup.procs')];
  }
  watch(): void {}
  seconds(): number {
    try {
      return Number(readFileSync(join(this.dir, 'cpuacct.usage'), 'utf8')) / 1e9;
    } catch {
      return 0;
    }
  }
  dispose(): void {
    killCgroup(this.dir);
  }
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on every Linux ABI Node runs on). */
const USER_HZ = 100;

class ProcPollCpuMeter implements CpuMeter {
  readonly joinFiles: string[] = [];
  private root = 0;
  /** Last ticks seen per process: one that exits keeps counting what it used. */
  private ticks = new Map<number, number>();
  watch(pid: number): void {
    this.root = pid;
  }
  seconds(): number {
    if (!this.root) return 0;
    for (const p of processTree(this.root)) this.ticks.set(p.pid, Math.max(p.cpuTicks, this.ticks.get(p.pid) ?? 0));
    let total = 0;
    for (const t of this.ticks.values()) total += t;
    return total / USER_HZ;
  }
  dispose(): void {}
}
