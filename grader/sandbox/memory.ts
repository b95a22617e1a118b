// Memory accounting that counts everything a submission holds (JS heap,
// ArrayBuffers, WebAssembly memory, native threads): a cgroup where we have
// one, otherwise RSS polling of the submission's process group.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { processTree } from './proc-tree.ts';
import { killCgroup } from './cleanup.ts';
import { join } from 'node:path';
import type { Isolation } from './capabilities.ts';

export interface MemoryGuard {
  /** cgroup.procs files the wrapper shell joins before exec'ing the submission. */
  readonly joinFiles: string[];
  /** Starts watching the spawned process and its descendants (needed by the polling guard only). */
  watch(pid: number, onExceeded: () => void): void;
  peakBytes(): number;
  exceeded(): boolean;
  /** Kills anything left in the group and removes it. */
  dispose(): void;
}

const POLL_MS = 100;

export function createMemoryGuard(iso: Isolation, id: string, limitBytes: number): MemoryGuard {
  const pidsMax = 256; // node + libuv/V8 threads; stops fork bombs even if spawning were allowed
  if (iso.memory === 'cgroup-v1' && iso.cgroupParents?.memory) {
    return new CgroupV1Guard(join(iso.cgroupParents.memory, `dlgrade-${id}`), iso.pids && iso.cgroupParents.pids ? join(iso.cgroupParents.pids, `dlgrade-${id}`) : undefined, limitBytes, pidsMax);
  }
  return new RssPollGuard(limitBytes);
}

class CgroupV1Guard implements MemoryGuard {
  readonly joinFiles: string[];
  constructor(private mem: string, private pids: string | undefined, limit: number, pidsMax: number) {
    mkdirSync(mem);
    writeFileSync(join(mem, 'memory.limit_in_bytes'), String(limit));
    try {
      writeFileSync(join(mem, 'memory.memsw.limit_in_bytes'), String(limit)); // no escape into swap
    } catch { /* no swap accounting on this kernel */ }
    this.joinFiles = [join(mem, 'cgroup.procs')];
    if (pids) {
      mkdirSync(pids);
      writeFileSync(join(pids, 'pids.max'), String(pidsMax));
      this.joinFiles.push(join(pids, 'cgroup.procs'));
    }
  }
  watch(): void {}
  peakBytes(): number {
    return Number(readFileSync(join(this.mem, 'memory.max_usage_in_bytes'), 'utf8'));
  }
  exceeded(): boolean {
    const oom = readFileSync(join(this.mem, 'memory.oom_control'), 'utf8');
    const kills = /oom_kill (\d+)/.exec(oom);
    if (kills) return Number(kills[1]) > 0;
    return Number(readFileSync(join(this.mem, 'memory.failcnt'), 'utf8')) > 0;
  }
  dispose(): void {
    for (const dir of [this.mem, this.pids]) if (dir) killCgroup(dir);
  }
}

class RssPollGuard implements MemoryGuard {
  readonly joinFiles: string[] = [];
  private peak = 0;
  private over = false;
  private timer?: NodeJS.Timeout;
  constructor(private limit: number) {}
  watch(root: number, onExceeded: () => void): void {
    this.timer = setInterval(() => {
      let rss = 0;
      for (const p of processTree(root)) rss += p.rssBytes;
      this.peak = Math.max(this.peak, rss);
      if (rss > this.limit && !this.over) {
        this.over = true;
        onExceeded();
      }
    }, POLL_MS);
    this.timer.unref();
  }
  peakBytes(): number {
    return this.peak;
  }
  exceeded(): boolean {
    return this.over;
  }
  dispose(): void {
    clearInterval(this.timer);
  }
}
