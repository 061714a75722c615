/**
 * From the manifests every image placement renders (harness/k8s/render.ts, the same
 * objects kind applies) to what `podman kube play` runs correctly. Pure, and only what
 * podman needs changed:
 *
 * - names: a Kubernetes namespace isolates a run's pods; podman has none, so pods get the
 *   run tag in their name (`p<tag>-<pair id>`), and every volume becomes a podman volume of
 *   the run's own (`podipc-<tag>-<pod>-<volume>`, created and removed by the session, by
 *   label) instead of an emptyDir - which podman turns into a host-wide volume named after
 *   the pod's volume name, shared by any two pods that use the same name;
 * - tmpfs: an emptyDir {medium: Memory} becomes a tmpfs podman volume of the same size when
 *   the detection found that route (podman 4.3 ignores the medium);
 * - annotation values over 63 bytes are dropped (podman 4.3 rejects them: "value length
 *   exceeds Kubernetes max 63", a label rule it applies to annotations; they document the
 *   pod for reviewers, nothing reads them);
 * - container ports are dropped: kube play publishes every containerPort on the host's
 *   0.0.0.0, which a pod in Kubernetes never does, and which would expose the probe and
 *   collide between runs;
 * - Services and the Namespace are dropped: cross-pod, the client reaches the server at
 *   the static address it gets on the run's own network, through a hostAliases entry for
 *   the Service name the plan dials;
 * - a pod spec's sysctls move to the session's containers.conf when podman ignores them.
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import { stringify } from 'yaml';
import { LABEL } from '../../k8s/names.js';
import type { K8sObject, RenderedPair } from '../../k8s/render.js';
import type { SysctlRoute, TmpfsRoute } from './detect.js';

/** podman 4.3's limit for annotation values (it applies the label rule). */
export const ANNOTATION_VALUE_MAX_BYTES = 63;

export interface PodmanVolume {
  name: string;
  /** Set for a memory-backed volume: tmpfs of this size. */
  tmpfsBytes?: number;
}

export interface PodmanPod {
  /** The pod's name in podman; its containers are `<name>-<container>`. */
  name: string;
  role: 'pair' | 'server' | 'client';
  yaml: string;
  /** `none` (same pod: loopback only) or the run's network with this pod's address. */
  network: { kind: 'none' } | { kind: 'network'; name: string; ip: string };
}

export interface PodmanPair {
  id: string;
  /** In the order they are played: the server's pod first. */
  pods: PodmanPod[];
  volumes: PodmanVolume[];
  serverContainer: string;
  clientContainer: string;
  /** The pod spec sysctls (name=value) the session must apply another way. */
  sysctls: string[];
  /** What was changed, for the log and the facts. */
  dropped: { annotations: string[]; ports: boolean };
}

export interface AdaptOptions {
  runTag: string;
  tmpfs: TmpfsRoute;
  sysctls: SysctlRoute;
  /** Cross-pod: the run's network and the two addresses on it. */
  network?: { name: string; serverIp: string; clientIp: string };
}

export function podmanPodName(runTag: string, k8sName: string): string {
  return `p${runTag}-${k8sName}`;
}

export function podmanVolumeName(runTag: string, k8sPod: string, volume: string): string {
  return `podipc-${runTag}-${k8sPod}-${volume}`;
}

/** "256Mi" -> bytes; the renderer writes only Mi and Gi. */
export function quantityBytes(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q;
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) return undefined;
  const unit = { Ki: 1024, Mi: 1_048_576, Gi: 1_073_741_824 }[m[2] as 'Ki' | 'Mi' | 'Gi'] ?? 1;
  return Number(m[1]) * unit;
}

/** The default tmpfs size when a memory emptyDir names none (the renderer always does). */
const DEFAULT_TMPFS_BYTES = 64 * 1_048_576;

function adaptPod(pod: IPod, role: PodmanPod['role'], o: AdaptOptions, out: { volumes: PodmanVolume[]; sysctls: string[]; dropped: string[]; ports: boolean }, hostAlias?: { ip: string; hostname: string }): { name: string; yaml: string } {
  const k8sName = pod.metadata?.name ?? 'pod';
  const name = podmanPodName(o.runTag, k8sName);
  const copy = structuredClone(pod);
  const metadata = copy.metadata ?? {};
  metadata.name = name;
  delete metadata.namespace;
  const annotations = { ...(metadata.annotations ?? {}) };
  for (const [key, value] of Object.entries(annotations)) {
    if (Buffer.byteLength(value) > ANNOTATION_VALUE_MAX_BYTES) {
      delete annotations[key];
      if (!out.dropped.includes(key)) out.dropped.push(key);
    }
  }
  metadata.annotations = annotations;
  copy.metadata = metadata;
  const spec = copy.spec!;
  for (const c of spec.containers) {
    if (c.ports) {
      delete c.ports;
      out.ports = true;
    }
  }
  const sysctls = spec.securityContext?.sysctls ?? [];
  if (sysctls.length > 0 && o.sysctls.via !== 'pod-spec') {
    for (const s of sysctls) if (!out.sysctls.includes(`${s.name}=${s.value}`)) out.sysctls.push(`${s.name}=${s.value}`);
    delete spec.securityContext!.sysctls;
  }
  spec.volumes = (spec.volumes ?? []).map((v) => {
    if (!v.emptyDir) return v;
    const memory = v.emptyDir.medium === 'Memory';
    if (memory && o.tmpfs.via === 'emptyDir') return v;
    const claimName = podmanVolumeName(o.runTag, k8sName, v.name);
    const tmpfsBytes = memory && o.tmpfs.via === 'tmpfs-volume' ? (quantityBytes(v.emptyDir.sizeLimit) ?? DEFAULT_TMPFS_BYTES) : undefined;
    out.volumes.push({ name: claimName, ...(tmpfsBytes !== undefined ? { tmpfsBytes } : {}) });
    return { name: v.name, persistentVolumeClaim: { claimName } };
  });
  if (hostAlias) spec.hostAliases = [{ ip: hostAlias.ip, hostnames: [hostAlias.hostname] }];
  return { name, yaml: stringify(copy, { lineWidth: 0 }) };
}

function pods(objects: readonly K8sObject[]): IPod[] {
  return objects.filter((o): o is IPod => o.kind === 'Pod');
}

export function adaptPair(pair: RenderedPair, o: AdaptOptions): PodmanPair {
  const acc = { volumes: [] as PodmanVolume[], sysctls: [] as string[], dropped: [] as string[], ports: false };
  const out: PodmanPod[] = [];
  if (pair.spec.topology === 'same-pod') {
    const [pod] = pods(pair.serverObjects);
    if (!pod) throw new Error(`pair ${pair.id} rendered no pod`);
    const a = adaptPod(pod, 'pair', o, acc);
    out.push({ ...a, role: 'pair', network: { kind: 'none' } });
    return { id: pair.id, pods: out, volumes: acc.volumes, serverContainer: `${a.name}-server`, clientContainer: `${a.name}-client`, sysctls: acc.sysctls, dropped: { annotations: acc.dropped, ports: acc.ports } };
  }
  if (!o.network) throw new Error(`cross-pod pair ${pair.id} needs the run's network`);
  const [server] = pods(pair.serverObjects);
  const [client] = pods(pair.clientObjects);
  if (!server || !client) throw new Error(`cross-pod pair ${pair.id} rendered no server or client pod`);
  const s = adaptPod(server, 'server', o, acc);
  // The plan dials the headless Service's DNS name; here that name is the server's address.
  const c = adaptPod(client, 'client', o, acc, { ip: o.network.serverIp, hostname: pair.plans.client.net.connectHost });
  out.push({ ...s, role: 'server', network: { kind: 'network', name: o.network.name, ip: o.network.serverIp } });
  out.push({ ...c, role: 'client', network: { kind: 'network', name: o.network.name, ip: o.network.clientIp } });
  return { id: pair.id, pods: out, volumes: acc.volumes, serverContainer: `${s.name}-server`, clientContainer: `${c.name}-client`, sysctls: acc.sysctls, dropped: { annotations: acc.dropped, ports: acc.ports } };
}

/** The labels every podman object of a run carries (pods get theirs from the manifest). */
export function runLabel(runTag: string): string {
  return `${LABEL.run}=${runTag}`;
}
