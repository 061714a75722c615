/**
 * The podman placement's command plans, as pure functions (the kind placement's model):
 * given what is known - the adapted pods, the run tag, the network - return the commands
 * to run. `session.ts` runs them with the kind placement's step runner; tests read them.
 *
 * Every object a run creates carries the label podipc.dev/run=<tag> (pods and their
 * containers from the manifest, volumes and the network from here), so the session's
 * close() and a test can find exactly the run's own objects, never anyone else's.
 */
import { createHash } from 'node:crypto';
import { PROBE_UID } from '../../k8s/render.js';
import { engineArgv, type Engine } from '../../image/engine.js';
import { pairDeadlineMs } from '../pair.js';
import type { PairSpec } from '../../plan.js';
import type { RunStep, Step } from '../kind/steps.js';
import { runLabel, type PodmanPair, type PodmanPod, type PodmanVolume } from './adapt.js';

/** A pod on this host starts in about a second; the first one may build podman's infra image. */
export const POD_START_TIMEOUT_MS = 60_000;
/** kube down stops what is still running with SIGTERM, then SIGKILL after the pod's grace period. */
const DOWN_TIMEOUT_MS = 60_000;

/** The run's cross-pod network: in the benchmarking range 198.18.0.0/15, never a private one. */
export interface RunNetwork {
  name: string;
  subnet: string;
  serverIp: string;
  clientIp: string;
}

/** 198.18.0.0/24 belongs to the sandbox placement's veth pair; podman networks take 198.19.x.0/24. */
export function chooseSubnet(runTag: string, taken: readonly string[]): RunNetwork['subnet'] | undefined {
  const start = createHash('sha256').update(runTag).digest()[0]!;
  for (let i = 0; i < 256; i++) {
    const subnet = `198.19.${(start + i) % 256}.0/24`;
    if (!taken.includes(subnet)) return subnet;
  }
  return undefined;
}

export function runNetwork(runTag: string, subnet: string): RunNetwork {
  const prefix = subnet.replace(/\.0\/24$/, '');
  // .1 is the gateway host-local reserves even on an internal network.
  return { name: `podipc-${runTag}`, subnet, serverIp: `${prefix}.2`, clientIp: `${prefix}.3` };
}

/** `podman network ls --format json` -> every subnet in use. */
export function takenSubnets(json: string | undefined): string[] {
  try {
    const nets = JSON.parse(json ?? '[]') as Array<{ subnets?: Array<{ subnet?: string }> }>;
    return nets.flatMap((n) => (n.subnets ?? []).map((s) => s.subnet ?? '')).filter(Boolean);
  } catch {
    return [];
  }
}

export function listNetworksStep(engine: Engine): RunStep {
  return { kind: 'run', purpose: 'list podman networks (to pick a free subnet)', argv: engineArgv(engine, 'network', 'ls', '--format', 'json'), timeoutMs: 30_000, capture: 'podman-networks' };
}

/**
 * `--internal`: no gateway, no address on the host's bridge, no NAT - the two pods reach
 * each other and nothing else.
 */
export function createNetworkStep(engine: Engine, net: RunNetwork, runTag: string): RunStep {
  return {
    kind: 'run',
    purpose: `create the run's network ${net.name} (${net.subnet}, internal)`,
    argv: engineArgv(engine, 'network', 'create', '--internal', '--subnet', net.subnet, '--label', runLabel(runTag), net.name),
    timeoutMs: 30_000,
  };
}

export function removeNetworkStep(engine: Engine, name: string): RunStep {
  return { kind: 'run', purpose: `remove the network ${name}`, argv: engineArgv(engine, 'network', 'rm', '--force', name), timeoutMs: 60_000, always: true };
}

/** tmpfs as a podman volume: `size=` is taken for a quota option by podman 4.3, so the size is in pages. */
export function createVolumeStep(engine: Engine, v: PodmanVolume, runTag: string): RunStep {
  const tmpfs = v.tmpfsBytes !== undefined ? ['--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', `o=nr_blocks=${Math.ceil(v.tmpfsBytes / 4096)},uid=${PROBE_UID},gid=${PROBE_UID},mode=0770`] : [];
  return {
    kind: 'run',
    purpose: `create the volume ${v.name}${v.tmpfsBytes !== undefined ? ` (tmpfs, ${Math.round(v.tmpfsBytes / 1_048_576)} MiB)` : ''}`,
    argv: engineArgv(engine, 'volume', 'create', '--label', runLabel(runTag), ...tmpfs, v.name),
    timeoutMs: 30_000,
  };
}

export function removeVolumesStep(engine: Engine, names: readonly string[]): RunStep {
  return { kind: 'run', purpose: `remove the volumes ${names.join(', ')}`, argv: engineArgv(engine, 'volume', 'rm', '--force', ...names), timeoutMs: 60_000, always: true };
}

export function playStep(engine: Engine, pod: PodmanPod): RunStep {
  const network = pod.network.kind === 'none' ? ['--network', 'none'] : ['--network', pod.network.name, '--ip', pod.network.ip];
  return {
    kind: 'run',
    purpose: `kube play ${pod.name}`,
    argv: engineArgv(engine, 'kube', 'play', ...network, '-'),
    stdin: pod.yaml,
    timeoutMs: POD_START_TIMEOUT_MS,
  };
}

export function downStep(engine: Engine, pod: PodmanPod): RunStep {
  return { kind: 'run', purpose: `kube down ${pod.name}`, argv: engineArgv(engine, 'kube', 'down', '-'), stdin: pod.yaml, timeoutMs: DOWN_TIMEOUT_MS, always: true };
}

export interface PairPlan {
  /** Volumes, then the pods (server first). */
  up: Step[];
  /** Wait for the client, then read both logs and the containers' states (these always run). */
  collect: Step[];
  /** kube down every pod, remove the volumes: always, also after a failure or Ctrl-C. */
  down: Step[];
}

export function pairPlan(engine: Engine, pair: PodmanPair, spec: PairSpec, runTag: string): PairPlan {
  const up: Step[] = [...pair.volumes.map((v) => createVolumeStep(engine, v, runTag)), ...pair.pods.map((p) => playStep(engine, p))];
  const collect: Step[] = [
    {
      kind: 'run',
      purpose: `wait for ${pair.clientContainer} to finish its ${spec.cases.length} cases`,
      argv: engineArgv(engine, 'wait', pair.clientContainer),
      timeoutMs: POD_START_TIMEOUT_MS + pairDeadlineMs(spec),
      capture: 'client-exit',
    },
    { kind: 'run', purpose: `read the client log of ${pair.id}`, argv: engineArgv(engine, 'logs', pair.clientContainer), timeoutMs: 60_000, capture: 'client-log', always: true, optional: true },
    { kind: 'run', purpose: `read the server log of ${pair.id}`, argv: engineArgv(engine, 'logs', '--tail', '50', pair.serverContainer), timeoutMs: 60_000, capture: 'server-log', always: true, optional: true },
    {
      kind: 'run',
      purpose: `read the container states of ${pair.id}`,
      argv: engineArgv(engine, 'container', 'inspect', '--format', 'json', pair.clientContainer, pair.serverContainer),
      timeoutMs: 30_000,
      capture: 'podman-inspect',
      always: true,
      optional: true,
    },
  ];
  const down: Step[] = [...[...pair.pods].reverse().map((p) => downStep(engine, p)), ...(pair.volumes.length > 0 ? [removeVolumesStep(engine, pair.volumes.map((v) => v.name))] : [])];
  return { up, collect, down };
}

/** What close() finds by the run's label: pods, volumes and networks a failed step may have left. */
export function sweepListSteps(engine: Engine, runTag: string): RunStep[] {
  const filter = `label=${runLabel(runTag)}`;
  return [
    { kind: 'run', purpose: "list the run's pods", argv: engineArgv(engine, 'pod', 'ps', '--filter', filter, '--format', '{{.Name}}'), timeoutMs: 30_000, capture: 'podman-pods', always: true, optional: true },
    { kind: 'run', purpose: "list the run's volumes", argv: engineArgv(engine, 'volume', 'ls', '--filter', filter, '--format', '{{.Name}}'), timeoutMs: 30_000, capture: 'podman-volumes', always: true, optional: true },
    { kind: 'run', purpose: "list the run's networks", argv: engineArgv(engine, 'network', 'ls', '--filter', filter, '--format', '{{.Name}}'), timeoutMs: 30_000, capture: 'podman-networks', always: true, optional: true },
  ];
}

function names(text: string | undefined): string[] {
  return (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Remove what the listing found: pods (with their containers) first, then volumes, then networks. */
export function sweepRemoveSteps(engine: Engine, listed: { pods?: string; volumes?: string; networks?: string }): RunStep[] {
  const steps: RunStep[] = [];
  const pods = names(listed.pods);
  const volumes = names(listed.volumes);
  const networks = names(listed.networks);
  if (pods.length > 0) steps.push({ kind: 'run', purpose: `remove the pods ${pods.join(', ')}`, argv: engineArgv(engine, 'pod', 'rm', '--force', '--time', '2', ...pods), timeoutMs: 120_000, always: true });
  if (volumes.length > 0) steps.push(removeVolumesStep(engine, volumes));
  for (const n of networks) steps.push(removeNetworkStep(engine, n));
  return steps;
}

/** The detection pod's plan: its tmpfs volume, play it with the marker containers.conf, read, remove. */
export function detectionPlan(engine: Engine, o: { runTag: string; yaml: string; podName: string; volume: string }): { up: Step[]; collect: Step[]; down: Step[] } {
  const pod: PodmanPod = { name: o.podName, role: 'pair', yaml: o.yaml, network: { kind: 'none' } };
  const container = `${o.podName}-detect`;
  return {
    up: [createVolumeStep(engine, { name: o.volume, tmpfsBytes: 16 * 1_048_576 }, o.runTag), playStep(engine, pod)],
    collect: [
      { kind: 'run', purpose: 'wait for the detection pod', argv: engineArgv(engine, 'wait', container), timeoutMs: POD_START_TIMEOUT_MS, capture: 'client-exit' },
      { kind: 'run', purpose: 'read what the detection pod saw', argv: engineArgv(engine, 'logs', container), timeoutMs: 30_000, capture: 'client-log', always: true, optional: true },
    ],
    down: [downStep(engine, pod), removeVolumesStep(engine, [o.volume])],
  };
}
