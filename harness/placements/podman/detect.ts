/**
 * What this podman honours, found out rather than assumed from its version: one short
 * pod, played like every other, whose only container reports what it sees. podman 4.3,
 * for one, mounts an emptyDir {medium: Memory} as a plain disk volume and ignores a pod's
 * securityContext.sysctls; it does mount a podman volume made with tmpfs options as tmpfs,
 * and it applies containers.conf's default_sysctls. The session then mounts tmpfs volumes
 * the way that works (or skips the tmpfs cases, saying why) and raises IPC limits the way
 * that works (or says they stay at the defaults). Pure: the pod, and the reading of its log.
 */
import { stringify } from 'yaml';
import { LABEL } from '../../k8s/names.js';

/** Harmless markers: IPC sysctls of the detection pod's own IPC namespace, one per route. */
export const MARK = {
  /** Set in the pod spec: is securityContext.sysctls applied? (kernel default 10) */
  podSpec: { name: 'fs.mqueue.msg_max', value: 11 },
  /** Set through containers.conf default_sysctls: is that route applied? (kernel default 16384) */
  conf: { name: 'kernel.msgmnb', value: 16385 },
} as const;

export const DETECT_MOUNTS = { emptyDirMemory: '/podipc/detect/empty-dir-memory', tmpfsVolume: '/podipc/detect/tmpfs-volume' } as const;

/** What the container prints: `key value` lines, read by `parseDetection`. */
const SCRIPT = [
  `printf 'empty-dir-memory %s\\n' "$(stat -f -c %T ${DETECT_MOUNTS.emptyDirMemory})"`,
  `printf 'tmpfs-volume %s\\n' "$(stat -f -c %T ${DETECT_MOUNTS.tmpfsVolume})"`,
  `printf 'dev-shm %s %s\\n' "$(stat -f -c %T /dev/shm)" "$(stat -f -c '%b*%S' /dev/shm)"`,
  `printf 'pod-sysctl %s\\n' "$(cat /proc/sys/${MARK.podSpec.name.replace(/\./g, '/')})"`,
  `printf 'conf-sysctl %s\\n' "$(cat /proc/sys/${MARK.conf.name.replace(/\./g, '/')})"`,
  `printf 'native-probe %s\\n' "$(test -x /app/build/Release/podipc_probe && echo yes || echo no)"`,
  `printf 'uid %s\\n' "$(id -u)"`,
].join('; ');

export function detectionPodName(runTag: string): string {
  return `p${runTag}-detect`;
}

export function detectionVolumeName(runTag: string): string {
  return `podipc-${runTag}-detect-tmpfs`;
}

/** The detection pod: the probe image, user 1000, an emptyDir {medium: Memory}, a tmpfs podman volume, a pod sysctl. */
export function detectionPodYaml(runTag: string, image: string): string {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: detectionPodName(runTag), labels: { [LABEL.managedBy]: 'podipc', [LABEL.run]: runTag } },
    spec: {
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, sysctls: [{ name: MARK.podSpec.name, value: String(MARK.podSpec.value) }] },
      containers: [
        {
          name: 'detect',
          image,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', SCRIPT],
          volumeMounts: [
            { name: 'memory', mountPath: DETECT_MOUNTS.emptyDirMemory },
            { name: 'tmpfs', mountPath: DETECT_MOUNTS.tmpfsVolume },
          ],
        },
      ],
      volumes: [
        { name: 'memory', emptyDir: { medium: 'Memory' } },
        { name: 'tmpfs', persistentVolumeClaim: { claimName: detectionVolumeName(runTag) } },
      ],
    },
  };
  return stringify(pod, { lineWidth: 0 });
}

export interface Honoured {
  /** emptyDir {medium: Memory} is a tmpfs. */
  emptyDirMemory: boolean;
  /** A podman volume created with tmpfs options is a tmpfs inside the pod. */
  tmpfsVolume: boolean;
  /** The pod's /dev/shm: its filesystem and size. */
  devShm: { fsType: string; bytes: number | undefined };
  /** securityContext.sysctls of a pod spec reach the pod's namespaces. */
  podSysctls: boolean;
  /** containers.conf default_sysctls reach them. */
  confSysctls: boolean;
  /** The image carries the native probe (build/Release/podipc_probe). */
  nativeProbe: boolean;
  /** The user the image's container runs as. */
  uid: number | undefined;
}

/** The container's `key value` lines -> what is honoured; a line that is missing counts as not honoured. */
export function parseDetection(log: string): Honoured {
  const values = new Map<string, string>();
  for (const line of log.split('\n')) {
    const m = /^([a-z-]+) (.*)$/.exec(line.trim());
    if (m) values.set(m[1]!, m[2]!.trim());
  }
  const shm = (values.get('dev-shm') ?? '').split(' ');
  const product = /^(\d+)\*(\d+)$/.exec(shm[1] ?? '');
  const uid = Number(values.get('uid'));
  return {
    emptyDirMemory: values.get('empty-dir-memory') === 'tmpfs',
    tmpfsVolume: values.get('tmpfs-volume') === 'tmpfs',
    devShm: { fsType: shm[0] || 'unknown', bytes: product ? Number(product[1]) * Number(product[2]) : undefined },
    podSysctls: values.get('pod-sysctl') === String(MARK.podSpec.value),
    confSysctls: values.get('conf-sysctl') === String(MARK.conf.value),
    nativeProbe: values.get('native-probe') === 'yes',
    uid: Number.isInteger(uid) && values.has('uid') ? uid : undefined,
  };
}

/** How tmpfs volumes are mounted in this session, or why the tmpfs cases are skipped. */
export type TmpfsRoute = { via: 'emptyDir' | 'tmpfs-volume' } | { via: 'none'; reason: string };

export function tmpfsRoute(h: Honoured): TmpfsRoute {
  // A podman volume of our own is preferred even when emptyDir {medium: Memory} works:
  // it is named per run and pair (emptyDirs become host-wide volumes named after the
  // pod's volume name) and removed by label.
  if (h.tmpfsVolume) return { via: 'tmpfs-volume' };
  if (h.emptyDirMemory) return { via: 'emptyDir' };
  return {
    via: 'none',
    reason: 'this podman mounts emptyDir {medium: Memory} as a disk volume and a tmpfs podman volume did not mount as tmpfs either, so nothing here is memory-backed',
  };
}

export type SysctlRoute = { via: 'pod-spec' | 'containers.conf' } | { via: 'none'; reason: string };

export function sysctlRoute(h: Honoured): SysctlRoute {
  if (h.podSysctls) return { via: 'pod-spec' };
  if (h.confSysctls) return { via: 'containers.conf' };
  return { via: 'none', reason: "this podman applies neither a pod's securityContext.sysctls nor containers.conf default_sysctls" };
}

/** One line for the user: what the runtime honours and what podipc does about it. */
export function describeHonoured(h: Honoured, wantSysctls: boolean): string {
  const tmpfs = tmpfsRoute(h);
  const sysctl = sysctlRoute(h);
  const parts = [
    h.emptyDirMemory ? 'emptyDir {medium: Memory} is tmpfs' : `emptyDir {medium: Memory} is not tmpfs (${tmpfs.via === 'tmpfs-volume' ? 'tmpfs volumes are made as podman volumes with tmpfs options instead' : tmpfs.via === 'none' ? 'tmpfs cases are skipped' : ''})`,
    h.podSysctls
      ? 'pod sysctls are applied'
      : `pod securityContext.sysctls are ignored${wantSysctls ? (sysctl.via === 'containers.conf' ? ' (raised through containers.conf default_sysctls instead)' : ' (IPC limits stay at the kernel defaults)') : ''}`,
    `/dev/shm is ${h.devShm.fsType}${h.devShm.bytes ? ` of ${Math.round(h.devShm.bytes / 1_048_576)} MiB` : ''}`,
  ];
  return `podman honours: ${parts.join('; ')}`;
}
