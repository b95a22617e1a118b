// What a grader may have left behind after it ended: processes still running
// from its cache folder, its cgroups, job folders and mounts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectIsolation } from '../../grader/sandbox/capabilities.ts';

export interface Leftovers { processes: string[]; cgroups: string[]; jobFolders: string[]; mounts: string[] }

const list = (d: string) => { try { return readdirSync(d); } catch { return []; } };

export function sandboxLeftovers(cacheDir: string, graderPid: number): Leftovers {
  const processes: string[] = [];
  for (const p of list('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(join(cacheDir, 'jobs'))) processes.push(`${p}: ${cmd.replaceAll('\0', ' ').slice(0, 160)}`);
    } catch { /* gone */ }
  }
  const iso = detectIsolation();
  const cgroups = [iso.cgroupParents?.memory, iso.cgroupParents?.pids, iso.cgroupParents?.cpuacct].filter((d): d is string => !!d)
    .flatMap((d) => list(d).filter((n) => n.startsWith(`dlgrade-${graderPid}.`)).map((n) => join(d, n)));
  const jobFolders = list(join(cacheDir, 'jobs'));
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(cacheDir + '/'));
  return { processes, cgroups, jobFolders, mounts };
}

/** Polls until nothing is left (processes take a moment to die), or the time is up. */
export async function waitForNoLeftovers(cacheDir: string, graderPid: number, ms = 5000): Promise<Leftovers> {
  const until = Date.now() + ms;
  for (;;) {
    const left = sandboxLeftovers(cacheDir, graderPid);
    if (Date.now() > until || Object.values(left).every((v) => v.length === 0)) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}
