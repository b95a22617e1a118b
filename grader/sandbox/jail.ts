// The command line that confines one sandboxed process, built from what the
// machine offers (capabilities.ts). Every link of the chain is there so that
// the process ends even when the grader cannot end it:
//
//   sh: join the job's cgroups, then exec
//   setpriv --pdeathsig KILL   dies with the grader thread that spawned it
//   timeout -s KILL <backstop>  ends it at the limit even if the grader hangs
//   setpriv --pdeathsig KILL   dies with timeout
//   bwrap … --die-with-parent   new mount/net/pid/ipc/uts namespaces, a root
//                               holding only what it may read (read-only), its
//                               one writable folder and a private /tmp
//   setpriv --reuid …           its own unprivileged uid (as root)
//   <command>
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { unshareArgs, type Isolation } from './capabilities.ts';

export interface JailSpec {
  iso: Isolation;
  /** Paths the process may read; folders end with '/'. */
  read: string[];
  /** Its one writable folder, also its working directory. */
  write: string;
  /** Drop to this uid (root only). */
  uid?: number;
  /** cgroup.procs files to join before anything runs. */
  joinFiles: string[];
  /** Wall-clock backstop: killed after this many seconds whatever the grader does. */
  backstopSec: number;
  command: string[];
}

/** Size of the private /tmp: enough for a library's scratch file, not for a disk bomb. */
const PRIVATE_TMP_BYTES = 16 << 20;
const SYSTEM = ['/usr/bin', '/usr/lib', '/usr/lib64', '/usr/libexec', '/bin', '/lib', '/lib64', '/lib32', '/libx32', '/sbin', '/etc/ld.so.cache'];

export function jailCommand(spec: JailSpec): { file: string; args: string[] } {
  const { iso } = spec;
  const dieWithParent = iso.dieWithGrader ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
  const dropUser = spec.uid !== undefined ? ['setpriv', `--reuid=${spec.uid}`, `--regid=${spec.uid}`, '--clear-groups', '--no-new-privs', '--'] : [];
  const confine = iso.filesystem === 'bwrap' ? bwrapArgs(spec) : unshareCommand(iso);
  const chain = [...dieWithParent, 'timeout', '-s', 'KILL', String(Math.ceil(spec.backstopSec)), ...dieWithParent, ...confine, ...dropUser, ...spec.command];
  // The shell joins the cgroups before exec'ing, so nothing runs unaccounted.
  const joinScript = 'while [ "$1" != "--" ]; do echo $$ > "$1"; shift; done; shift; exec "$@"';
  return { file: '/bin/sh', args: ['-c', joinScript, 'sh', ...spec.joinFiles, '--', ...chain] };
}

function unshareCommand(iso: Isolation): string[] {
  const ns = unshareArgs(iso);
  return ns.length ? ['unshare', ...ns, '--'] : [];
}

function bwrapArgs(spec: JailSpec): string[] {
  const root = process.getuid?.() === 0;
  const args = ['bwrap', '--die-with-parent', '--new-session', '--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts'];
  if (!root) args.push('--unshare-user');
  const mounted: string[] = [];
  const made = new Set<string>(['/']);
  const under = (p: string) => mounted.some((m) => p === m || p.startsWith(m + '/'));
  const parents = (p: string) => {
    const chain: string[] = [];
    for (let d = dirname(p); !made.has(d) && !under(d); d = dirname(d)) chain.unshift(d);
    for (const d of chain) {
      args.push('--perms', '0755', '--dir', d);
      made.add(d);
    }
  };
  const bind = (flag: string, p: string) => {
    parents(p);
    args.push(flag, p, p);
    mounted.push(p);
  };
  for (const p of SYSTEM) {
    if (!existsSync(p) && !isLink(p)) continue;
    if (isLink(p)) {
      parents(p);
      args.push('--symlink', readlinkSync(p), p);
      made.add(p);
    } else bind('--ro-bind', p);
  }
  const nodeDir = dirname(realpathSync(process.execPath));
  if (!under(nodeDir)) bind('--ro-bind', nodeDir);
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(PRIVATE_TMP_BYTES), '--perms', '1777', '--tmpfs', '/tmp');
  made.add('/proc').add('/dev').add('/tmp');
  // Parents before children, or a later bind of a folder would hide an earlier one inside it.
  const reads = [...new Set(spec.read.map((p) => p.replace(/\/+$/, '') || '/'))].sort((a, b) => a.length - b.length);
  for (const p of reads) if (!under(p)) bind('--ro-bind', p);
  const w = spec.write.replace(/\/+$/, '');
  bind('--bind', w);
  args.push('--chdir', w, '--');
  return args;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
