/**
 * The rendered manifests: valid against the Kubernetes API schema (kubernetes-models, offline),
 * shaped as the design says (volumes, sysctls only when asked, plans pointing at the mounts),
 * and equal to the reviewed golden files in test/fixtures/good/k8s/ (regenerate with
 * PODIPC_UPDATE_GOLDEN=1 npm test, then review the diff).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Namespace, Pod, Service } from 'kubernetes-models/v1';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { parsePlan } from '../core/protocol.js';
import type { Requirement } from '../core/requirements.js';
import type { PairSpec } from '../harness/plan.js';
import { parseRenderArgs, renderFiles } from '../harness/commands/k8s.js';
import { pairId } from '../harness/k8s/names.js';
import {
  CROSS_POD_PORT,
  MOUNT,
  RAISED_IPC_LIMITS,
  renderNamespace,
  renderPair,
  renderRun,
  toYaml,
  type K8sObject,
  type RenderOptions,
} from '../harness/k8s/render.js';

const GOLDEN_DIR = fileURLToPath(new URL('../../test/fixtures/good/k8s/', import.meta.url));
const CLI = fileURLToPath(new URL('../harness/cli.js', import.meta.url));
const UPDATE = process.env.PODIPC_UPDATE_GOLDEN === '1';

const tmp = mkdtempSync(join(tmpdir(), 'podipc-k8s-render-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const BASE: RenderOptions = {
  runTag: 'golden',
  sysvSlot: 7,
  image: 'podipc-probe:local',
  imagePullPolicy: 'Never',
  ipcLimits: undefined,
  devShmBytes: undefined,
  resources: { guaranteed: false },
};

function spec(mechanism: string, variant: string | undefined, topology: PairSpec['topology']): PairSpec {
  return {
    runtime: 'node',
    topology,
    run: 0,
    cases: [
      { caseIndex: 0, mechanism, ...(variant ? { variant } : {}), probe: 'latency', messageBytes: 64 },
      { caseIndex: 1, mechanism, ...(variant ? { variant } : {}), probe: 'throughput', messageBytes: 1_048_576 },
    ],
    budget: { warmupMs: 10, warmupRoundTrips: 0, measureMs: 40, setupTimeoutMs: 10_000 },
  };
}

function validate(o: K8sObject): void {
  if (o.kind === 'Pod') new Pod(o).validate();
  else if (o.kind === 'Service') new Service(o).validate();
  else new Namespace(o).validate();
}

function objectsOf(pair: ReturnType<typeof renderPair>): K8sObject[] {
  return [...pair.serverObjects, ...pair.clientObjects];
}

function pods(objects: K8sObject[]): IPod[] {
  return objects.filter((o): o is IPod => o.kind === 'Pod');
}

function planOf(pod: IPod, container: string): ReturnType<typeof parsePlan> {
  const c = pod.spec!.containers.find((x) => x.name === container)!;
  const value = c.env!.find((e) => e.name === 'PODIPC_PLAN')!.value!;
  return parsePlan(JSON.parse(value));
}

/** The reviewed files: name -> objects. Mechanism ids are plain strings, independent of the registry. */
const goldens: Array<{ file: string; requires: Requirement[]; spec: PairSpec; opts: RenderOptions }> = [
  { file: 'same-pod-tcp.yaml', requires: [], spec: spec('tcp', undefined, 'same-pod'), opts: BASE },
  {
    file: 'same-pod-shm-posix-futex-dev-shm.yaml',
    requires: ['ipc-namespace', 'shared-dev-shm'],
    spec: spec('shm-posix', 'futex', 'same-pod'),
    opts: { ...BASE, devShmBytes: 256 * 1_048_576 },
  },
  {
    file: 'same-pod-mq-posix-raised-limits.yaml',
    requires: ['ipc-namespace', 'native-addon'],
    spec: spec('mq-posix', undefined, 'same-pod'),
    opts: { ...BASE, ipcLimits: RAISED_IPC_LIMITS },
  },
  {
    file: 'same-pod-uds-guaranteed.yaml',
    requires: ['volume-disk'],
    spec: spec('uds', undefined, 'same-pod'),
    opts: { ...BASE, resources: { guaranteed: true, cpu: 1, memoryBytes: 256 * 1_048_576 } },
  },
  { file: 'cross-pod-tcp.yaml', requires: [], spec: spec('tcp', undefined, 'cross-pod'), opts: BASE },
];

test('every golden manifest matches the reviewed file in test/fixtures/good/k8s/', () => {
  const rendered = new Map<string, string>();
  for (const g of goldens) rendered.set(g.file, toYaml(objectsOf(renderPair({ spec: g.spec, requires: g.requires }, g.opts)), `golden: ${g.file}`));
  rendered.set('namespace.yaml', toYaml([renderNamespace(BASE)], 'golden: namespace.yaml'));
  rendered.set('namespace-raised-limits.yaml', toYaml([renderNamespace({ ...BASE, ipcLimits: RAISED_IPC_LIMITS })], 'golden: namespace-raised-limits.yaml'));
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    for (const [file, text] of rendered) writeFileSync(join(GOLDEN_DIR, file), text);
    console.log(`# PODIPC_UPDATE_GOLDEN=1: wrote ${rendered.size} golden files to ${GOLDEN_DIR}; review the diff`);
  }
  for (const [file, text] of rendered) {
    const path = join(GOLDEN_DIR, file);
    assert.ok(existsSync(path), `${path} is missing: run PODIPC_UPDATE_GOLDEN=1 npm test and review it`);
    assert.equal(text, readFileSync(path, 'utf8'), `${file} differs from the golden file: if the change is intended, run PODIPC_UPDATE_GOLDEN=1 npm test and review the diff`);
  }
});

test('the golden files parse back to schema-valid objects', () => {
  const files = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 7, `expected the golden files in ${GOLDEN_DIR}`);
  for (const file of files) {
    const docs = parseAllDocuments(readFileSync(join(GOLDEN_DIR, file), 'utf8'));
    assert.ok(docs.length > 0, file);
    for (const doc of docs) {
      assert.equal(doc.errors.length, 0, `${file}: ${doc.errors.join('; ')}`);
      validate(doc.toJS() as K8sObject);
    }
  }
});

test('the full case matrix renders to schema-valid objects, one pair per mechanism/variant and topology', () => {
  const request = parseRenderArgs(['--out', tmp, '--quick'])!;
  const run = renderRun(request.pairs, request.options);
  const objects = [run.namespace, ...run.pairs.flatMap(objectsOf)];
  for (const o of objects) validate(o);
  assert.ok(run.pairs.some((p) => p.spec.topology === 'same-pod'));
  assert.ok(run.pairs.some((p) => p.spec.topology === 'cross-pod'), 'the network mechanisms get a cross-pod pair');
  // Same again with every option that changes the pod shape.
  const full = parseRenderArgs(['--out', tmp, '--raise-ipc-limits', '--dev-shm-mib', '128', '--guaranteed', '--memory', '300MiB'])!;
  for (const o of renderRun(full.pairs, full.options).pairs.flatMap(objectsOf)) validate(o);
});

test('the schema check is real: a wrongly typed field is rejected', () => {
  const pod = pods(objectsOf(renderPair({ spec: spec('tcp', undefined, 'same-pod'), requires: [] }, BASE)))[0]!;
  const broken = structuredClone(pod) as unknown as { spec: { containers: Array<{ securityContext: Record<string, unknown> }> } };
  broken.spec.containers[0]!.securityContext.runAsNonRoot = 'yes';
  assert.throws(() => new Pod(broken as unknown as IPod).validate(), /runAsNonRoot must be boolean/);
});

test('a same-pod pair is one pod: server and client share the volumes, plans point at the mounts', () => {
  const pair = renderPair({ spec: spec('uds', undefined, 'same-pod'), requires: ['volume-disk'] }, BASE);
  assert.equal(pair.clientObjects.length, 0);
  const [pod] = pods(pair.serverObjects);
  assert.ok(pod);
  assert.deepEqual(pod.spec!.containers.map((c) => c.name), ['server', 'client']);
  assert.equal(pod.spec!.restartPolicy, 'Never');
  const volumes = new Map(pod.spec!.volumes!.map((v) => [v.name, v]));
  assert.deepEqual(volumes.get('disk')!.emptyDir, {});
  assert.equal(volumes.get('memory')!.emptyDir!.medium, 'Memory');
  for (const role of ['server', 'client'] as const) {
    const plan = planOf(pod, role);
    assert.equal(plan.role, role);
    assert.deepEqual(plan.dirs, { shared: MOUNT.shared, disk: MOUNT.disk, tmpfs: MOUNT.memory });
    assert.deepEqual(plan.net, { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 });
    assert.deepEqual(plan.ipc, { runTag: 'golden', sysvSlot: 7 });
    const mounts = pod.spec!.containers.find((c) => c.name === role)!.volumeMounts!.map((m) => m.mountPath);
    for (const dir of [MOUNT.shared, MOUNT.disk, MOUNT.memory, MOUNT.tmp]) assert.ok(mounts.includes(dir), `${role} mounts ${dir}`);
  }
  // No larger /dev/shm unless asked: the runtime's per-pod one is what a pod gets.
  assert.ok(!volumes.has('dev-shm'));
});

test('a cross-pod pair is two pods and a headless Service; the client dials its DNS name at the fixed port', () => {
  const pair = renderPair({ spec: spec('tcp', undefined, 'cross-pod'), requires: [] }, BASE);
  const [server, svc] = pair.serverObjects;
  const [client] = pair.clientObjects;
  assert.equal(server?.kind, 'Pod');
  assert.equal(svc?.kind, 'Service');
  assert.equal(client?.kind, 'Pod');
  const service = svc as { spec: { clusterIP: string; publishNotReadyAddresses: boolean; selector: Record<string, string> }; metadata: { name: string } };
  assert.equal(service.spec.clusterIP, 'None');
  assert.equal(service.spec.publishNotReadyAddresses, true);
  assert.deepEqual(service.spec.selector, { 'podipc.dev/pair': pair.id, 'podipc.dev/role': 'server' });
  assert.equal((server as IPod).metadata!.labels!['podipc.dev/role'], 'server');
  const serverPlan = planOf(server as IPod, 'server');
  const clientPlan = planOf(client as IPod, 'client');
  assert.equal(serverPlan.net.listenHost, '0.0.0.0');
  assert.equal(serverPlan.net.port, CROSS_POD_PORT);
  assert.equal(clientPlan.net.port, CROSS_POD_PORT);
  assert.equal(clientPlan.net.connectHost, `${service.metadata.name}.podipc-golden.svc.cluster.local`);
  assert.equal(clientPlan.dirs.tmpfs, undefined, 'no memory volume across pods');
  // Separate pods: nothing shared between them but the network.
  assert.notEqual((server as IPod).metadata!.name, (client as IPod).metadata!.name);
});

test('IPC sysctls appear only when asked, and only in pods of IPC-namespace mechanisms', () => {
  const sysctlsOf = (requires: Requirement[], ipcLimits: RenderOptions['ipcLimits'], topology: PairSpec['topology'] = 'same-pod'): string[] =>
    pods(objectsOf(renderPair({ spec: spec('m', undefined, topology), requires }, { ...BASE, ipcLimits })))
      .flatMap((p) => p.spec!.securityContext!.sysctls ?? [])
      .map((s) => s.name);
  assert.deepEqual(sysctlsOf(['ipc-namespace'], undefined), [], 'default: no unsafe sysctls, the mechanisms chunk');
  assert.deepEqual(sysctlsOf(['volume-disk'], RAISED_IPC_LIMITS), [], 'not for a mechanism without the IPC namespace');
  assert.deepEqual(sysctlsOf([], RAISED_IPC_LIMITS, 'cross-pod'), []);
  assert.deepEqual(sysctlsOf(['ipc-namespace'], RAISED_IPC_LIMITS).sort(), Object.keys(RAISED_IPC_LIMITS).sort());
});

test('a larger /dev/shm is an emptyDir {medium: Memory} in both containers, with the reason in the pod', () => {
  const pod = pods(objectsOf(renderPair({ spec: spec('shm-posix', 'spin', 'same-pod'), requires: ['ipc-namespace', 'shared-dev-shm'] }, { ...BASE, devShmBytes: 128 * 1_048_576 })))[0]!;
  const vol = pod.spec!.volumes!.find((v) => v.name === 'dev-shm');
  assert.deepEqual(vol?.emptyDir, { medium: 'Memory', sizeLimit: '128Mi' });
  for (const c of pod.spec!.containers) assert.ok(c.volumeMounts!.some((m) => m.name === 'dev-shm' && m.mountPath === '/dev/shm'), c.name);
  assert.match(pod.metadata!.annotations!['podipc.dev/dev-shm']!, /replaces the runtime's 64 MiB \/dev\/shm/);
  // A mechanism that does not use /dev/shm keeps the runtime's.
  const tcp = pods(objectsOf(renderPair({ spec: spec('tcp', undefined, 'same-pod'), requires: [] }, { ...BASE, devShmBytes: 128 * 1_048_576 })))[0]!;
  assert.ok(!tcp.spec!.volumes!.some((v) => v.name === 'dev-shm'));
});

test('Guaranteed QoS: requests equal limits with whole CPUs; default: no CPU limit', () => {
  const guaranteed = pods(objectsOf(renderPair({ spec: spec('tcp', undefined, 'same-pod'), requires: [] }, { ...BASE, resources: { guaranteed: true, cpu: 0.5 } })))[0]!;
  for (const c of guaranteed.spec!.containers) {
    assert.deepEqual(c.resources!.requests, c.resources!.limits, c.name);
    assert.equal(c.resources!.limits!.cpu, '1', 'the static CPU manager pins only whole CPUs');
  }
  const burstable = pods(objectsOf(renderPair({ spec: spec('tcp', undefined, 'same-pod'), requires: [] }, BASE)))[0]!;
  for (const c of burstable.spec!.containers) {
    assert.equal(c.resources!.limits!.cpu, undefined, 'a CFS quota would be measured as IPC latency');
    assert.ok(c.resources!.limits!.memory);
  }
});

test('names are valid DNS labels, unique, and short enough for the -server/-client suffixes', () => {
  const long = pairId({ mechanism: 'a-really-long-mechanism-name-that-goes-on-and-on', variant: 'with-a-long-variant-too', runtime: 'node', topology: 'cross-pod', run: 12 });
  const other = pairId({ mechanism: 'a-really-long-mechanism-name-that-goes-on-and-on', variant: 'with-a-long-variant-taa', runtime: 'node', topology: 'cross-pod', run: 12 });
  for (const id of [long, other, pairId({ mechanism: 'shm-posix', variant: 'futex', runtime: 'node', topology: 'same-pod', run: 0 })]) {
    assert.match(id, /^[a-z]([a-z0-9-]*[a-z0-9])?$/);
    assert.ok(id.length <= 52, id);
  }
  assert.notEqual(long, other);
  assert.equal(pairId({ mechanism: 'shm-posix', variant: 'futex', runtime: 'node', topology: 'same-pod', run: 0 }), 'shm-posix-futex-sp-r0');
  assert.throws(() => renderRun([{ spec: spec('tcp', undefined, 'same-pod'), requires: [] }, { spec: spec('tcp', undefined, 'same-pod'), requires: [] }], BASE), /same name/);
});

test('podipc k8s render --out DIR writes the namespace, same-pod and cross-pod manifests (exit 0)', () => {
  const out = join(tmp, 'k');
  const r = spawnSync(process.execPath, [CLI, 'k8s', 'render', '--out', out, '--quick'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Kubernetes API schema: (\d+)\/\1 objects valid/);
  assert.match(r.stdout, /Pod Security 'restricted': (\d+)\/\1 pods comply/);
  assert.ok(existsSync(join(out, '00-namespace.yaml')));
  const same = readdirSync(join(out, 'same-pod'));
  const cross = readdirSync(join(out, 'cross-pod'));
  assert.ok(same.includes('tcp-sp-r0.yaml'), same.join(','));
  assert.ok(cross.includes('tcp-xp-r0.yaml'), cross.join(','));
  // What was written is what renderFiles produced, byte for byte.
  const request = parseRenderArgs(['--out', out, '--quick'])!;
  for (const [path, text] of renderFiles(renderRun(request.pairs, request.options))) assert.equal(readFileSync(join(out, path), 'utf8'), text, path);
});

test('podipc k8s render: bad usage exits 2 naming the flag', () => {
  const noOut = spawnSync(process.execPath, [CLI, 'k8s', 'render'], { encoding: 'utf8' });
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /--out DIR is required/);
  const badShm = spawnSync(process.execPath, [CLI, 'k8s', 'render', '--out', join(tmp, 'x'), '--dev-shm-mib', 'lots'], { encoding: 'utf8' });
  assert.equal(badShm.status, 2);
  assert.match(badShm.stderr, /--dev-shm-mib: 'lots'/);
  assert.ok(!existsSync(join(tmp, 'x')), 'nothing written on bad usage');
  const unknown = spawnSync(process.execPath, [CLI, 'k8s', 'apply'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
});
