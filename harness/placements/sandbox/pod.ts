/**
 * A pod from namespaces, the way a container runtime builds one:
 *
 * - the pause process holds the pod's network namespace (loopback up), IPC namespace, UTS
 *   namespace (hostname = pod name) and a pod mount namespace carrying the pod-level mounts:
 *   /dev/shm (a 64 MiB tmpfs, as containerd gives a pod), the `medium: Memory` emptyDir (a
 *   tmpfs), the IPC namespace's mqueue filesystem, and empty covers over the other pods'
 *   directories;
 * - each container enters those namespaces and gets its own mount namespace (copied from the
 *   pod's, so it sees the pod mounts) with a private /tmp, and its own PID namespace.
 *
 * Nothing is mounted in the host's mount namespace, so nothing can be left mounted there:
 * the pod's mounts, IPC objects and veth end disappear with its last process.
 *
 * Lifetimes: `setpriv --pdeathsig KILL` makes the kernel SIGKILL the pause's `unshare` when
 * the harness dies (even by SIGKILL), and `unshare --kill-child` passes that on to the
 * process it forked. Containers get the same chain, so a killed harness leaves no process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import type { SideCommand } from '../../runtimes/runtime.js';
import { mustRun, toolEnv } from './exec.js';
import { POD_DEV_SHM_BYTES, type PodLayout } from './layout.js';
import { identify, type ProcessIdentity } from './state.js';

/** Runs as the pause: sets up the pod, says "ready", then sleeps until killed. */
const PAUSE_SCRIPT = `set -e
name=$1 memory=$2 mqueue=$3 shm_bytes=$4
shift 4
ip link set lo up
# The pod's hostname: writing it sets the UTS namespace's name (no hostname(1) needed).
echo "$name" > /proc/sys/kernel/hostname
mount -t tmpfs -o size="$shm_bytes",mode=1777,nosuid,nodev podipc-shm /dev/shm
mount -t tmpfs -o mode=0777,nosuid,nodev podipc-memory "$memory"
# mqueue shows the queues of the mounting process's IPC namespace: the pod's.
mount -t mqueue -o nosuid,nodev,noexec podipc-mqueue "$mqueue"
# Cover the other pods' directories: their volumes are not this pod's to see.
for dir in "$@"; do mount -t tmpfs -o ro,size=4k,mode=0 podipc-hidden "$dir"; done
echo ready
exec sleep infinity`;

/**
 * Runs first in a container's own mount namespace: a private /tmp, then the command. The
 * working directory is podipc itself; when it lives under /tmp (a CI checkout, say), the new
 * tmpfs would hide it, so it is bind-mounted aside first (onto a tmpfs over /mnt, private to
 * this container) and moved back to its own path inside the new /tmp. (Binding the covered
 * cwd afterwards looks simpler but the kernel refuses it once the container's namespace was
 * entered with nsenter: EINVAL.)
 */
const CONTAINER_INIT = `here=$(pwd -P)
case "$here" in
/tmp/*)
  mount -t tmpfs -o size=4k,mode=0700 podipc-stage /mnt && mkdir /mnt/self && mount --bind "$here" /mnt/self || exit 125
  mount -t tmpfs -o mode=1777,nosuid,nodev podipc-tmp /tmp || exit 125
  mkdir -p "$here" && mount --move /mnt/self "$here" && umount /mnt && cd "$here" || exit 125 ;;
*)
  mount -t tmpfs -o mode=1777,nosuid,nodev podipc-tmp /tmp || exit 125 ;;
esac
exec "$@"`;

/**
 * Runs on the host side of a container before it enters the pod: join the container's
 * cgroups, so everything it execs and forks (the probe included) is accounted and limited.
 */
const JOIN_CGROUPS = `for f in $PODIPC_CGROUP_PROCS; do echo $$ > "$f" || { echo "podipc: cannot join cgroup $f" >&2; exit 125; }; done
unset PODIPC_CGROUP_PROCS
exec "$@"`;

export interface Namespaces {
  net: string;
  ipc: string;
  uts: string;
  mnt: string;
}

export interface Pod {
  layout: PodLayout;
  /** The `unshare` that made the namespaces: nsenter's target. */
  pause: ProcessIdentity;
  /** Its forked child (the sleeping shell); listed so teardown waits for it too. */
  pauseChild: ProcessIdentity | undefined;
  child: ChildProcess;
  namespaces: Namespaces;
}

export function namespacesOf(pid: number): Namespaces {
  const ns = (kind: string): string => readlinkSync(`/proc/${pid}/ns/${kind}`);
  return { net: ns('net'), ipc: ns('ipc'), uts: ns('uts'), mnt: ns('mnt') };
}

/** Start a pod's pause process and wait until the pod is set up. */
export async function startPod(layout: PodLayout, hide: readonly string[], timeoutMs = 10_000): Promise<Pod> {
  const child = spawn(
    'setpriv',
    [
      '--pdeathsig', 'KILL', '--',
      'unshare', '--net', '--ipc', '--uts', '--mount', '--propagation', 'private', '--fork', '--kill-child=SIGKILL', '--',
      'sh', '-c', PAUSE_SCRIPT, 'podipc-pause', layout.name, layout.memoryVolume, layout.mqueueDir, String(POD_DEV_SHM_BYTES), ...hide,
    ],
    // detached: its own process group, so a Ctrl-C on the terminal reaches only the harness,
    // which then tears the pod down in order.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: toolEnv() },
  );
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const check = (): void => {
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out.includes('ready\n'));
    });
    child.once('error', (e) => {
      err += e.message;
      clearTimeout(timer);
      resolve(false);
    });
  });
  const pause = child.pid !== undefined ? identify(child.pid) : undefined;
  if (!ready || !pause || child.exitCode !== null) {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    throw new Error(`cannot start pod ${layout.name}: the pause process ${ready ? 'exited' : 'did not get ready'}: ${err.trim() || '(no stderr)'}`);
  }
  // The pod is up; the pipes are no longer needed, and must not keep the harness alive.
  child.stdout!.destroy();
  child.stderr!.destroy();
  child.unref();
  let childPid: string | undefined;
  try {
    childPid = readFileSync(`/proc/${pause.pid}/task/${pause.pid}/children`, 'utf8').trim().split(/\s+/)[0];
  } catch {
    /* kernel without CONFIG_PROC_CHILDREN: teardown then relies on --kill-child alone */
  }
  const pauseChild = childPid ? identify(Number(childPid)) : undefined;
  return { layout, pause, pauseChild, child, namespaces: namespacesOf(pause.pid) };
}

/** Run a shell script as the harness, inside a pod's IPC and mount namespaces. */
export function podExec(pod: Pod, what: string, script: string, args: readonly string[] = []): Promise<string> {
  return mustRun('nsenter', [`--target=${pod.pause.pid}`, '--ipc', '--mount', '--', 'sh', '-c', script, 'podipc-exec', ...args], { what: `${what} in pod ${pod.layout.name}` });
}

/**
 * The command line of a container: join cgroups, enter the pod's namespaces, take a mount
 * and PID namespace of its own, mount a private /tmp, run `argv`. The probe becomes PID 1
 * of its PID namespace; `--kill-child` SIGKILLs it when the `unshare` above it dies.
 */
export function containerCommand(pod: Pod, cgroupProcs: readonly string[], cwd: string, argv: readonly string[]): SideCommand {
  for (const f of cgroupProcs) if (/\s/.test(f)) throw new Error(`cgroup path with whitespace is not supported: '${f}'`);
  return {
    command: 'setpriv',
    args: [
      '--pdeathsig', 'KILL', '--',
      'sh', '-c', JOIN_CGROUPS, 'podipc-container',
      'nsenter', `--target=${pod.pause.pid}`, '--net', '--ipc', '--uts', '--mount', `--wd=${cwd}`, '--',
      'unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child=SIGKILL', '--mount-proc', '--',
      'sh', '-c', CONTAINER_INIT, 'podipc-init',
      ...argv,
    ],
    env: toolEnv({ PODIPC_CGROUP_PROCS: cgroupProcs.join('\n') }),
  };
}

/** Prepare a pair's directory on the pod's memory volume (a tmpfs only the pod sees). */
export async function preparePairDir(pod: Pod, tmpfsDir: string): Promise<void> {
  await podExec(pod, 'creating the pair directory', 'mkdir -p -m 0777 "$1"', [tmpfsDir]);
}

/** What a pair left in its pod: IPC objects by kind. */
export interface Leftovers {
  devShm: number;
  posixMq: number;
  sysv: number;
}

/**
 * After a pair: count and remove what it left in the pod (a killed side cannot clean up),
 * so the next pair starts from an empty pod, then remove the pair's memory-volume directory.
 * Everything in the pod's IPC namespace and /dev/shm belongs to this run by construction.
 */
const RESET_SCRIPT = `mq=$1 dir=$2
shm=$(ls -A /dev/shm | wc -l)
mqs=$(ls -A "$mq" | wc -l)
# /proc/sysvipc/* list the reader's IPC namespace (the pod's), one header line each.
sysv=$(cat /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem | grep -vc key)
echo "$shm $mqs $sysv"
find /dev/shm "$mq" -mindepth 1 -delete
ipcrm --all
rm -rf "$dir"`;

export async function resetPod(pod: Pod, tmpfsDir: string): Promise<Leftovers> {
  const out = await podExec(pod, 'cleaning up after the pair', RESET_SCRIPT, [pod.layout.mqueueDir, tmpfsDir]);
  const [devShm = 0, posixMq = 0, sysv = 0] = out.trim().split(/\s+/).map(Number);
  return { devShm, posixMq, sysv };
}
