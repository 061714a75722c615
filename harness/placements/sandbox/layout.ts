/**
 * Where a sandbox run keeps its pods on the host, and the names it gives them. Pure: no I/O.
 *
 * Like kubelet's /var/lib/kubelet/pods/<uid>/volumes/, a run's pod volumes live on disk
 * under /var/lib/podipc/<runTag>/. Without images the containers share the host's root
 * filesystem, so every path here is also the path inside the containers ("the same path in
 * both containers"). Never under /tmp: each container gets a private /tmp.
 */
import { join } from 'node:path';
import { RUN_TAG_PATTERN } from '../../../core/protocol.js';

/** Every sandbox run's directory lives here; a run's state file lets the next run sweep it. */
export const STATE_ROOT = '/var/lib/podipc';

/** containerd gives a pod's /dev/shm a 64 MiB tmpfs (the sandbox's shm size default). */
export const POD_DEV_SHM_BYTES = 64 * 1024 * 1024;

/**
 * The cross-pod link uses 198.18.0.0/15, the block reserved for network benchmarking
 * (RFC 2544 / RFC 5735): it never routes anywhere, and it only exists inside the run's own
 * network namespaces.
 */
export const CROSS_POD_PREFIX_LEN = 24;
export const POD_ADDRESSES = { a: '198.18.0.1', b: '198.18.0.2' } as const;

export type PodKey = 'a' | 'b';
export type ContainerName = 'server' | 'client';

export interface PodLayout {
  key: PodKey;
  /** Pod name, also its hostname (UTS namespace). */
  name: string;
  /** The pod's directory on the host; hidden from the other pod. */
  dir: string;
  /** emptyDir {} : a directory on disk. */
  diskVolume: string;
  /** emptyDir {medium: Memory}: a tmpfs mounted inside the pod's mount namespace. */
  memoryVolume: string;
  /** The pod's POSIX message queues (an mqueue filesystem of the pod's IPC namespace). */
  mqueueDir: string;
  /** The pod's end of the cross-pod veth pair. */
  vethName: string;
  address: string;
}

export interface RunLayout {
  runTag: string;
  /** The run's directory on the host (removed at teardown). */
  root: string;
  statePath: string;
  /**
   * Harness plumbing, not a pod volume: plan files, and the cross-pod rendezvous directory.
   * Both pods see it because the containers share the host's root filesystem.
   */
  harnessDir: string;
  pods: Record<PodKey, PodLayout>;
}

export function runLayout(runTag: string, stateRoot = STATE_ROOT): RunLayout {
  if (!RUN_TAG_PATTERN.test(runTag)) throw new Error(`run tag '${runTag}' must be 4-12 of [a-z0-9]`);
  const root = join(stateRoot, runTag);
  const pod = (key: PodKey): PodLayout => {
    const dir = join(root, `pod-${key}`);
    return {
      key,
      name: `podipc-${runTag}-${key}`,
      dir,
      diskVolume: join(dir, 'volumes', 'disk'),
      memoryVolume: join(dir, 'volumes', 'memory'),
      mqueueDir: join(dir, 'mqueue'),
      // Interface names are at most 15 bytes (IFNAMSIZ - 1): "pv" + tag (<= 12) + pod key.
      vethName: `pv${runTag}${key}`,
      address: POD_ADDRESSES[key],
    };
  };
  return { runTag, root, statePath: join(root, 'state.json'), harnessDir: join(root, 'harness'), pods: { a: pod('a'), b: pod('b') } };
}

/** The directories one pair uses, as the containers see them. */
export interface PairDirs {
  /** Plan files, written by the harness. */
  planDir: string;
  /** Rendezvous and the IPC ledger. */
  shared: string;
  /** Per side: the pod's disk volume and memory volume subdirectories for this pair. */
  server: { pod: PodKey; disk: string; tmpfs: string };
  client: { pod: PodKey; disk: string; tmpfs: string };
}

export function pairDirs(layout: RunLayout, pairIndex: number, crossPod: boolean): PairDirs {
  const name = `pair-${pairIndex}`;
  const side = (pod: PodLayout): PairDirs['server'] => ({ pod: pod.key, disk: join(pod.diskVolume, name, 'files'), tmpfs: join(pod.memoryVolume, name) });
  const server = side(layout.pods.a);
  const client = side(crossPod ? layout.pods.b : layout.pods.a);
  const planDir = join(layout.harnessDir, name);
  // Same pod: the rendezvous lives on the pod's own disk emptyDir, as it would in Kubernetes.
  // Cross pod: the pods share no volume, so the rendezvous is harness plumbing both can reach
  // (in Kubernetes it would be the network; here it is only how the two sides meet).
  const shared = crossPod ? join(planDir, 'shared') : join(layout.pods.a.diskVolume, name, 'shared');
  return { planDir, shared, server, client };
}

/** Is `path` equal to or inside `dir`? */
export function isInside(path: string, dir: string): boolean {
  const d = dir.endsWith('/') ? dir : dir + '/';
  return path === dir || path.startsWith(d);
}
