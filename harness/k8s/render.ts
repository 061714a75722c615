/**
 * Kubernetes manifests for a podipc run, rendered from the case matrix. Pure: pair specs
 * and options in, plain objects (and YAML text) out; no cluster, no files. The kind
 * placement applies exactly these objects, and `podipc k8s render --out DIR` writes them
 * for reading and review.
 *
 * Layout of a same-pod pair (the thing podipc measures): one pod, a `server` and a `client`
 * container running the probe image, sharing what a pod shares - the network and IPC
 * namespaces (Kubernetes default), the pod's /dev/shm (containerd: a 64 MiB tmpfs per
 * pod), and emptyDir volumes. A cross-pod pair is two pods and a headless Service, for the
 * network mechanisms only.
 */
import { stringify } from 'yaml';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import { requirementsOf } from '../../bench/mechanism.js';
import { findMechanism } from '../../bench/registry.js';
import type { Plan } from '../../core/protocol.js';
import { REQUIREMENT_INFO, type Requirement } from '../../core/requirements.js';
import { sidePlans, soleMechanism, type PairSpec } from '../plan.js';
import { runtimes } from '../runtimes/index.js';
import { DEFAULT_IMAGE, LABEL, labelValue, namespaceName, pairId } from './names.js';
import { EXCEPTION_ANNOTATION, PROFILE_ANNOTATION, undeclaredViolations } from './pod-security.js';

export type K8sObject = IPod | IService | INamespace;

/** Where the volumes appear inside both containers; the plan's `dirs` point here. */
export const MOUNT = {
  /** Rendezvous files and the IPC ledger: the harness's own emptyDir, on the node's disk. */
  shared: '/podipc/shared',
  disk: '/podipc/volumes/disk',
  memory: '/podipc/volumes/memory',
  tmp: '/tmp',
  devShm: '/dev/shm',
} as const;

/** Cross-pod: the server listens on all addresses at this fixed port; the client retries until it answers. */
export const CROSS_POD_PORT = 7070;
/** The image's non-root user (node's `node` user); numeric so kubelet can verify runAsNonRoot. */
export const PROBE_UID = 1000;

/**
 * Limits for the namespaced IPC sysctls when `--raise-ipc-limits` asks for them, so mq
 * mechanisms can send 1 MiB frames without chunking. POSIX mq queues are also capped by
 * RLIMIT_MSGQUEUE (819200 bytes per user by default, not settable from a pod spec), so
 * a mechanism may still have to chunk the largest sizes; it reports the limits it found.
 */
export const RAISED_IPC_LIMITS: Readonly<Record<string, number>> = {
  'fs.mqueue.msgsize_max': 1_048_576,
  'fs.mqueue.msg_max': 64,
  'kernel.msgmax': 1_048_576,
  'kernel.msgmnb': 4_194_304,
};

export interface ResourceOptions {
  /**
   * Guaranteed QoS: requests equal limits with whole CPUs, so the kubelet's static CPU
   * manager (k8s/kind-config-pinned.yaml) gives each container exclusive cores.
   */
  guaranteed: boolean;
  /** CPU limit per container, in cores. Unset (and not guaranteed): no CPU limit (see `containerResources`). */
  cpu?: number | undefined;
  /** Memory limit per container. */
  memoryBytes?: number | undefined;
}

export interface RenderOptions {
  runTag: string;
  sysvSlot: number;
  image: string;
  /** `Never` in kind: the image is loaded into the node, never pulled. */
  imagePullPolicy: 'Never' | 'IfNotPresent' | 'Always';
  /** Raise these IPC sysctls in pods of IPC-namespace mechanisms; undefined keeps the kernel defaults. */
  ipcLimits: Readonly<Record<string, number>> | undefined;
  /** Mount an emptyDir {medium: Memory} of this size at /dev/shm in pods whose mechanism uses it. */
  devShmBytes: number | undefined;
  resources: ResourceOptions;
  /**
   * Nodes to run on (a cluster with several): `a` for the same-pod pod and the cross-pod
   * server, `b` for the cross-pod client. Unset: the scheduler chooses.
   */
  nodes?: { a: string | undefined; b: string | undefined } | undefined;
}

export const DEFAULT_RENDER_OPTIONS: Omit<RenderOptions, 'runTag' | 'sysvSlot'> = {
  image: DEFAULT_IMAGE,
  imagePullPolicy: 'Never',
  ipcLimits: undefined,
  devShmBytes: undefined,
  resources: { guaranteed: false },
};

/** A pair and what its mechanism requires (from the registry), the renderer's input. */
/** A pair to render: a pod is specced for one mechanism (placements that render pods say `pairScope: 'mechanism'`). */
export interface PairInput {
  spec: PairSpec;
  requires: readonly Requirement[];
}

/** The renderer's input for a pair, its requirements from the mechanism registry. */
export function pairInput(spec: PairSpec): PairInput {
  const { mechanism, variant } = soleMechanism(spec);
  const mech = findMechanism(mechanism);
  if (!mech) throw new Error(`no mechanism '${mechanism}' in the registry`);
  return { spec, requires: requirementsOf(mech, variant) };
}

/** The pair's id (and the stem of its pods' names). */
function renderedPairId(spec: PairSpec): string {
  return pairId({ ...soleMechanism(spec), runtime: spec.runtime, topology: spec.topology, run: spec.run });
}

export interface RenderedPair {
  id: string;
  spec: PairSpec;
  /** Applied first: the pod (same-pod), or the server pod and its Service (cross-pod). */
  serverObjects: K8sObject[];
  /** Applied once the server pod runs (cross-pod); empty for same-pod. */
  clientObjects: K8sObject[];
  serverPod: string;
  clientPod: string;
  /** Cross-pod only: the Service whose DNS name the client dials. */
  service: string | undefined;
  plans: { server: Plan; client: Plan };
}

function mebibytes(bytes: number): string {
  return `${Math.ceil(bytes / 1_048_576)}Mi`;
}

const DEFAULT_MEMORY_LIMIT_BYTES = 512 * 1_048_576;

/**
 * Requests and limits of one container. No CPU limit unless asked: a CFS quota throttles a
 * busy-polling side in 100 ms periods, and the stall would be measured as IPC latency.
 */
export function containerResources(r: ResourceOptions): NonNullable<NonNullable<IPod['spec']>['containers'][number]['resources']> {
  const memory = mebibytes(r.memoryBytes ?? DEFAULT_MEMORY_LIMIT_BYTES);
  if (r.guaranteed) {
    // The static CPU manager only pins containers of Guaranteed pods that ask for whole CPUs.
    const cpu = String(Math.max(1, Math.ceil(r.cpu ?? 1)));
    return { requests: { cpu, memory }, limits: { cpu, memory } };
  }
  return {
    requests: { cpu: '100m', memory: '64Mi' },
    limits: { memory, ...(r.cpu !== undefined ? { cpu: `${Math.round(r.cpu * 1000)}m` } : {}) },
  };
}

function baseLabels(opts: RenderOptions): Record<string, string> {
  return {
    [LABEL.name]: 'podipc',
    [LABEL.component]: 'probe',
    [LABEL.managedBy]: 'podipc',
    [LABEL.run]: opts.runTag,
  };
}

function pairLabels(spec: PairSpec, id: string, opts: RenderOptions): Record<string, string> {
  const mechanism = soleMechanism(spec);
  return {
    ...baseLabels(opts),
    [LABEL.pair]: id,
    [LABEL.mechanism]: labelValue(mechanism.mechanism),
    ...(mechanism.variant ? { [LABEL.variant]: labelValue(mechanism.variant) } : {}),
    [LABEL.topology]: spec.topology,
    [LABEL.runtime]: spec.runtime,
  };
}

/** The run's namespace, with the Pod Security admission labels that enforce the profile. */
export function renderNamespace(opts: RenderOptions): INamespace {
  const raises = opts.ipcLimits !== undefined;
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespaceName(opts.runTag),
      labels: {
        ...baseLabels(opts),
        // Unsafe sysctls break baseline too, so a run that raises them cannot be enforced
        // at either level; warn and audit still report every deviation from restricted.
        'pod-security.kubernetes.io/enforce': raises ? 'privileged' : 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/warn-version': 'latest',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/audit-version': 'latest',
      },
      ...(raises
        ? {
            annotations: {
              'podipc.dev/why-not-enforced':
                'this run raises unsafe IPC sysctls (--raise-ipc-limits) in pods of IPC-namespace mechanisms; ' +
                'each such pod names the exception in its podipc.dev/pod-security-exceptions annotation',
            },
          }
        : {}),
    },
  };
}

function describeCases(spec: PairSpec): string {
  return spec.cases.map((c) => `#${c.caseIndex} ${c.probe} ${c.messageBytes} B`).join(', ');
}

/**
 * The plan as readable JSON for the manifest: indented, with each innermost object (a
 * case, the budget, the dirs) on one line, so a reviewer sees one line per case.
 */
export function formatPlan(plan: Plan): string {
  const pretty = JSON.stringify(plan, null, 2);
  return pretty.replace(/\{\n([^{}[\]]*?)\n\s*\}/g, (_m, body: string) => `{ ${body.split('\n').map((l) => l.trim()).join(' ')} }`) + '\n';
}

type Container = NonNullable<IPod['spec']>['containers'][number];
type Volume = NonNullable<NonNullable<IPod['spec']>['volumes']>[number];

function probeContainer(role: 'server' | 'client', spec: PairSpec, plan: Plan, mounts: Container['volumeMounts'], opts: RenderOptions, ports?: Container['ports']): Container {
  return {
    name: role,
    image: opts.image,
    imagePullPolicy: opts.imagePullPolicy,
    // The runtime's probe in the image (harness/runtimes/); it reads the plan from PODIPC_PLAN.
    command: [...runtimes[spec.runtime].imageCommand],
    env: [{ name: 'PODIPC_PLAN', value: formatPlan(plan) }],
    ...(ports ? { ports } : {}),
    resources: containerResources(opts.resources),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: mounts,
  };
}

function podSecurityContext(sysctls: Array<{ name: string; value: string }>): NonNullable<IPod['spec']>['securityContext'] {
  return {
    runAsNonRoot: true,
    runAsUser: PROBE_UID,
    runAsGroup: PROBE_UID,
    seccompProfile: { type: 'RuntimeDefault' },
    ...(sysctls.length > 0 ? { sysctls } : {}),
  };
}

/** Check the pod against restricted; a violation it does not declare is a bug in this file. */
function assertPodSecurity(pod: IPod): IPod {
  const undeclared = undeclaredViolations(pod);
  if (undeclared.length > 0) {
    const list = undeclared.map((v) => `${v.rule} at ${v.field} (${v.detail})`).join('; ');
    throw new Error(`rendered pod ${pod.metadata?.name} breaks the restricted Pod Security profile without saying why: ${list}`);
  }
  return pod;
}

function podObject(
  name: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  opts: RenderOptions,
  containers: Container[],
  volumes: Volume[],
  sysctls: Array<{ name: string; value: string }>,
  node?: string | undefined,
): IPod {
  const exceptions: string[] = [];
  if (sysctls.length > 0) {
    exceptions.push(
      `sysctls: ${sysctls.map((s) => `${s.name}=${s.value}`).join(', ')} are unsafe namespaced IPC sysctls, ` +
        `raised (--raise-ipc-limits) so message queues carry large frames without chunking; ` +
        `the kubelet must allow them (allowedUnsafeSysctls in k8s/kind-config.yaml)`,
    );
  }
  return assertPodSecurity({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: namespaceName(opts.runTag),
      labels,
      annotations: {
        ...annotations,
        ...(exceptions.length > 0 ? { [EXCEPTION_ANNOTATION]: exceptions.join('; ') } : { [PROFILE_ANNOTATION]: 'restricted' }),
      },
    },
    spec: {
      restartPolicy: 'Never',
      // The probe closes its IPC objects on SIGTERM; it needs a moment, not thirty seconds.
      terminationGracePeriodSeconds: 5,
      automountServiceAccountToken: false,
      // No Service environment variables: nothing in the probe reads them.
      enableServiceLinks: false,
      securityContext: podSecurityContext(sysctls),
      // By the node's name (not its hostname label, which may differ), through the scheduler.
      ...(node ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } } } : {}),
      containers,
      volumes,
    },
  });
}

function tmpVolume(role: string): Volume {
  // readOnlyRootFilesystem: each container gets its own writable /tmp, as in the sandbox placement.
  return { name: `tmp-${role}`, emptyDir: { sizeLimit: '64Mi' } };
}

function sharedPlanParts(opts: RenderOptions, withMemory: boolean): Pick<Plan, 'dirs' | 'ipc'> {
  return {
    dirs: { shared: MOUNT.shared, disk: MOUNT.disk, ...(withMemory ? { tmpfs: MOUNT.memory } : {}) },
    ipc: { runTag: opts.runTag, sysvSlot: opts.sysvSlot },
  };
}

function renderSamePod(input: PairInput, opts: RenderOptions): RenderedPair {
  const { spec, requires } = input;
  const id = renderedPairId(spec);
  // Same pod: one network namespace, so loopback and an ephemeral port found via the
  // rendezvous file on the shared emptyDir, exactly as in the process placement.
  const plans = sidePlans(spec, { ...sharedPlanParts(opts, true), net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 } });

  const usesIpc = requires.includes('ipc-namespace');
  const sysctls =
    usesIpc && opts.ipcLimits ? Object.entries(opts.ipcLimits).map(([name, value]) => ({ name, value: String(value) })) : [];
  const bigDevShm = opts.devShmBytes !== undefined && requires.includes('shared-dev-shm');

  const volumes: Volume[] = [
    { name: 'shared', emptyDir: {} },
    REQUIREMENT_INFO['volume-disk'].k8sVolume!,
    REQUIREMENT_INFO['volume-tmpfs'].k8sVolume!,
    tmpVolume('server'),
    tmpVolume('client'),
    ...(bigDevShm ? [{ name: 'dev-shm', emptyDir: { medium: 'Memory', sizeLimit: mebibytes(opts.devShmBytes!) } }] : []),
  ];
  const mounts = (role: 'server' | 'client'): Container['volumeMounts'] => [
    { name: 'shared', mountPath: MOUNT.shared },
    { name: 'disk', mountPath: MOUNT.disk },
    { name: 'memory', mountPath: MOUNT.memory },
    { name: `tmp-${role}`, mountPath: MOUNT.tmp },
    ...(bigDevShm ? [{ name: 'dev-shm', mountPath: MOUNT.devShm }] : []),
  ];
  const annotations: Record<string, string> = {
    'podipc.dev/cases': describeCases(spec),
    'podipc.dev/requires': requires.length > 0 ? requires.join(', ') : 'nothing beyond the pod network',
    'podipc.dev/ipc-limits': sysctls.length > 0 ? 'raised (see securityContext.sysctls)' : 'kernel defaults; mq mechanisms chunk larger frames',
  };
  if (bigDevShm) {
    annotations['podipc.dev/dev-shm'] =
      `an emptyDir {medium: Memory, sizeLimit: ${mebibytes(opts.devShmBytes!)}} replaces the runtime's 64 MiB /dev/shm ` +
      `because --dev-shm-mib asked for a larger one; both containers mount it, so POSIX shm and named semaphores stay shared`;
  }
  const pod = podObject(
    id,
    pairLabels(spec, id, opts),
    annotations,
    opts,
    [probeContainer('server', spec, plans.server, mounts('server'), opts), probeContainer('client', spec, plans.client, mounts('client'), opts)],
    volumes,
    sysctls,
    opts.nodes?.a,
  );
  return { id, spec, serverObjects: [pod], clientObjects: [], serverPod: id, clientPod: id, service: undefined, plans };
}

function renderCrossPod(input: PairInput, opts: RenderOptions): RenderedPair {
  const { spec, requires } = input;
  const id = renderedPairId(spec);
  const serverPod = `${id}-server`;
  const clientPod = `${id}-client`;
  const service = `${id}-server`;
  const namespace = namespaceName(opts.runTag);
  // Separate pods share no directory, so no rendezvous: the server listens on every
  // address at a fixed port and the client dials the headless Service's DNS name (which
  // resolves to the server pod's IP) with retries until the setup timeout.
  const plans = sidePlans(spec, {
    ...sharedPlanParts(opts, false),
    net: { listenHost: '0.0.0.0', connectHost: `${service}.${namespace}.svc.cluster.local`, port: CROSS_POD_PORT },
  });
  const volumes = (role: 'server' | 'client'): Volume[] => [{ name: 'shared', emptyDir: {} }, { name: 'disk', emptyDir: {} }, tmpVolume(role)];
  const mounts = (role: 'server' | 'client'): Container['volumeMounts'] => [
    { name: 'shared', mountPath: MOUNT.shared },
    { name: 'disk', mountPath: MOUNT.disk },
    { name: `tmp-${role}`, mountPath: MOUNT.tmp },
  ];
  const annotations = {
    'podipc.dev/cases': describeCases(spec),
    'podipc.dev/requires': requires.length > 0 ? requires.join(', ') : 'nothing beyond the pod network',
  };
  const labels = (role: 'server' | 'client'): Record<string, string> => ({ ...pairLabels(spec, id, opts), [LABEL.role]: role });
  const ports: Container['ports'] = [
    { name: 'probe-tcp', containerPort: CROSS_POD_PORT, protocol: 'TCP' },
    { name: 'probe-udp', containerPort: CROSS_POD_PORT, protocol: 'UDP' },
  ];
  const server = podObject(serverPod, labels('server'), annotations, opts, [probeContainer('server', spec, plans.server, mounts('server'), opts, ports)], volumes('server'), [], opts.nodes?.a);
  const client = podObject(clientPod, labels('client'), annotations, opts, [probeContainer('client', spec, plans.client, mounts('client'), opts)], volumes('client'), [], opts.nodes?.b);
  const svc: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: service, namespace, labels: pairLabels(spec, id, opts) },
    spec: {
      // Headless: the name resolves straight to the pod IP, no kube-proxy hop in the path.
      clusterIP: 'None',
      // The probe has no readiness probe; publish the address as soon as the pod has one.
      publishNotReadyAddresses: true,
      selector: { [LABEL.pair]: id, [LABEL.role]: 'server' },
      ports: [
        { name: 'probe-tcp', port: CROSS_POD_PORT, targetPort: CROSS_POD_PORT, protocol: 'TCP' },
        { name: 'probe-udp', port: CROSS_POD_PORT, targetPort: CROSS_POD_PORT, protocol: 'UDP' },
      ],
    },
  };
  return { id, spec, serverObjects: [server, svc], clientObjects: [client], serverPod, clientPod, service, plans };
}

/** Render one pair: a pod (same-pod) or two pods and a headless Service (cross-pod). */
export function renderPair(input: PairInput, opts: RenderOptions): RenderedPair {
  return input.spec.topology === 'same-pod' ? renderSamePod(input, opts) : renderCrossPod(input, opts);
}

export interface RenderedRun {
  namespace: INamespace;
  pairs: RenderedPair[];
}

export function renderRun(inputs: readonly PairInput[], opts: RenderOptions): RenderedRun {
  const pairs = inputs.map((input) => renderPair(input, opts));
  const ids = new Set<string>();
  for (const p of pairs) {
    if (ids.has(p.id)) throw new Error(`two pairs render to the same name '${p.id}': pair specs must differ in mechanism, variant, topology or run`);
    ids.add(p.id);
  }
  return { namespace: renderNamespace(opts), pairs };
}

/** Objects as a multi-document YAML stream, in apply order, with a header comment. */
export function toYaml(objects: readonly K8sObject[], header?: string): string {
  const docs = objects.map((o) => stringify(o, { lineWidth: 0 }));
  const head = header ? header.split('\n').map((l) => (l ? `# ${l}` : '#')).join('\n') + '\n' : '';
  return head + docs.map((d) => `---\n${d}`).join('');
}
