/**
 * What a mechanism can need from the pod (or from the probe's build), as one table. The
 * matrix compares a mechanism's requirements with what a placement provides; recommend
 * turns them into pod-spec advice; the Kubernetes renderer takes the volumes from here. A
 * new requirement is one row: the Record type makes every field of it mandatory.
 */
import type { RuntimeId } from './vocabulary.js';

export const REQUIREMENTS = ['ipc-namespace', 'shared-dev-shm', 'volume-disk', 'volume-tmpfs', 'native-addon'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

export interface RequirementInfo {
  /** One line for reports: what it is. */
  summary: string;
  /** A requirement of one runtime's probe only (the Node probe's addon), not of the pod. */
  onlyFor?: RuntimeId;
  /**
   * Can two separate pods share it? When false, the matrix skips the mechanism across pods
   * with `crossPodReason`, which is itself the answer to "can I use it between pods?".
   */
  crossPod: boolean;
  /** Why separate pods cannot provide it (shown as the skip reason). */
  crossPodReason: string;
  /** Both sides must be in one IPC namespace (recommend's --no-ipc-namespace excludes these). */
  ipcNamespace: boolean;
  /** What the pod spec needs, in words (recommend). */
  podNeed: string;
  /** Pod-spec YAML lines (under the pod's spec), or none when the default pod works. */
  podSpecYaml?: string;
  /** The emptyDir that provides it in a rendered pod, mounted in both containers. */
  k8sVolume?: { name: string; emptyDir: { medium?: 'Memory'; sizeLimit?: string } };
}

export const REQUIREMENT_INFO: Record<Requirement, RequirementInfo> = {
  'ipc-namespace': {
    summary: 'both sides in one IPC namespace (SysV/POSIX shm, message queues, semaphores)',
    crossPod: false,
    crossPodReason: 'separate pods do not share an IPC namespace (each pod sandbox has its own)',
    ipcNamespace: true,
    podNeed: 'both containers in one pod, sharing its IPC namespace (the Kubernetes default; hostIPC is not needed)',
  },
  'shared-dev-shm': {
    summary: 'both sides see the same /dev/shm (POSIX shm objects and named semaphores live there)',
    crossPod: false,
    crossPodReason: "separate pods do not share /dev/shm (each pod's is its own tmpfs)",
    ipcNamespace: false,
    podNeed:
      'one /dev/shm for both containers: the pod default is a 64 MiB tmpfs (containerd); for larger segments mount an emptyDir with medium: Memory at /dev/shm in both containers',
    podSpecYaml: [
      'volumes:',
      '  - name: dshm',
      '    emptyDir: { medium: Memory, sizeLimit: 256Mi }   # counts against the pod memory limit',
      '# in BOTH containers:',
      '#   volumeMounts: [{ name: dshm, mountPath: /dev/shm }]',
    ].join('\n'),
  },
  'volume-disk': {
    summary: 'an emptyDir on disk mounted in both containers',
    crossPod: false,
    crossPodReason: 'an emptyDir belongs to one pod; separate pods cannot mount the same one',
    ipcNamespace: false,
    podNeed: 'an emptyDir volume (disk) mounted in both containers at the same path',
    podSpecYaml: ['volumes:', '  - name: shared', '    emptyDir: {}', '# in BOTH containers:', '#   volumeMounts: [{ name: shared, mountPath: /shared }]'].join('\n'),
    k8sVolume: { name: 'disk', emptyDir: {} },
  },
  'volume-tmpfs': {
    summary: 'an emptyDir with medium: Memory (tmpfs) mounted in both containers',
    crossPod: false,
    crossPodReason: 'an emptyDir {medium: Memory} belongs to one pod; separate pods cannot mount the same one',
    ipcNamespace: false,
    podNeed: 'an emptyDir with medium: Memory (tmpfs) mounted in both containers; its contents count against the memory limit',
    podSpecYaml: [
      'volumes:',
      '  - name: shared-mem',
      '    emptyDir: { medium: Memory }',
      '# in BOTH containers:',
      '#   volumeMounts: [{ name: shared-mem, mountPath: /shared-mem }]',
    ].join('\n'),
    k8sVolume: { name: 'memory', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
  },
  'native-addon': {
    summary: "the project's N-API addon (bench/native) is built where the Node probe runs",
    // The native probe makes these system calls itself.
    onlyFor: 'node',
    crossPod: true,
    crossPodReason: 'the native addon is built into every probe, in every pod',
    ipcNamespace: false,
    podNeed: 'no pod change; a Node application needs a native binding for these system calls (Node has no built-in API for them)',
  },
};
