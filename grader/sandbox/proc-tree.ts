// The processes under one process, read from /proc: for the polling meters
// (memory.ts, cpu-time.ts) on machines without cgroups. The sandbox starts its
// own session, so its descendants are found by parent links, not by group.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcStat { pid: number; rssBytes: number; cpuTicks: number }

const PAGE = 4096;

/** Every live process whose ancestry reaches `root` (itself included). */
export function processTree(root: number): ProcStat[] {
  const parent = new Map<number, number>(), stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(f[1])); // field 4: ppid
      // fields 14, 15: utime, stime (clock ticks); field 24: rss (pages)
      stats.push({ pid: Number(entry), cpuTicks: Number(f[11]) + Number(f[12]), rssBytes: Number(f[21]) * PAGE });
    } catch { /* exited meanwhile */ }
  }
  return stats.filter(({ pid }) => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) if (p === root) return true;
    return false;
  });
}
