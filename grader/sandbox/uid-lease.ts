// Each running sandbox gets a uid no other running sandbox has, on this
// machine, across graders: a lease is a folder created atomically (mkdir) and
// removed when the sandbox ends. A killed grader's leases are reclaimed by
// the next grader's start-up clean-up (cleanup.ts), never while in doubt.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OWNER_TAG, ownerAlive } from './owner.ts';

export const LEASE_DIR = '/run/dlgrade/uids';
const FIRST_UID = 200_000;
const COUNT = 100_000;

export interface UidLease {
  uid: number;
  release(): void;
}

export function leaseUid(dir = LEASE_DIR): UidLease {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const start = FIRST_UID + ((process.pid * 97) % COUNT);
  for (let i = 0; i < COUNT; i++) {
    const uid = FIRST_UID + ((start - FIRST_UID + i) % COUNT);
    const path = join(dir, String(uid));
    try {
      mkdirSync(path);
    } catch {
      continue; // held by a running sandbox (or a dead grader's, until clean-up)
    }
    writeFileSync(join(path, 'owner'), OWNER_TAG);
    return { uid, release: () => rmSync(path, { recursive: true, force: true }) };
  }
  throw new Error(`no free sandbox uid in ${dir}`);
}

/** Removes the leases of graders that no longer run. */
export function reclaimStaleLeases(dir = LEASE_DIR): number {
  let n = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const e of entries) {
    let owner = '';
    try {
      owner = readFileSync(join(dir, e, 'owner'), 'utf8');
    } catch { /* half-made: its owner is between mkdir and write, or died there */ }
    if (owner ? !ownerAlive(owner) : false) {
      rmSync(join(dir, e), { recursive: true, force: true });
      n++;
    }
  }
  return n;
}
