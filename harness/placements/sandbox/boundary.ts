/**
 * The boundary check, run when a sandbox session opens and before any case: real objects
 * made in one container of pod A (a SysV queue, a /dev/shm file, a file in each volume)
 * must be visible to pod A's other container and invisible to the host and to pod B.
 * Otherwise the "same pod" numbers would not be what they claim, so the run stops.
 */
import { BOUNDARY_LINE_PREFIX, type BoundaryLook, type BoundaryObjects } from '../../../bench/boundary-check.js';
import type { ContainerName, PodKey } from './layout.js';

export interface BoundaryResult {
  passed: boolean;
  /** Pod A's second container sees the SysV queue the first one made. */
  sameIpcNamespace: boolean;
  /** ... and the /dev/shm file. */
  sharedDevShm: boolean;
  /** ... and the files on both emptyDir volumes. */
  sharedVolumes: boolean;
  /** The host sees neither the queue, nor the /dev/shm file, nor the memory-volume file. */
  hostIsolated: boolean;
  /** Pod B sees none of the four. */
  secondPodIsolated: boolean;
  /** What went wrong, one sentence each; empty when passed. */
  problems: string[];
  checkedAt: string;
  objects: BoundaryObjects;
  observed: { peer: BoundaryLook; host: BoundaryLook; secondPod: BoundaryLook };
}

/** Pure: the verdict from what each looker saw. */
export function judgeBoundary(
  objects: BoundaryObjects,
  observed: { peer: BoundaryLook; host: BoundaryLook; secondPod: BoundaryLook },
  checkedAt: string,
): BoundaryResult {
  const { peer, host, secondPod } = observed;
  const queue = `SysV message queue (key ${objects.queueKey})`;
  const problems: string[] = [];
  const must = (ok: boolean, text: string): boolean => {
    if (!ok) problems.push(text);
    return ok;
  };
  const sameIpcNamespace = must(peer.queue, `the pod's second container cannot see the ${queue}: the containers do not share an IPC namespace`);
  const sharedDevShm = must(peer.devShm, `the pod's second container cannot see ${objects.devShmFile}: the containers do not share the pod's /dev/shm`);
  const sharedDisk = must(peer.diskVolume, `the pod's second container cannot see ${objects.diskFile}: the disk emptyDir is not shared`);
  const sharedMemory = must(peer.memoryVolume, `the pod's second container cannot see ${objects.memoryFile}: the memory emptyDir is not shared`);
  const hostQueue = must(!host.queue, `the host sees the pod's ${queue}: the pod's IPC namespace is the host's`);
  const hostShm = must(!host.devShm, `the host sees the pod's ${objects.devShmFile}: the pod's /dev/shm is the host's`);
  const hostMemory = must(!host.memoryVolume, `the host sees the pod's ${objects.memoryFile}: the memory emptyDir is not the pod's own tmpfs`);
  const podQueue = must(!secondPod.queue, `the second pod sees the first pod's ${queue}: the pods share an IPC namespace`);
  const podShm = must(!secondPod.devShm, `the second pod sees the first pod's ${objects.devShmFile}: the pods share /dev/shm`);
  const podDisk = must(!secondPod.diskVolume, `the second pod sees the first pod's ${objects.diskFile}: the pods share the disk emptyDir`);
  const podMemory = must(!secondPod.memoryVolume, `the second pod sees the first pod's ${objects.memoryFile}: the pods share the memory emptyDir`);
  const hostIsolated = hostQueue && hostShm && hostMemory;
  const secondPodIsolated = podQueue && podShm && podDisk && podMemory;
  const sharedVolumes = sharedDisk && sharedMemory;
  return {
    passed: problems.length === 0,
    sameIpcNamespace,
    sharedDevShm,
    sharedVolumes,
    hostIsolated,
    secondPodIsolated,
    problems,
    checkedAt,
    objects,
    observed,
  };
}

/** Pick the one boundary line out of a command's output. */
export function parseBoundaryLine<T>(stdout: string, what: string): T {
  const line = stdout.split('\n').find((l) => l.startsWith(BOUNDARY_LINE_PREFIX));
  if (!line) throw new Error(`boundary check: ${what} printed no result (stdout: ${stdout.trim().slice(0, 300) || '(empty)'})`);
  return JSON.parse(line.slice(BOUNDARY_LINE_PREFIX.length)) as T;
}

/** How the check runs its probe: in a pod's container, or on the host. Returns stdout. */
export interface BoundaryRunner {
  inContainer(pod: PodKey, container: ContainerName, args: string[], what: string): Promise<string>;
  onHost(args: string[], what: string): Promise<string>;
}

export async function checkBoundary(run: BoundaryRunner, token: string, volumes: { disk: string; memory: string }): Promise<BoundaryResult> {
  const where = ['--token', token, '--disk', volumes.disk, '--memory', volumes.memory];
  const objects = parseBoundaryLine<BoundaryObjects>(await run.inContainer('a', 'server', ['create', ...where], 'create in pod A'), 'create in pod A');
  // `--key=` form: a negative key would otherwise read as an option.
  const lookArgs = ['look', `--key=${objects.queueKey}`, ...where];
  try {
    const peer = parseBoundaryLine<BoundaryLook>(await run.inContainer('a', 'client', lookArgs, 'look from pod A'), 'look from pod A');
    const host = parseBoundaryLine<BoundaryLook>(await run.onHost(lookArgs, 'look from the host'), 'look from the host');
    const secondPod = parseBoundaryLine<BoundaryLook>(await run.inContainer('b', 'client', lookArgs, 'look from pod B'), 'look from pod B');
    return judgeBoundary(objects, { peer, host, secondPod }, new Date().toISOString());
  } finally {
    await run.inContainer('a', 'server', ['remove', `--key=${objects.queueKey}`, ...where], 'remove in pod A').catch(() => {});
  }
}
