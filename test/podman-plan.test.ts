/**
 * The podman placement up to the podman edge, as data: the kind manifests adapted to what
 * `podman kube play` runs correctly (run-scoped names, volumes of the run's own, tmpfs the
 * way that works, long annotations and host ports dropped, the Service replaced by an
 * address), the commands a pair and a sweep issue, the subnet choice, what a detection
 * log means, and a pair's outcome from `podman container inspect`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { podmanAdaptation } from '../harness/image/engine.js';
import { DEFAULT_RENDER_OPTIONS, pairInput, RAISED_IPC_LIMITS, renderPair, type RenderOptions } from '../harness/k8s/render.js';
import { pairOutcome } from '../harness/placements/kind/outcome.js';
import type { RunStep } from '../harness/placements/kind/steps.js';
import { adaptPair, ANNOTATION_VALUE_MAX_BYTES, type AdaptOptions } from '../harness/placements/podman/adapt.js';
import { chooseSubnet, pairPlan, runNetwork, sweepRemoveSteps, takenSubnets, createNetworkStep, createVolumeStep } from '../harness/placements/podman/commands.js';
import { describeHonoured, parseDetection, sysctlRoute, tmpfsRoute } from '../harness/placements/podman/detect.js';
import { podFromInspect } from '../harness/placements/podman/outcome.js';
import type { PairSpec } from '../harness/plan.js';
import { NODE_PROBE_COMMAND_LINE_FLAGS } from '../core/node-probe.js';

const engine = { id: 'podman' as const, command: ['podman'], env: {} };
const TAG = 't3st';
const render = (o: Partial<RenderOptions> = {}): RenderOptions => ({ ...DEFAULT_RENDER_OPTIONS, runTag: TAG, sysvSlot: 7, ...o });
const spec = (mechanism: string, topology: PairSpec['topology'], variant?: string): PairSpec => ({
  runtime: 'node',
  topology,
  run: 0,
  // Enough cases that the rendered case list is longer than podman's annotation limit.
  cases: [64, 1024, 16_384, 262_144, 1_048_576].map((messageBytes, caseIndex) => ({ caseIndex, mechanism, ...(variant ? { variant } : {}), probe: 'latency' as const, messageBytes })),
  budget: { warmupMs: 10, warmupRoundTrips: 10, measureMs: 40, setupTimeoutMs: 10_000 },
});
const viaVolume: AdaptOptions = { runTag: TAG, tmpfs: { via: 'tmpfs-volume' }, sysctls: { via: 'containers.conf' } };
const network = { name: `podipc-${TAG}`, serverIp: '198.19.5.2', clientIp: '198.19.5.3' };

function podOf(yaml: string): IPod {
  return parse(yaml) as IPod;
}

test('same pod: one pod named for the run, every volume a podman volume of its own, tmpfs as a tmpfs volume, nothing published', () => {
  const pair = adaptPair(renderPair(pairInput(spec('file-tmpfs', 'same-pod')), render()), viaVolume);
  assert.equal(pair.pods.length, 1);
  const [p] = pair.pods;
  assert.equal(p!.name, 'pt3st-file-tmpfs-sp-r0');
  assert.deepEqual(p!.network, { kind: 'none' }, 'same pod: loopback only, never a default network');
  assert.equal(pair.serverContainer, 'pt3st-file-tmpfs-sp-r0-server');
  assert.equal(pair.clientContainer, 'pt3st-file-tmpfs-sp-r0-client');
  const pod = podOf(p!.yaml);
  assert.equal(pod.metadata?.namespace, undefined);
  assert.equal(pod.metadata?.labels?.['podipc.dev/run'], TAG, 'the run label, for the sweep');
  for (const [k, v] of Object.entries(pod.metadata?.annotations ?? {})) assert.ok(Buffer.byteLength(v) <= ANNOTATION_VALUE_MAX_BYTES, `${k} fits podman's limit`);
  assert.ok(pair.dropped.annotations.includes('podipc.dev/cases'), 'the long case list was dropped');
  for (const v of pod.spec?.volumes ?? []) {
    assert.equal(v.emptyDir, undefined, `${v.name}: no emptyDir (podman would share it host-wide by name)`);
    assert.equal(v.persistentVolumeClaim?.claimName, `podipc-${TAG}-file-tmpfs-sp-r0-${v.name}`);
  }
  const memory = pair.volumes.find((v) => v.name.endsWith('-memory'));
  assert.equal(memory?.tmpfsBytes, 256 * 1_048_576, 'the memory volume keeps its sizeLimit, as tmpfs');
  assert.ok(pair.volumes.filter((v) => v !== memory).every((v) => v.tmpfsBytes === undefined), 'the other volumes are on disk');
  assert.ok(pod.spec?.containers.every((c) => c.ports === undefined));
  const command = ['node', ...NODE_PROBE_COMMAND_LINE_FLAGS, '/app/dist/bench/entrypoint.js'];
  assert.deepEqual(pod.spec?.containers.map((c) => c.command), [command, command], "the runtime's image command, with the probe's V8 flags, from the renderer");
});

test('without a tmpfs route the memory volume is a plain volume (the matrix skips the tmpfs cases); with emptyDir honoured it stays one', () => {
  const none = adaptPair(renderPair(pairInput(spec('uds', 'same-pod')), render()), { ...viaVolume, tmpfs: { via: 'none', reason: 'x' } });
  assert.ok(none.volumes.every((v) => v.tmpfsBytes === undefined));
  const honoured = adaptPair(renderPair(pairInput(spec('uds', 'same-pod')), render()), { ...viaVolume, tmpfs: { via: 'emptyDir' } });
  const memory = podOf(honoured.pods[0]!.yaml).spec?.volumes?.find((v) => v.name === 'memory');
  assert.equal(memory?.emptyDir?.medium, 'Memory');
  assert.ok(!honoured.volumes.some((v) => v.name.endsWith('-memory')));
});

test('raised IPC limits leave the pod spec for containers.conf when podman ignores pod sysctls, and stay when it does not', () => {
  const input = pairInput(spec('mq-posix', 'same-pod'));
  const moved = adaptPair(renderPair(input, render({ ipcLimits: RAISED_IPC_LIMITS })), viaVolume);
  assert.deepEqual(moved.sysctls.sort(), Object.entries(RAISED_IPC_LIMITS).map(([k, v]) => `${k}=${v}`).sort());
  assert.equal(podOf(moved.pods[0]!.yaml).spec?.securityContext?.sysctls, undefined);
  const kept = adaptPair(renderPair(input, render({ ipcLimits: RAISED_IPC_LIMITS })), { ...viaVolume, sysctls: { via: 'pod-spec' } });
  assert.deepEqual(kept.sysctls, []);
  assert.equal(podOf(kept.pods[0]!.yaml).spec?.securityContext?.sysctls?.length, 4);
  assert.match(podmanAdaptation({ nofileHard: undefined, nprocHard: undefined, capSysResource: true, cgroupHybrid: false, runcPath: undefined }, moved.sysctls).containersConf ?? '', /default_sysctls/);
});

test("cross pod: the server's pod first, both on the run's network at fixed addresses, the client resolving the Service name to the server", () => {
  const rendered = renderPair(pairInput(spec('tcp', 'cross-pod')), render());
  const pair = adaptPair(rendered, { ...viaVolume, network });
  assert.deepEqual(pair.pods.map((p) => [p.role, p.name]), [['server', 'pt3st-tcp-xp-r0-server'], ['client', 'pt3st-tcp-xp-r0-client']]);
  assert.deepEqual(pair.pods.map((p) => p.network), [
    { kind: 'network', name: network.name, ip: network.serverIp },
    { kind: 'network', name: network.name, ip: network.clientIp },
  ]);
  const client = podOf(pair.pods[1]!.yaml);
  assert.deepEqual(client.spec?.hostAliases, [{ ip: network.serverIp, hostnames: [rendered.plans.client.net.connectHost] }]);
  assert.equal(podOf(pair.pods[0]!.yaml).spec?.hostAliases, undefined);
  assert.ok(rendered.serverObjects.some((o) => o.kind === 'Pod' && o.spec?.containers.some((c) => c.ports)), 'the kind manifest has containerPorts');
  assert.ok(pair.pods.every((p) => podOf(p.yaml).spec?.containers.every((c) => c.ports === undefined)), "no containerPorts: kube play would publish them on the host's 0.0.0.0");
  assert.ok(pair.dropped.ports);
  assert.ok(!pair.pods.some((p) => /kind: Service/.test(p.yaml)));
  assert.throws(() => adaptPair(rendered, viaVolume), /needs the run's network/);
});

test('a pair plan: volumes, kube play with an explicit network, wait, logs, inspect; kube down and volume removal always run', () => {
  const s = spec('tcp', 'cross-pod');
  const pair = adaptPair(renderPair(pairInput(s), render()), { ...viaVolume, network });
  const plan = pairPlan(engine, pair, s, TAG);
  const argv = (steps: readonly { argv: readonly string[] }[]): string[] => steps.map((x) => x.argv.join(' '));
  const up = argv(plan.up);
  assert.ok(up.slice(0, pair.volumes.length).every((a) => a.startsWith(`podman volume create --label podipc.dev/run=${TAG} `)));
  assert.deepEqual(up.slice(pair.volumes.length), [`podman kube play --network ${network.name} --ip ${network.serverIp} -`, `podman kube play --network ${network.name} --ip ${network.clientIp} -`]);
  assert.ok(plan.up.filter((x) => x.argv.includes('play')).every((x) => (x as RunStep).stdin?.includes('kind: Pod')), 'the pod YAML goes in on stdin');
  assert.equal(argv(plan.collect)[0], `podman wait ${pair.clientContainer}`);
  assert.ok(plan.collect.slice(1).every((x) => x.always), 'logs and states are read after a failure too');
  assert.deepEqual(argv(plan.down).slice(0, 2), ['podman kube down -', 'podman kube down -']);
  assert.ok(plan.down.every((x) => x.always), 'teardown always runs');
  assert.match(argv(plan.down).at(-1)!, new RegExp(`^podman volume rm --force podipc-${TAG}-`));
  const same = adaptPair(renderPair(pairInput(spec('tcp', 'same-pod')), render()), viaVolume);
  assert.deepEqual(argv(pairPlan(engine, same, spec('tcp', 'same-pod'), TAG).up).filter((a) => a.includes('play')), ['podman kube play --network none -']);
});

test('tmpfs volumes are sized in pages (podman takes size= for a quota option) and owned by the probe user', () => {
  assert.deepEqual(createVolumeStep(engine, { name: 'v', tmpfsBytes: 256 * 1_048_576 }, TAG).argv, [
    'podman', 'volume', 'create', '--label', `podipc.dev/run=${TAG}`, '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=nr_blocks=65536,uid=1000,gid=1000,mode=0770', 'v',
  ]);
});

test("the cross-pod network is internal and in 198.19.0.0/16, clear of the sandbox's 198.18.0.0/24 and of every network in use", () => {
  const taken = takenSubnets(JSON.stringify([{ subnets: [{ subnet: '10.88.0.0/16' }] }, { subnets: [{ subnet: '198.19.40.0/24' }] }]));
  assert.deepEqual(taken, ['10.88.0.0/16', '198.19.40.0/24']);
  const subnet = chooseSubnet(TAG, taken)!;
  assert.match(subnet, /^198\.19\.\d{1,3}\.0\/24$/);
  assert.equal(chooseSubnet(TAG, [subnet]) === subnet, false, 'a taken subnet is skipped');
  const all = Array.from({ length: 256 }, (_, i) => `198.19.${i}.0/24`);
  assert.equal(chooseSubnet(TAG, all), undefined);
  const net = runNetwork(TAG, '198.19.7.0/24');
  assert.deepEqual(net, { name: `podipc-${TAG}`, subnet: '198.19.7.0/24', serverIp: '198.19.7.2', clientIp: '198.19.7.3' });
  assert.deepEqual(createNetworkStep(engine, net, TAG).argv, ['podman', 'network', 'create', '--internal', '--subnet', '198.19.7.0/24', '--label', `podipc.dev/run=${TAG}`, `podipc-${TAG}`]);
});

test('the sweep removes what the listing found: pods first, then volumes, then networks', () => {
  const steps = sweepRemoveSteps(engine, { pods: 'a\nb\n', volumes: 'v1\n', networks: `podipc-${TAG}\n` });
  assert.deepEqual(steps.map((s) => s.argv.join(' ')), ['podman pod rm --force --time 2 a b', 'podman volume rm --force v1', `podman network rm --force podipc-${TAG}`]);
  assert.ok(steps.every((s) => s.always));
  assert.deepEqual(sweepRemoveSteps(engine, {}), []);
});

test("the detection pod's log says what podman honours, and the routes follow", () => {
  const podman43 = parseDetection('empty-dir-memory ext2/ext3\ntmpfs-volume tmpfs\ndev-shm tmpfs 16000*4096\npod-sysctl 10\nconf-sysctl 16385\nnative-probe no\nuid 1000\n');
  assert.deepEqual(podman43, { emptyDirMemory: false, tmpfsVolume: true, devShm: { fsType: 'tmpfs', bytes: 65_536_000 }, podSysctls: false, confSysctls: true, nativeProbe: false, uid: 1000 });
  assert.deepEqual(tmpfsRoute(podman43), { via: 'tmpfs-volume' });
  assert.deepEqual(sysctlRoute(podman43), { via: 'containers.conf' });
  assert.match(describeHonoured(podman43, true), /emptyDir \{medium: Memory\} is not tmpfs \(tmpfs volumes are made as podman volumes with tmpfs options instead\); pod securityContext.sysctls are ignored \(raised through containers.conf default_sysctls instead\); \/dev\/shm is tmpfs of 63 MiB/);
  const nothing = parseDetection('');
  assert.equal(tmpfsRoute(nothing).via, 'none');
  assert.match((tmpfsRoute(nothing) as { reason: string }).reason, /nothing here is memory-backed/);
  assert.equal(sysctlRoute(nothing).via, 'none');
  assert.equal(nothing.uid, undefined);
  assert.deepEqual(tmpfsRoute({ ...nothing, emptyDirMemory: true }), { via: 'emptyDir' });
});

test("a pair's outcome from podman container inspect: exit codes and OOM kills read as kind reads a pod", () => {
  const inspect = (client: object, server: object): string => JSON.stringify([{ Name: 'p-x-client', State: client }, { Name: 'p-x-server', State: server }]);
  const names = { client: 'p-x-client', server: 'p-x-server' };
  const ok = pairOutcome({ clientLog: '', serverLog: '', clientPod: podFromInspect(inspect({ Status: 'exited', ExitCode: 0 }, { Status: 'running', Running: true }), names), serverPod: undefined, stepFailure: undefined, interrupted: false });
  assert.equal(ok.failure, undefined);
  const pod = podFromInspect(inspect({ Status: 'exited', ExitCode: 1 }, { Status: 'exited', ExitCode: 137, OOMKilled: true }), names);
  const failed = pairOutcome({ clientLog: 'probe client: boom', serverLog: '', clientPod: pod, serverPod: pod, stepFailure: undefined, interrupted: false });
  assert.match(failed.failure ?? '', /the client container ended with exit code 1 \(Error\); the server container ended with exit code 137 \(OOMKilled\)/);
  assert.equal(podFromInspect('not json', names), undefined);
});
