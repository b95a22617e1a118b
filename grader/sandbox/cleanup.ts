// What a killed grader leaves behind (its sandboxes' cgroups, job folders with
// their tmpfs mounts, kept artifacts, uid leases, and any process still in
// them) is removed by the next grader at start-up. Only things whose owner
// grader no longer runs are touched (owner.ts), so graders side by side are safe.
import { readFileSync, readdirSync, readlinkSync, rmdirSync } from 'node:fs';
import { removeTree } from '../util/fs-tree.ts';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Isolation } from './capabilities.ts';
import { ownerAlive } from './owner.ts';
import { reclaimStaleLeases } from './uid-lease.ts';

export interface CleanupReport {
  cgroups: number;
  folders: number;
  processes: number;
  leases: number;
}

export function cleanStale(cacheRoot: string, iso: Isolation): CleanupReport {
  const report: CleanupReport = { cgroups: 0, folders: 0, processes: 0, leases: 0 };
  // Each leftover on its own: one that cannot be removed is left for next time, never fatal.
  for (const parent of [iso.cgroupParents?.memory, iso.cgroupParents?.pids, iso.cgroupParents?.cpuacct]) {
    if (!parent) continue;
    for (const name of list(parent)) {
      if (!name.startsWith('dlgrade-') || ownerAlive(name.slice('dlgrade-'.length))) continue;
      try {
        report.processes += killCgroup(join(parent, name));
        report.cgroups++;
      } catch { /* left for next time */ }
    }
  }
  const stale = ['jobs', 'artifacts'].flatMap((sub) => list(join(cacheRoot, sub)).filter((name) => !ownerAlive(name)).map((name) => join(cacheRoot, sub, name)));
  if (stale.length) {
    try {
      report.processes += killProcessesUsing(stale);
      unmountUnder(...stale);
    } catch { /* what is still running or mounted keeps its folder until next time */ }
    for (const path of stale) if (removeTree(path)) report.folders++;
  }
  try {
    if (process.getuid?.() === 0) report.leases = reclaimStaleLeases();
  } catch { /* left for next time */ }
  return report;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Kills every process in a cgroup and removes it; returns how many were killed. */
export function killCgroup(dir: string): number {
  let killed = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try { process.kill(Number(pid), 'SIGKILL'); killed++; } catch { /* already gone */ }
      }
      rmdirSync(dir);
      return killed;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return killed;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // processes still exiting
    }
  }
  return killed;
}

/** SIGKILLs processes whose command line or working directory lies in one of `paths` (one pass over /proc). */
function killProcessesUsing(paths: string[]): number {
  let killed = 0;
  const dirs = paths.map((p) => p + '/');
  for (const entry of list('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let hit = false;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      hit = dirs.some((d) => cmdline.includes(d));
      if (!hit) {
        const cwd = readlinkSync(`/proc/${entry}/cwd`) + '/';
        hit = dirs.some((d) => cwd.startsWith(d));
      }
    } catch { /* gone, or not ours to read */ }
    if (hit) {
      try { process.kill(Number(entry), 'SIGKILL'); killed++; } catch { /* gone */ }
    }
  }
  return killed;
}

/** Lazily unmounts whatever is mounted at or below any of `paths` (jobs' tmpfs). */
export function unmountUnder(...paths: string[]): void {
  let mounts: string[] = [];
  try {
    mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').map(unescapeMount);
  } catch { return; }
  const below = (m: string) => paths.some((p) => m === p || m.startsWith(p + '/'));
  for (const m of mounts.filter(below).sort((a, b) => b.length - a.length)) {
    spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  }
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * After a batch: whatever its jobs left (a worker thread that died mid-run
 * never disposed of its cgroup or folder) is removed. No sandbox of the batch
 * runs any more when this is called.
 */
export function sweepJobs(cacheRoot: string, iso: Isolation, ids: string[], keepJobDirs: boolean): void {
  if (!ids.length) return;
  const jobs = ids.map((id) => join(cacheRoot, 'jobs', id));
  try {
    for (const id of ids) {
      for (const parent of [iso.cgroupParents?.memory, iso.cgroupParents?.pids, iso.cgroupParents?.cpuacct]) {
        if (parent) killCgroup(join(parent, `dlgrade-${id}`));
      }
    }
    killProcessesUsing(jobs);
    unmountUnder(...jobs);
  } catch { /* left for the next start's clean-up */ }
  for (const job of jobs) if (!keepJobDirs) removeTree(job);
  for (const id of ids) removeTree(join(cacheRoot, 'artifacts', id));
}
