/**
 * The kind placement's command plan, checked as data: which commands a run issues (build,
 * load, apply, wait, logs, delete), in which order, against which context, and which of
 * them run on every path out. Then the same plans executed by the runner against stand-in
 * docker/kind/kubectl scripts that record their calls: the whole session up to the
 * cluster edge, including a stuck pod, a timeout and Ctrl-C.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { PairSpec } from '../harness/plan.js';
import {
  closePlan,
  configPath,
  ensureClusterPlan,
  factsPlan,
  imagePlan,
  namespacePlan,
  pairPlan,
  parseClusters,
  type ClusterSettings,
} from '../harness/placements/kind/commands.js';
import { runSteps, splitJsonObjects } from '../harness/placements/kind/exec.js';
import { podProgress } from '../harness/placements/kind/pod-status.js';
import type { Step } from '../harness/placements/kind/steps.js';
import { clusterFacts } from '../harness/placements/kind/facts.js';
import { kindPlacement } from '../harness/placements/kind.js';
import { PACKAGE_ROOT as REPO_ROOT } from '../harness/paths.js';
import { renderNamespace, renderPair, type RenderOptions } from '../harness/k8s/render.js';
import { fakeBin, withPath, type FakeBin } from './helpers/fake-bin.js';

const tmp = mkdtempSync(join(tmpdir(), 'podipc-kind-plan-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const LOG_FIXTURE = fileURLToPath(new URL('../../test/fixtures/good/k8s/logs/client-tcp-same-pod.log', import.meta.url));

const CLUSTER: ClusterSettings = { root: '/src/podipc', configFile: '/src/podipc/k8s/kind-config.yaml', nodeImage: undefined, image: 'podipc-probe:local' };
const OPTS: RenderOptions = {
  runTag: 'plan01',
  sysvSlot: 3,
  image: 'podipc-probe:local',
  imagePullPolicy: 'Never',
  ipcLimits: undefined,
  devShmBytes: undefined,
  resources: { guaranteed: false },
};

function spec(topology: PairSpec['topology'], mechanism = 'tcp'): PairSpec {
  return {
    runtime: 'node',
    topology,
    run: 1,
    cases: [
      { caseIndex: 0, mechanism, probe: 'latency', messageBytes: 64 },
      { caseIndex: 1, mechanism, probe: 'throughput', messageBytes: 1024 },
      { caseIndex: 2, mechanism, probe: 'latency', messageBytes: 65536 },
    ],
    budget: { warmupMs: 10, warmupRoundTrips: 0, measureMs: 60, setupTimeoutMs: 10_000 },
  };
}

/** A step as "verb object" for order checks: `kubectl apply`, `watch tcp-sp-r1/client terminated`, ... */
function verb(step: Step): string {
  if (step.kind === 'watch') return `watch ${step.until.pod}/${step.until.container} ${step.until.state}`;
  const [program, ...rest] = step.argv;
  const args = program === 'kubectl' ? rest.slice(2) : rest; // past --context kind-podipc
  return `${program} ${args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}`;
}

function allKubectlHaveContext(steps: readonly Step[]): void {
  for (const s of steps) {
    if (s.argv[0] === 'kubectl') assert.deepEqual(s.argv.slice(1, 3), ['--context', 'kind-podipc'], s.argv.join(' '));
  }
}

test('cluster: an existing podipc cluster is used as it is; a missing one is created from k8s/kind-config.yaml', () => {
  assert.deepEqual(ensureClusterPlan(['other', 'podipc'], CLUSTER), []);
  const create = ensureClusterPlan(['other'], CLUSTER);
  assert.equal(create.length, 1);
  assert.deepEqual(create[0]!.argv, ['kind', 'create', 'cluster', '--name', 'podipc', '--config', '/src/podipc/k8s/kind-config.yaml', '--wait', '180s']);
  const pinned = ensureClusterPlan([], { ...CLUSTER, configFile: configPath('/src/podipc', true), nodeImage: 'kindest/node:v1.34.0' });
  assert.deepEqual(pinned[0]!.argv.slice(5), ['--config', '/src/podipc/k8s/kind-config-pinned.yaml', '--wait', '180s', '--image', 'kindest/node:v1.34.0']);
  assert.deepEqual(parseClusters('podipc\nkind\n'), ['podipc', 'kind']);
  assert.deepEqual(parseClusters(''), []);
});

test('image: docker build from the repository root with k8s/Dockerfile, then into the node through a saved archive (both Docker image stores)', () => {
  const steps = imagePlan(CLUSTER, '/tmp/podipc-x-image.tar');
  assert.deepEqual(steps.map((s) => s.argv), [
    ['docker', 'build', '--file', '/src/podipc/k8s/Dockerfile', '--tag', 'podipc-probe:local', '/src/podipc'],
    ['docker', 'save', '--output', '/tmp/podipc-x-image.tar', 'podipc-probe:local'],
    ['kind', 'load', 'image-archive', '/tmp/podipc-x-image.tar', '--name', 'podipc'],
    ['rm', '-f', '/tmp/podipc-x-image.tar'],
    ['docker', 'image', 'inspect', '--format', '{{.Id}}', 'podipc-probe:local'],
  ]);
  assert.equal(steps[3]!.always, true, 'the archive is removed after a failed load too');
  assert.equal(steps[4]!.optional, true);
  assert.ok(existsSync(join(REPO_ROOT, 'k8s', 'Dockerfile')), 'REPO_ROOT points at the repository');
  assert.ok(existsSync(configPath(REPO_ROOT, false)) && existsSync(configPath(REPO_ROOT, true)));
});

test('facts and namespace: version, node, kubelet config; the namespace applied from its rendered YAML', () => {
  const facts = factsPlan();
  allKubectlHaveContext(facts);
  assert.deepEqual(facts.map(verb), ['kind version', 'kubectl version json', 'kubectl get nodes', 'kubectl get /api/v1/nodes/podipc-control-plane/proxy/configz']);
  const ns = namespacePlan(renderNamespace(OPTS));
  allKubectlHaveContext(ns);
  const step = ns[0]!;
  assert.equal(step.kind, 'run');
  assert.deepEqual(step.argv.slice(3), ['apply', '--filename', '-']);
  const doc = parseAllDocuments(step.kind === 'run' ? step.stdin! : '')[0]!.toJS() as { kind: string; metadata: { name: string } };
  assert.equal(doc.kind, 'Namespace');
  assert.equal(doc.metadata.name, 'podipc-plan01');
});

test('same-pod pair: apply the pod, watch the client finish, read both logs, delete the pair (always)', () => {
  const pair = renderPair({ spec: spec('same-pod'), requires: [] }, OPTS);
  const steps = pairPlan(pair, 'plan01');
  allKubectlHaveContext(steps);
  assert.deepEqual(steps.map(verb), ['kubectl apply', 'watch tcp-sp-r1/client terminated', 'kubectl logs tcp-sp-r1', 'kubectl logs tcp-sp-r1', 'kubectl delete pods,services']);
  assert.deepEqual(steps.map((s) => Boolean(s.always)), [false, false, true, true, true], 'logs and delete run on every path out');
  const apply = steps[0]!;
  assert.ok(apply.kind === 'run' && apply.stdin);
  const docs = parseAllDocuments(apply.stdin).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } });
  assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`), ['Pod/podipc-plan01/tcp-sp-r1']);
  const watch = steps[1]!;
  assert.ok(watch.kind === 'watch');
  assert.ok(watch.argv.includes('--watch') && watch.argv.includes('json'));
  // The wait covers pod start-up plus the pair's own deadline: never shorter than the cases need.
  assert.ok(watch.timeoutMs > 3 * (10 + 60 + 2 * 10_000));
  assert.deepEqual(steps[2]!.argv.slice(3), ['logs', 'tcp-sp-r1', '--namespace', 'podipc-plan01', '--container', 'client']);
  assert.equal(steps[2]!.capture, 'client-log');
  const del = steps[4]!;
  assert.ok(del.argv.includes('podipc.dev/pair=tcp-sp-r1'));
  assert.ok(del.argv.includes('--wait=true'), 'the next pair does not share the CPUs with a server still winding down');
});

test('cross-pod pair: server and Service first, the client only once the server runs', () => {
  const pair = renderPair({ spec: spec('cross-pod'), requires: [] }, OPTS);
  const steps = pairPlan(pair, 'plan01');
  allKubectlHaveContext(steps);
  assert.deepEqual(steps.map(verb), [
    'kubectl apply',
    'watch tcp-xp-r1-server/server running',
    'kubectl apply',
    'watch tcp-xp-r1-client/client terminated',
    'kubectl logs tcp-xp-r1-client',
    'kubectl logs tcp-xp-r1-server',
    'kubectl get pod',
    'kubectl delete pods,services',
  ]);
  const kinds = (s: Step): string[] => (s.kind === 'run' && s.stdin ? parseAllDocuments(s.stdin).map((d) => (d.toJS() as { kind: string }).kind) : []);
  assert.deepEqual(kinds(steps[0]!), ['Pod', 'Service']);
  assert.deepEqual(kinds(steps[2]!), ['Pod']);
});

test('close: delete the namespace (awaited normally, not after Ctrl-C); the cluster only with --teardown', () => {
  const normal = closePlan('plan01', { interrupted: false, teardown: false, namespaceCreated: true });
  allKubectlHaveContext(normal);
  assert.deepEqual(normal.map((s) => s.argv.slice(3)), [['delete', 'namespace', 'podipc-plan01', '--ignore-not-found', '--wait=true', '--timeout=120s']]);
  const interrupted = closePlan('plan01', { interrupted: true, teardown: false, namespaceCreated: true });
  assert.ok(interrupted[0]!.argv.includes('--wait=false'));
  const teardown = closePlan('plan01', { interrupted: false, teardown: true, namespaceCreated: true });
  assert.deepEqual(teardown.map((s) => s.argv.join(' ')).slice(1), ['kind delete cluster --name podipc']);
  assert.deepEqual(closePlan('plan01', { interrupted: false, teardown: false, namespaceCreated: false }), []);
  assert.ok([...normal, ...teardown].every((s) => s.always));
});

// --- reading pods -----------------------------------------------------------------------

const podWith = (statuses: unknown[], extra: Record<string, unknown> = {}): unknown => ({ status: { phase: 'Running', containerStatuses: statuses, ...extra } });
const WANT_CLIENT = { pod: 'p', container: 'client', state: 'terminated' } as const;

test('podProgress: done when the client terminates, whatever its exit code (the log says what happened)', () => {
  assert.equal(podProgress(podWith([{ name: 'client', state: { running: {} } }]), WANT_CLIENT).kind, 'waiting');
  const ok = podProgress(podWith([{ name: 'client', state: { terminated: { exitCode: 0, reason: 'Completed' } } }]), WANT_CLIENT);
  assert.deepEqual(ok, { kind: 'done', detail: 'p/client exit code 0 (Completed)' });
  assert.equal(podProgress(podWith([{ name: 'client', state: { terminated: { exitCode: 2, reason: 'Error' } } }]), WANT_CLIENT).kind, 'done');
});

test('podProgress: stuck on what waiting cannot fix - a missing image, a forbidden sysctl, a server that exited early', () => {
  const image = podProgress(podWith([{ name: 'client', state: { waiting: { reason: 'ErrImageNeverPull', message: 'Container image "podipc-probe:local" is not present with pull policy of Never' } } }], { phase: 'Pending' }), WANT_CLIENT);
  assert.equal(image.kind, 'stuck');
  assert.match(image.detail, /ErrImageNeverPull: Container image "podipc-probe:local" is not present/);
  const sysctl = podProgress({ status: { phase: 'Failed', reason: 'SysctlForbidden', message: 'Pod forbidden sysctl: "fs.mqueue.msgsize_max" not allowlisted' } }, WANT_CLIENT);
  assert.equal(sysctl.kind, 'stuck');
  assert.match(sysctl.detail, /SysctlForbidden: Pod forbidden sysctl/);
  const early = podProgress(podWith([{ name: 'server', state: { terminated: { exitCode: 2, reason: 'Error' } } }]), { pod: 's', container: 'server', state: 'running' });
  assert.equal(early.kind, 'stuck');
  assert.match(early.detail, /exited before it was needed: exit code 2/);
});

test('podProgress: an unscheduled pod keeps waiting (the previous pair may still be releasing its requests)', () => {
  const p = podProgress({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }] } }, WANT_CLIENT);
  assert.equal(p.kind, 'waiting');
  assert.match(p.detail, /Insufficient cpu/);
  assert.equal(podProgress(undefined, WANT_CLIENT).kind, 'waiting');
});

test('splitJsonObjects: the pods of a watch stream, split across chunks, braces in strings ignored', () => {
  const a = JSON.stringify({ metadata: { name: 'a{' } }, null, 2);
  const b = JSON.stringify({ status: { message: 'has "} quotes' } });
  const whole = `${a}\n${b}\n`;
  const first = splitJsonObjects(whole.slice(0, a.length + 5));
  assert.deepEqual(first.objects.map((o) => JSON.parse(o)), [JSON.parse(a)]);
  const second = splitJsonObjects(first.rest + whole.slice(a.length + 5));
  assert.deepEqual(second.objects.map((o) => JSON.parse(o)), [JSON.parse(b)]);
  assert.equal(second.rest.trim(), '');
});

test('clusterFacts: Kubernetes version, node and kubelet policy from what the facts commands print', () => {
  const facts = clusterFacts({
    'k8s-version': JSON.stringify({ clientVersion: { gitVersion: 'v1.32.4' }, serverVersion: { gitVersion: 'v1.34.0' } }),
    nodes: JSON.stringify({ items: [{ metadata: { name: 'podipc-control-plane' }, status: { capacity: { cpu: '2', memory: '24Gi' }, nodeInfo: { kubeletVersion: 'v1.34.0', kernelVersion: '6.18.0', osImage: 'Debian GNU/Linux 12', containerRuntimeVersion: 'containerd://2.1.4', architecture: 'amd64' } } }] }),
    'kubelet-config': JSON.stringify({ kubeletconfig: { allowedUnsafeSysctls: ['fs.mqueue.*', 'kernel.msg*', 'kernel.shm*'] } }),
    'kind-version': 'kind v0.30.0 go1.24.6 linux/amd64\n',
  });
  assert.equal(facts.k8sVersion, 'v1.34.0');
  assert.equal(facts.node?.kernelVersion, '6.18.0');
  assert.equal(facts.node?.cpuCapacity, '2');
  assert.equal(facts.cpuManagerPolicy, 'none', 'configz leaves the default policy out');
  assert.deepEqual(facts.allowedUnsafeSysctls, ['fs.mqueue.*', 'kernel.msg*', 'kernel.shm*']);
  assert.equal(facts.kindVersion, 'kind v0.30.0 go1.24.6 linux/amd64');
  assert.deepEqual(clusterFacts({}), {});
});

// --- the runner ---------------------------------------------------------------------------

let binCount = 0;
function script(body: string): string {
  const path = join(tmp, `s${binCount++}.sh`);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('runSteps: after the first failure only `always` steps run; optional failures are notes; captures keep stdout', async () => {
  const marker = join(tmp, 'cleanup-ran');
  const steps: Step[] = [
    { kind: 'run', purpose: 'say hello', argv: [script('echo hello')], timeoutMs: 10_000, capture: 'clusters' },
    { kind: 'run', purpose: 'optional thing', argv: [script('echo nope >&2; exit 3')], timeoutMs: 10_000, optional: true },
    { kind: 'run', purpose: 'apply', argv: [script('cat >/dev/null; echo "forbidden: bad" >&2; exit 1')], stdin: 'kind: Pod\n', timeoutMs: 10_000 },
    { kind: 'run', purpose: 'skipped after failure', argv: [script(`touch ${marker}.wrong`)], timeoutMs: 10_000 },
    { kind: 'run', purpose: 'cleanup', argv: [script(`touch ${marker}`)], timeoutMs: 10_000, always: true },
  ];
  const r = await runSteps(steps);
  assert.equal(r.captures.clusters, 'hello\n');
  assert.equal(r.notes.length, 1);
  assert.match(r.notes[0]!, /optional thing failed .*exited with code 3: nope/);
  assert.match(r.failure!, /^apply failed \(`.*`\): exited with code 1: forbidden: bad$/);
  assert.ok(existsSync(marker), 'the always step ran');
  assert.ok(!existsSync(`${marker}.wrong`), 'the step after the failure did not');
  assert.equal(r.interrupted, false);
});

test('runSteps: a missing program and a timeout are failures that say so', async () => {
  const missing = await runSteps([{ kind: 'run', purpose: 'kind', argv: ['podipc-no-such-program'], timeoutMs: 5000 }]);
  assert.match(missing.failure!, /podipc-no-such-program is not on PATH/);
  const slow = await runSteps([{ kind: 'run', purpose: 'slow', argv: [script('exec /bin/sleep 30')], timeoutMs: 200 }]);
  assert.match(slow.failure!, /slow failed .*timed out after 0 s/);
});

// --- the whole session against stand-in CLIs ----------------------------------------------

/** docker, kind and kubectl stand-ins: each records its arguments; kubectl answers like a cluster. */
function fakeCluster(opts: { clusterExists: boolean; clientWaiting?: string; watchHangs?: boolean }): FakeBin {
  const clientState = opts.clientWaiting
    ? `{"waiting":{"reason":"${opts.clientWaiting}","message":"Container image \\"podipc-probe:local\\" is not present with pull policy of Never"}}`
    : '{"terminated":{"exitCode":0,"reason":"Completed"}}';
  return fakeBin(tmp, {
    docker: `case "$1" in info) echo 28.2.2;; image) echo sha256:0123abcd;; build) echo built;; esac`,
    kind: `case "$1" in get) ${opts.clusterExists ? 'echo podipc' : 'echo "No kind clusters found." >&2'};; version) echo "kind v0.30.0 go1.24.6 linux/amd64";; esac`,
    kubectl: `shift 2
case "$1" in
  apply) cat > /dev/null;;
  version) echo '{"serverVersion":{"gitVersion":"v1.34.0"}}';;
  logs) case "$*" in *"--container client"*) cat '${LOG_FIXTURE}';; *) echo "probe server: done";; esac;;
  delete) ;;
  get)
    case "$*" in
      *--raw*) echo '{"kubeletconfig":{"allowedUnsafeSysctls":["fs.mqueue.*"]}}';;
      *nodes*) echo '{"items":[{"metadata":{"name":"podipc-control-plane"},"status":{"capacity":{"cpu":"2"},"nodeInfo":{"kubeletVersion":"v1.34.0","kernelVersion":"6.18.0"}}}]}';;
      *--watch*)
        ${opts.watchHangs ? 'echo \'{"status":{"phase":"Pending"}}\'; exec /bin/sleep 30' : ''}
        case "$3" in
          *-server) printf '{\\n "status": {"phase": "Running", "containerStatuses": [{"name": "server", "state": {"running": {}}}]}\\n}\\n';;
          *) printf '{"status":{"phase":"Pending"}}\\n{\\n "status": {"phase": "Running", "containerStatuses": [\\n  {"name": "client", "state": ${clientState.replace(/\\/g, '\\\\')}}]}\\n}\\n';;
        esac
        exec /bin/sleep 30;;
      *) echo '{"status":{"phase":"Succeeded","containerStatuses":[{"name":"server","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}';;
    esac;;
esac`,
  });
}

const NEVER = new AbortController().signal;
const OPEN = { runTag: 'fake01', sysvSlot: 9, resources: {}, log: () => {} };

test('a whole session against stand-in CLIs: build, load, facts, namespace, two pairs, delete - results from the client log', async () => {
  const fake = fakeCluster({ clusterExists: true });
  const { same, cross, env } = await withPath(fake.dir, async () => {
    assert.deepEqual(await kindPlacement.check(), { ok: true });
    const session = await kindPlacement.open(OPEN);
    const same = await session.runPair(spec('same-pod'), NEVER);
    const cross = await session.runPair(spec('cross-pod'), NEVER);
    const env = session.facts();
    await session.close();
    await session.close(); // idempotent
    return { same, cross, env };
  });
  for (const outcome of [same, cross]) {
    assert.equal(outcome.failure, undefined);
    assert.deepEqual(outcome.lines.map((l) => `${l.caseIndex} ${l.status}`), ['0 ok', '1 ok', '2 ok']);
  }
  assert.equal(env.k8sVersion, 'v1.34.0');
  const kind = env.details as Record<string, unknown>;
  assert.equal(kind.imageId, 'sha256:0123abcd');
  assert.equal(kind.cpuManagerPolicy, 'none');
  assert.equal(kind.createdCluster, false);
  // The checkout itself may live under the temp dir (a clone in /tmp): name it first.
  const calls = fake.calls().map((c) => c.replace(/ --namespace podipc-fake01| --context kind-podipc/g, '').replaceAll(REPO_ROOT, '<repo>').replaceAll(tmpdir(), '/TMP').replaceAll('<repo>', REPO_ROOT));
  assert.deepEqual(calls, [
    'docker info --format {{.ServerVersion}}',
    'kind get clusters',
    `docker build --file ${REPO_ROOT}/k8s/Dockerfile --tag podipc-probe:local ${REPO_ROOT}`,
    'docker save --output /TMP/podipc-fake01-image.tar podipc-probe:local',
    'kind load image-archive /TMP/podipc-fake01-image.tar --name podipc',
    'docker image inspect --format {{.Id}} podipc-probe:local',
    'kind version',
    'kubectl version --output json',
    'kubectl get nodes --output json',
    'kubectl get --raw /api/v1/nodes/podipc-control-plane/proxy/configz',
    'kubectl apply --filename -',
    // same-pod pair
    'kubectl apply --filename -',
    'kubectl get pod tcp-sp-r1 --output json --watch',
    'kubectl logs tcp-sp-r1 --container client',
    'kubectl logs tcp-sp-r1 --container server --tail 50',
    'kubectl delete pods,services --selector podipc.dev/pair=tcp-sp-r1 --ignore-not-found --wait=true --timeout=90s',
    // cross-pod pair
    'kubectl apply --filename -',
    'kubectl get pod tcp-xp-r1-server --output json --watch',
    'kubectl apply --filename -',
    'kubectl get pod tcp-xp-r1-client --output json --watch',
    'kubectl logs tcp-xp-r1-client --container client',
    'kubectl logs tcp-xp-r1-server --container server --tail 50',
    'kubectl get pod tcp-xp-r1-server --output json',
    'kubectl delete pods,services --selector podipc.dev/pair=tcp-xp-r1 --ignore-not-found --wait=true --timeout=90s',
    // close, once
    'kubectl delete namespace podipc-fake01 --ignore-not-found --wait=true --timeout=120s',
  ]);
});

test('no cluster yet: the session creates it from k8s/kind-config.yaml; --teardown deletes it at the end', async () => {
  const fake = fakeCluster({ clusterExists: false });
  await withPath(fake.dir, async () => {
    const session = await kindPlacement.open({ ...OPEN, teardown: true } as typeof OPEN);
    assert.equal(session.facts().details?.createdCluster, true);
    await session.close();
  });
  const calls = fake.calls();
  assert.ok(calls.includes(`kind create cluster --name podipc --config ${REPO_ROOT}/k8s/kind-config.yaml --wait 180s`), calls.join('\n'));
  assert.equal(calls.at(-1), 'kind delete cluster --name podipc');
});

test('a stuck pod fails the pair at once with the reason, and the pair is still deleted', async () => {
  const fake = fakeCluster({ clusterExists: true, clientWaiting: 'ErrImageNeverPull' });
  const outcome = await withPath(fake.dir, async () => {
    const session = await kindPlacement.open(OPEN);
    try {
      return await session.runPair(spec('same-pod'), NEVER);
    } finally {
      await session.close();
    }
  });
  assert.match(outcome.failure!, /ErrImageNeverPull: Container image "podipc-probe:local" is not present/);
  assert.ok(fake.calls().some((c) => c.includes('delete pods,services')));
});

test('Ctrl-C during a pair: the watch is stopped, the pair deleted, the namespace deletion not awaited', async () => {
  const fake = fakeCluster({ clusterExists: true, watchHangs: true });
  const controller = new AbortController();
  const outcome = await withPath(fake.dir, async () => {
    const session = await kindPlacement.open(OPEN);
    setTimeout(() => controller.abort(), 300);
    try {
      return await session.runPair(spec('same-pod'), controller.signal);
    } finally {
      await session.close();
    }
  });
  assert.match(outcome.failure!, /^interrupted/);
  const calls = fake.calls();
  assert.ok(calls.some((c) => c.includes('delete pods,services')), 'the pair was deleted');
  assert.match(calls.at(-1)!, /delete namespace podipc-fake01 --ignore-not-found --wait=false/);
});
