/**
 * The kind placement's command plans, as pure functions: given what is known (settings,
 * the clusters that exist, the rendered manifests), return the list of commands to run.
 * Nothing here spawns a process; `exec.ts` does, and the tests read these lists.
 *
 * Every kubectl command names the context explicitly (`--context kind-podipc`), so a run
 * never touches whatever cluster the user's current context points at.
 */
import { join } from 'node:path';
import { CLUSTER_NAME, KUBE_CONTEXT, LABEL, NODE_NAME, namespaceName } from '../../k8s/names.js';
import { toYaml, type RenderedPair } from '../../k8s/render.js';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import { pairDeadlineMs } from '../pair.js';
import type { RunStep, Step, WatchStep } from './steps.js';

export interface ClusterSettings {
  /** The repository root: the Docker build context, and where k8s/ lives. */
  root: string;
  /** k8s/kind-config.yaml, or k8s/kind-config-pinned.yaml for the static CPU manager. */
  configFile: string;
  /** A kindest/node image (e.g. to stay on a Kubernetes version that supports cgroup v1). */
  nodeImage: string | undefined;
  image: string;
}

/** The first pod on a fresh node can wait for the CNI; later ones start in a second or two. */
export const POD_START_TIMEOUT_MS = 120_000;
const KIND_CREATE_WAIT = '180s';

/** kubectl against one named context, never the user's current one. */
export function kubectlIn(context: string, ...args: string[]): string[] {
  return ['kubectl', '--context', context, ...args];
}

export function kubectl(...args: string[]): string[] {
  return kubectlIn(KUBE_CONTEXT, ...args);
}

export function configPath(root: string, pinned: boolean): string {
  return join(root, 'k8s', pinned ? 'kind-config-pinned.yaml' : 'kind-config.yaml');
}

export function listClustersStep(): RunStep {
  return { kind: 'run', purpose: 'list kind clusters', argv: ['kind', 'get', 'clusters'], timeoutMs: 30_000, capture: 'clusters' };
}

/** `kind get clusters` prints one name per line (and "No kind clusters found." on stderr). */
export function parseClusters(stdout: string | undefined): string[] {
  return (stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Create the cluster unless it exists; an existing cluster is used as it is. */
export function ensureClusterPlan(existing: readonly string[], s: ClusterSettings): Step[] {
  if (existing.includes(CLUSTER_NAME)) return [];
  return [
    {
      kind: 'run',
      purpose: `create the kind cluster '${CLUSTER_NAME}' (${s.configFile})`,
      argv: ['kind', 'create', 'cluster', '--name', CLUSTER_NAME, '--config', s.configFile, '--wait', KIND_CREATE_WAIT, ...(s.nodeImage ? ['--image', s.nodeImage] : [])],
      timeoutMs: 600_000,
    },
  ];
}

/**
 * Build the probe image from the working tree and copy it into the node, no registry
 * involved. The copy goes through a saved archive (`kind load image-archive`): `kind load
 * docker-image` asks Docker for the image by name, which fails with Docker's containerd
 * image store; `docker save` works with both stores.
 */
export function imagePlan(s: ClusterSettings, archive: string): Step[] {
  return [
    {
      kind: 'run',
      purpose: `build the probe image ${s.image} (k8s/Dockerfile)`,
      argv: ['docker', 'build', '--file', join(s.root, 'k8s', 'Dockerfile'), '--tag', s.image, s.root],
      timeoutMs: 1_800_000,
    },
    { kind: 'run', purpose: `save ${s.image} to ${archive}`, argv: ['docker', 'save', '--output', archive, s.image], timeoutMs: 600_000 },
    {
      kind: 'run',
      purpose: `load ${s.image} into the kind node`,
      argv: ['kind', 'load', 'image-archive', archive, '--name', CLUSTER_NAME],
      timeoutMs: 600_000,
    },
    { kind: 'run', purpose: `remove ${archive}`, argv: ['rm', '-f', archive], timeoutMs: 30_000, always: true },
    {
      kind: 'run',
      purpose: `record the image id of ${s.image}`,
      argv: ['docker', 'image', 'inspect', '--format', '{{.Id}}', s.image],
      timeoutMs: 30_000,
      capture: 'image-id',
      optional: true,
    },
  ];
}

/** Which cluster the facts are read from: kind's own, or any context (the k8s placement). */
export interface FactsTarget {
  context: string;
  /** Nodes whose kubelet configuration (CPU manager, allowed sysctls) is read. */
  configzNode: string | undefined;
  kind: boolean;
}

export const KIND_TARGET: FactsTarget = { context: KUBE_CONTEXT, configzNode: NODE_NAME, kind: true };

/** Facts for results.json `env`: Kubernetes version, the node, the kubelet's CPU manager policy. */
export function factsPlan(target: FactsTarget = KIND_TARGET): Step[] {
  return [
    ...(target.kind ? [{ kind: 'run', purpose: 'record the kind version', argv: ['kind', 'version'], timeoutMs: 30_000, capture: 'kind-version', optional: true } as const] : []),
    { kind: 'run', purpose: 'record the Kubernetes version', argv: kubectlIn(target.context, 'version', '--output', 'json'), timeoutMs: 30_000, capture: 'k8s-version' },
    { kind: 'run', purpose: 'record the node', argv: kubectlIn(target.context, 'get', 'nodes', '--output', 'json'), timeoutMs: 30_000, capture: 'nodes' },
    ...(target.configzNode
      ? [
          {
            kind: 'run',
            purpose: "record the kubelet's configuration (CPU manager policy, allowed sysctls)",
            argv: kubectlIn(target.context, 'get', '--raw', `/api/v1/nodes/${target.configzNode}/proxy/configz`),
            timeoutMs: 30_000,
            capture: 'kubelet-config',
            optional: true,
          } as const,
        ]
      : []),
  ];
}

function apply(context: string, purpose: string, yaml: string): RunStep {
  return { kind: 'run', purpose, argv: kubectlIn(context, 'apply', '--filename', '-'), stdin: yaml, timeoutMs: 60_000 };
}

export function namespacePlan(namespace: INamespace, context: string = KUBE_CONTEXT): Step[] {
  return [apply(context, `create the run's namespace ${namespace.metadata?.name}`, toYaml([namespace]))];
}

function watch(context: string, purpose: string, namespace: string, pod: string, container: string, state: 'running' | 'terminated', timeoutMs: number, capture: WatchStep['capture']): WatchStep {
  return {
    kind: 'watch',
    purpose,
    argv: kubectlIn(context, 'get', 'pod', pod, '--namespace', namespace, '--output', 'json', '--watch'),
    until: { pod, container, state },
    timeoutMs,
    ...(capture ? { capture } : {}),
  };
}

/**
 * One pair: create its objects, wait for the client to finish, collect both logs, delete
 * the pair. Cross-pod, the client pod is created only once the server pod runs, so the
 * Service's DNS name resolves by the time the client dials it. The deletion waits for the
 * pods to be gone: a server still winding down would otherwise share the CPUs with the
 * next pair's measurement.
 */
export function pairPlan(pair: RenderedPair, runTag: string, context: string = KUBE_CONTEXT): Step[] {
  const kc = (...args: string[]): string[] => kubectlIn(context, ...args);
  const ns = namespaceName(runTag);
  const finishMs = POD_START_TIMEOUT_MS + pairDeadlineMs(pair.spec);
  const steps: Step[] = [];
  if (pair.clientObjects.length === 0) {
    steps.push(apply(context, `create pod ${pair.id}`, toYaml(pair.serverObjects)));
    steps.push(watch(context, `wait for ${pair.id} to finish its ${pair.spec.cases.length} cases`, ns, pair.clientPod, 'client', 'terminated', finishMs, 'client-pod'));
  } else {
    steps.push(apply(context, `create server pod and Service of ${pair.id}`, toYaml(pair.serverObjects)));
    steps.push(watch(context, `wait for the server pod ${pair.serverPod} to run`, ns, pair.serverPod, 'server', 'running', POD_START_TIMEOUT_MS, 'server-pod'));
    steps.push(apply(context, `create client pod of ${pair.id}`, toYaml(pair.clientObjects)));
    steps.push(watch(context, `wait for ${pair.clientPod} to finish its ${pair.spec.cases.length} cases`, ns, pair.clientPod, 'client', 'terminated', finishMs, 'client-pod'));
  }
  steps.push(
    { kind: 'run', purpose: `read the client log of ${pair.id}`, argv: kc('logs', pair.clientPod, '--namespace', ns, '--container', 'client'), timeoutMs: 60_000, capture: 'client-log', always: true, optional: true },
    { kind: 'run', purpose: `read the server log of ${pair.id}`, argv: kc('logs', pair.serverPod, '--namespace', ns, '--container', 'server', '--tail', '50'), timeoutMs: 60_000, capture: 'server-log', always: true, optional: true },
  );
  if (pair.clientObjects.length > 0) {
    steps.push({ kind: 'run', purpose: `read the status of ${pair.serverPod}`, argv: kc('get', 'pod', pair.serverPod, '--namespace', ns, '--output', 'json'), timeoutMs: 30_000, capture: 'server-pod', always: true, optional: true });
  }
  steps.push({
    kind: 'run',
    purpose: `delete the pods of ${pair.id}`,
    argv: kc('delete', 'pods,services', '--namespace', ns, '--selector', `${LABEL.pair}=${pair.id}`, '--ignore-not-found', '--wait=true', '--timeout=90s'),
    timeoutMs: 120_000,
    always: true,
  });
  return steps;
}

/**
 * End of the session: delete the run's namespace (and with it anything a crashed step
 * left). After Ctrl-C the deletion is not awaited - the API server finishes it - so the
 * harness exits promptly. The cluster stays unless `--teardown`.
 */
export function closePlan(runTag: string, o: { interrupted: boolean; teardown: boolean; namespaceCreated: boolean }, context: string = KUBE_CONTEXT): Step[] {
  const steps: Step[] = [];
  if (o.namespaceCreated) {
    steps.push({
      kind: 'run',
      purpose: `delete the run's namespace ${namespaceName(runTag)}`,
      argv: kubectlIn(context, 'delete', 'namespace', namespaceName(runTag), '--ignore-not-found', `--wait=${o.interrupted ? 'false' : 'true'}`, '--timeout=120s'),
      timeoutMs: 150_000,
      always: true,
    });
  }
  if (o.teardown) steps.push(...clusterDownPlan());
  return steps;
}

export function clusterDownPlan(): Step[] {
  return [{ kind: 'run', purpose: `delete the kind cluster '${CLUSTER_NAME}'`, argv: ['kind', 'delete', 'cluster', '--name', CLUSTER_NAME], timeoutMs: 300_000, always: true }];
}
