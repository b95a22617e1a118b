// What this machine lets the sandbox use, strongest first. Detected once per
// grader process and recorded in every result.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Isolation {
  /** How memory is limited and measured. */
  memory: 'cgroup-v1' | 'rss-poll';
  /** Process count limited by a pids cgroup. */
  pids: boolean;
  /** How the CPU time the time limit counts is measured (cpu-time.ts). */
  cpuTime: 'cgroup-v1' | 'proc-poll';
  /** Network namespace with no interfaces but loopback (down). */
  network: 'netns' | 'userns-netns' | 'none';
  /** The submission cannot see (or signal) the grader's processes. */
  pidNamespace: boolean;
  /** The submission runs as its own unprivileged uid. */
  user: 'setpriv' | 'same-user';
  /**
   * What the sandbox sees of the filesystem. 'bwrap': a mount namespace holding
   * only what it may read (read-only) and its out/ folder, with a private /tmp,
   * so host files, unix sockets and other jobs do not exist for it. 'host':
   * the host's tree, limited by Node's permission model alone.
   */
  filesystem: 'bwrap' | 'host';
  /**
   * How the job's writable folder is capped. 'tmpfs': a size- and
   * inode-limited tmpfs mounted per job (root); 'poll': bytes and files
   * counted every 200 ms and the process killed past the cap.
   */
  diskQuota: 'tmpfs' | 'poll';
  /** Sandboxes die with the thread that started them (PR_SET_PDEATHSIG via setpriv), whatever kills the grader. */
  dieWithGrader: boolean;
  /** Node's permission model flag restricting file reads and forbidding workers, child processes and addons. */
  fsPermissionFlag: '--experimental-permission' | '--permission';
  /** cgroup v1 parent folders (memory, pids) when used. */
  cgroupParents?: { memory?: string; pids?: string; cpuacct?: string };
  notes: string[];
}

let cached: Isolation | undefined;

export function detectIsolation(): Isolation {
  if (cached) return cached;
  const notes: string[] = [];
  const root = process.getuid?.() === 0;
  const memory = writableCgroupV1('memory', notes);
  const pids = writableCgroupV1('pids', notes);
  const cpuacct = writableCgroupV1('cpuacct', notes);
  const unshareWorks = (args: string[]) => spawnSync('unshare', [...args, '--', 'true'], { stdio: 'ignore' }).status === 0;
  let netArgs: string[] | undefined;
  if (root && unshareWorks(['-n'])) netArgs = ['-n'];
  else if (unshareWorks(['--user', '--map-root-user', '-n'])) netArgs = ['--user', '--map-root-user', '-n'];
  const network = !netArgs ? 'none' : netArgs.length === 1 ? 'netns' : 'userns-netns';
  if (network === 'none') notes.push('unshare cannot create a network namespace here');
  const pidNamespace = !!netArgs && unshareWorks([...netArgs, '--pid', '--fork']);
  const setprivWorks = root && spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'true'], { stdio: 'ignore' }).status === 0;
  if (!root) notes.push('not root: the submission runs as the grader\'s own uid (inside its namespaces)');
  if (memory === undefined) notes.push('no writable cgroup v1 memory controller: memory is limited by polling RSS every 100 ms');
  if (cpuacct === undefined) notes.push('no writable cgroup v1 cpuacct controller: CPU time is measured by polling /proc every 250 ms');
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  const filesystem = bwrapWorks(root) ? 'bwrap' : 'host';
  if (filesystem === 'host') notes.push('no working bubblewrap (bwrap): the sandbox sees the host filesystem through Node\'s permission model only, and host unix sockets are reachable');
  const diskQuota = root && tmpfsMountWorks() ? 'tmpfs' : 'poll';
  const dieWithGrader = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }).status === 0;
  if (!dieWithGrader) notes.push('setpriv --pdeathsig is missing: a sandbox outlives a grader that is killed with SIGKILL until its time limit (timeout) ends it');
  cached = {
    memory: memory ? 'cgroup-v1' : 'rss-poll',
    pids: !!pids,
    cpuTime: cpuacct ? 'cgroup-v1' : 'proc-poll',
    network,
    pidNamespace,
    user: setprivWorks ? 'setpriv' : 'same-user',
    filesystem,
    diskQuota,
    dieWithGrader,
    fsPermissionFlag: major > 22 || (major === 22 && minor >= 13) ? '--permission' : '--experimental-permission',
    cgroupParents: { memory, pids, cpuacct },
    notes,
  };
  return cached;
}

function bwrapWorks(root: boolean): boolean {
  // As root, no user namespace: the submission's uid is dropped by setpriv inside.
  const ns = root ? ['--unshare-net', '--unshare-pid'] : ['--unshare-user', '--unshare-net', '--unshare-pid'];
  return spawnSync('bwrap', ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', ...ns, '--die-with-parent', '--', 'true'], { stdio: 'ignore' }).status === 0;
}

function tmpfsMountWorks(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'dlgrade-probe-'));
  try {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,nr_inodes=16', 'tmpfs', dir], { stdio: 'ignore' }).status !== 0) return false;
    spawnSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The unshare arguments for the detected network/pid isolation. */
export function unshareArgs(iso: Isolation): string[] {
  const base = iso.network === 'netns' ? ['-n'] : iso.network === 'userns-netns' ? ['--user', '--map-root-user', '-n'] : [];
  return iso.pidNamespace ? [...base, '--pid', '--fork', '--kill-child'] : base;
}

/** Our own cgroup in a v1 hierarchy, if we may create children in it. */
function writableCgroupV1(controller: 'memory' | 'pids' | 'cpuacct', notes: string[]): string | undefined {
  const mount = `/sys/fs/cgroup/${controller}`;
  if (!existsSync(join(mount, 'cgroup.procs'))) return undefined;
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  const own = line ? join(mount, line.split(':')[2] ?? '/') : mount;
  const probe = join(own, `dlgrade-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return own;
  } catch (e) {
    notes.push(`cannot create a ${controller} cgroup in ${own}: ${(e as NodeJS.ErrnoException).code}`);
    return undefined;
  }
}

/** Whether a user other than the owner can reach `path` (every ancestor searchable, the file readable). */
export function reachableByOthers(path: string): boolean {
  try {
    let p = path;
    const st = statSync(p);
    if (!(st.mode & (st.isDirectory() ? 0o001 : 0o004))) return false;
    while (p !== dirname(p)) {
      p = dirname(p);
      if (!(statSync(p).mode & 0o001)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Dropping to an unprivileged uid only works if that uid can reach the
 * runtime packages and the cache; where it cannot (a checkout under /root),
 * run as the grader's uid and say so: the pid namespace and the permission
 * model still keep the submission from the grader and its files.
 */
export function isolationFor(iso: Isolation, neededPaths: string[]): Isolation {
  // In bwrap's fresh root every ancestor folder is made traversable (0755).
  if (iso.user !== 'setpriv' || iso.filesystem === 'bwrap') return iso;
  const blocked = neededPaths.filter((p) => !reachableByOthers(p));
  if (!blocked.length) return iso;
  return { ...iso, user: 'same-user', notes: [...iso.notes, `not dropping to an unprivileged uid: ${blocked.join(', ')} cannot be reached by other users`] };
}
