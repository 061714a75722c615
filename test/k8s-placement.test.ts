/**
 * `--placement k8s --context NAME` up to the cluster edge: the flags, the checks a run
 * makes before it creates anything (context, reachability, permissions, a server-side dry
 * run of the namespace, nodes, allowed unsafe sysctls) as data and as verdicts, the node
 * choice that makes cross-pod cross-node, the pods pinned to those nodes, and whole
 * sessions against a stand-in kubectl - one that runs, and ones the checks stop with
 * nothing created.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PrerequisiteError } from '../harness/availability.js';
import { parseRunArgs } from '../harness/config.js';
import { UsageError } from '../harness/flags.js';
import { pairInput, renderNamespace, renderPair } from '../harness/k8s/render.js';
import { k8sPlacement } from '../harness/placements/k8s.js';
import { allowedUnsafeSysctls, checksPlan, checksVerdict, chooseNodes, parseCanI, parseNodes, sysctlAllowed, VERBS, canIKey } from '../harness/placements/k8s/checks.js';
import { k8sRenderOptions } from '../harness/placements/k8s/session.js';
import { k8sSettings } from '../harness/placements/k8s/settings.js';
import type { PairSpec } from '../harness/plan.js';
import { fakeBin, withPath, type FakeBin } from './helpers/fake-bin.js';

const tmp = mkdtempSync(join(tmpdir(), 'podipc-k8s-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const LOG_FIXTURE = fileURLToPath(new URL('../../test/fixtures/good/k8s/logs/client-tcp-same-pod.log', import.meta.url));

const OPEN = { runTag: 'k8s001', sysvSlot: 4, resources: {}, log: () => {} };
const SETTINGS = { image: 'registry.example/podipc-probe:0.1.0', pullPolicy: 'IfNotPresent' as const, raiseIpcLimits: false };

function spec(topology: PairSpec['topology']): PairSpec {
  return { runtime: 'node', topology, run: 0, cases: [{ caseIndex: 0, mechanism: 'tcp', probe: 'latency', messageBytes: 64 }], budget: { warmupMs: 1, warmupRoundTrips: 0, measureMs: 5, setupTimeoutMs: 5000 } };
}

test('flags: --placement k8s needs --context; --context and --node-* belong to k8s; node names are checked', () => {
  assert.throws(() => parseRunArgs(['--placement', 'k8s']), (e: Error) => e instanceof UsageError && /needs --context NAME/.test(e.message));
  assert.throws(() => parseRunArgs(['--placement', 'sandbox', '--context', 'x']), /--context: only for --placement k8s/);
  assert.throws(() => parseRunArgs(['--node-a', 'n1']), /--node-a: only for --placement k8s/);
  assert.throws(() => parseRunArgs(['--placement', 'k8s', '--context', 'c', '--node-b', 'Bad_Node']), /--node-b: 'Bad_Node' is not a node name/);
  assert.deepEqual(parseRunArgs(['--placement', 'process,k8s', '--context', 'minikube', '--node-a', 'n1'])?.cluster, { context: 'minikube', nodeA: 'n1', nodeB: undefined });
  assert.equal(parseRunArgs(['--placement', 'process'])?.cluster, undefined);
});

test('settings: the image must carry a tag or digest; the pull policy is one Kubernetes knows', () => {
  assert.deepEqual(k8sSettings({}), { ok: true, settings: { image: 'podipc-probe:local', pullPolicy: 'IfNotPresent', raiseIpcLimits: false } });
  assert.equal(k8sSettings({ PODIPC_K8S_IMAGE: 'reg.example:5000/p/podipc-probe:1.0' }).ok, true);
  assert.match((k8sSettings({ PODIPC_K8S_IMAGE: 'podipc-probe' }) as { reason: string }).reason, /with a tag or digest/);
  assert.match((k8sSettings({ PODIPC_K8S_PULL_POLICY: 'Sometimes' }) as { reason: string }).reason, /IfNotPresent, Always or Never/);
});

test('the checks, as data: read-only, every kubectl naming the context, the namespace dry-run on the server', () => {
  const ns = renderNamespace(k8sRenderOptions(OPEN, SETTINGS, undefined));
  const steps = checksPlan('prod-eu', ns);
  assert.deepEqual(steps[0]!.argv, ['kubectl', 'config', 'get-contexts', 'prod-eu', '--output', 'name']);
  for (const s of steps.slice(1)) {
    if (s.argv[0] === 'kubectl') assert.deepEqual(s.argv.slice(1, 3), ['--context', 'prod-eu'], s.argv.join(' '));
    assert.ok(!s.argv.includes('apply') && !(s.argv.includes('create') && !s.argv.includes('--dry-run=server')), `read-only: ${s.argv.join(' ')}`);
  }
  const canI = steps.find((s) => s.capture === 'can-i')!;
  for (const v of VERBS) assert.ok(canI.argv[2]!.includes(`auth can-i ${v.verb} ${v.resource}`), canIKey(v));
  assert.ok(canI.argv[2]!.includes('--subresource=log'), 'reading logs is asked as the log subresource');
  const dry = steps.at(-1)!;
  assert.ok(dry.argv.includes('--dry-run=server'));
  assert.match(dry.stdin ?? '', /pod-security\.kubernetes\.io\/enforce: restricted/);
});

const NODES = JSON.stringify({
  items: [
    { metadata: { name: 'cp' }, spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    { metadata: { name: 'w1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    { metadata: { name: 'w2' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    { metadata: { name: 'w3' }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }] } },
  ],
});

test('nodes: two schedulable nodes by default (cross-node), the named ones when given, problems for missing or not-Ready ones', () => {
  const nodes = parseNodes(NODES);
  assert.deepEqual(nodes.map((n) => `${n.name}:${n.ready}:${n.schedulable}`), ['cp:true:false', 'w1:true:true', 'w2:true:true', 'w3:false:false']);
  assert.deepEqual(chooseNodes(nodes, { nodeA: undefined, nodeB: undefined }), { a: 'w1', b: 'w2', problems: [], notes: [] });
  assert.deepEqual(chooseNodes(nodes, { nodeA: 'w2', nodeB: undefined }), { a: 'w2', b: 'w1', problems: [], notes: [] });
  assert.match(chooseNodes(nodes, { nodeA: 'nope', nodeB: undefined }).problems[0]!, /--node-a nope: no such node \(nodes: cp, w1, w2, w3\)/);
  assert.match(chooseNodes(nodes, { nodeA: 'w3', nodeB: undefined }).problems[0]!, /--node-a w3: the node is not Ready/);
  assert.match(chooseNodes(nodes, { nodeA: 'cp', nodeB: 'w1' }).notes[0]!, /cordoned or tainted/);
  const single = chooseNodes(parseNodes(JSON.stringify({ items: [{ metadata: { name: 'minikube' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }] })), { nodeA: undefined, nodeB: undefined });
  assert.deepEqual([single.a, single.b], ['minikube', 'minikube']);
  assert.match(single.notes[0]!, /cross-pod pods share the node minikube \(the only schedulable node\): cross-pod is not cross-node/);
  assert.match(chooseNodes([], { nodeA: undefined, nodeB: undefined }).problems[0]!, /no node is Ready and schedulable/);
});

test('the pods go to the chosen nodes, by node name through the scheduler', () => {
  const opts = k8sRenderOptions(OPEN, SETTINGS, { a: 'w1', b: 'w2' });
  const node = (o: unknown): unknown => (o as { spec?: { affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: Array<{ matchFields?: Array<{ values?: string[] }> }> } } } } }).spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0];
  const cross = renderPair(pairInput(spec('cross-pod')), opts);
  assert.equal(node(cross.serverObjects[0]), 'w1', 'the server on node a');
  assert.equal(node(cross.clientObjects[0]), 'w2', 'the client on node b');
  assert.equal(node(renderPair(pairInput(spec('same-pod')), opts).serverObjects[0]), 'w1');
  assert.equal(node(renderPair(pairInput(spec('same-pod')), k8sRenderOptions(OPEN, SETTINGS, undefined)).serverObjects[0]), undefined, 'no nodes: the scheduler decides');
  assert.equal((cross.serverObjects[0] as { spec?: { containers: Array<{ imagePullPolicy?: string; image?: string }> } }).spec?.containers[0]?.imagePullPolicy, 'IfNotPresent');
});

const ALL_YES = VERBS.map((v) => `${canIKey(v)} yes`).join('\n');

test('verdicts: a denied verb, a refused namespace, a kubelet that forbids the sysctls each stop the run with the fix', () => {
  const nodes = { a: 'w1', b: 'w2', problems: [], notes: [] };
  const base = { context: 'c', canI: ALL_YES, dryRunFailure: undefined, sysctls: [] as string[], allowedByNode: new Map<string, string[] | undefined>(), nodes };
  assert.deepEqual(checksVerdict(base), { problems: [], notes: [] });
  assert.match(checksVerdict({ ...base, canI: ALL_YES.replace('create namespaces yes', 'create namespaces no') }).problems[0]!, /may not create namespaces in c/);
  assert.match(checksVerdict({ ...base, canI: '' }).problems[0]!, /may not create namespaces, delete namespaces, create pods/);
  assert.match(checksVerdict({ ...base, dryRunFailure: 'admission webhook "policy" denied the request: privileged namespaces are not allowed' }).problems[0]!, /would not admit the run's namespace .*privileged namespaces are not allowed/);
  const sysctls = ['fs.mqueue.msgsize_max', 'kernel.msgmax'];
  assert.deepEqual(checksVerdict({ ...base, sysctls, allowedByNode: new Map([['w1', ['fs.mqueue.*', 'kernel.msg*']]]) }).problems, []);
  assert.match(checksVerdict({ ...base, sysctls, allowedByNode: new Map([['w1', ['fs.mqueue.*']]]) }).problems[0]!, /kubelet on w1 does not allow the unsafe sysctls kernel\.msgmax/);
  assert.match(checksVerdict({ ...base, sysctls, allowedByNode: new Map([['w1', undefined]]) }).notes[0]!, /could not read the kubelet configuration of w1/);
  assert.deepEqual([...parseCanI('create pods yes\ndelete pods no\n')], [['create pods', true], ['delete pods', false]]);
  assert.deepEqual(allowedUnsafeSysctls('{"kubeletconfig":{}}'), []);
  assert.equal(allowedUnsafeSysctls('forbidden'), undefined);
  assert.ok(sysctlAllowed('kernel.msgmnb', ['kernel.msg*']) && !sysctlAllowed('kernel.shmmax', ['kernel.msg*']) && sysctlAllowed('kernel.shmmax', ['kernel.shmmax']));
});

// --- whole sessions against a stand-in kubectl ------------------------------------------

function fakeKubectl(o: { deny?: string; dryRunFails?: string; contexts?: readonly string[]; configz?: string }): FakeBin {
  const script = `if [ "$1" = config ]; then
  case " ${(o.contexts ?? ['prod']).join(' ')} " in *" $3 "*) echo "$3"; exit 0;; *) echo "error: context $3 not found" >&2; exit 1;; esac
fi
shift 2
case "$1" in
  version) echo '{"serverVersion":{"gitVersion":"v1.33.2"}}';;
  auth) case "$*" in *"$DENY"*) echo no; exit 1;; *) echo yes;; esac;;
  create) cat > /dev/null; ${o.dryRunFails ? `echo 'Error from server (Forbidden): ${o.dryRunFails}' >&2; exit 1` : 'echo namespace/podipc-k8s001'};;
  apply) cat > /dev/null;;
  logs) case "$*" in *"--container client"*) cat '${LOG_FIXTURE}';; *) echo "probe server: done";; esac;;
  delete) ;;
  get)
    case "$*" in
      *--raw*) echo '${o.configz ?? '{"kubeletconfig":{"allowedUnsafeSysctls":["fs.mqueue.*","kernel.msg*"]}}'}';;
      *nodes*) echo '${NODES}';;
      *--watch*)
        case "$3" in
          *-server) printf '{"status":{"phase":"Running","containerStatuses":[{"name":"server","state":{"running":{}}}]}}\\n';;
          *) printf '{"status":{"phase":"Running","containerStatuses":[{"name":"client","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}\\n';;
        esac
        exec /bin/sleep 30;;
      *) echo '{"status":{"phase":"Succeeded","containerStatuses":[{"name":"server","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}';;
    esac;;
esac`;
  return fakeBin(tmp, { kubectl: script.replace('$DENY', o.deny ?? '@@never@@') });
}

const NEVER = new AbortController().signal;

test('a session on a cluster that allows it all: checks, facts, namespace, a cross-node pair, the namespace deleted - every call in the named context', async () => {
  const fake = fakeKubectl({});
  const { outcome, facts } = await withPath(fake.dir, async () => {
    assert.deepEqual(await k8sPlacement.check(), { ok: true });
    const session = await k8sPlacement.open({ ...OPEN, cluster: { context: 'prod', nodeA: undefined, nodeB: undefined } });
    const outcome = await session.runPair(spec('cross-pod'), NEVER);
    const facts = session.facts();
    await session.close();
    return { outcome, facts };
  });
  assert.equal(outcome.failure, undefined);
  assert.deepEqual(facts.details && [facts.details.nodeA, facts.details.nodeB, facts.details.crossNode], ['w1', 'w2', true]);
  assert.equal(facts.k8sVersion, 'v1.33.2');
  const calls = fake.calls();
  assert.ok(calls.slice(1).every((c) => c.startsWith('kubectl --context prod ')), calls.join('\n'));
  const firstApply = calls.findIndex((c) => / apply /.test(c));
  assert.ok(firstApply > calls.findIndex((c) => c.includes('--dry-run=server')), 'the checks come before anything is created');
  assert.match(calls.at(-1)!, /delete namespace podipc-k8s001/);
});

for (const [what, o, pattern] of [
  ['a user who may not create namespaces', { deny: 'create namespaces' }, /may not create namespaces in prod/],
  ['an admission policy that refuses the namespace', { dryRunFails: 'admission webhook denied the request' }, /would not admit the run's namespace.*admission webhook denied/],
  ['a context that is not in the kubeconfig', { contexts: ['other'] }, /--context prod: no such context in the kubeconfig/],
] as const) {
  test(`the checks stop the run, with nothing created, for ${what}`, async () => {
    const fake = fakeKubectl(o);
    await withPath(fake.dir, () => assert.rejects(k8sPlacement.open({ ...OPEN, cluster: { context: 'prod', nodeA: undefined, nodeB: undefined } }), (e: Error) => e instanceof PrerequisiteError && pattern.test(e.message) && /Nothing was created/.test(e.message)));
    const changes = fake.calls().filter((c) => !c.includes(' auth can-i ') && (/ (apply|delete) /.test(c) || (/ create /.test(c) && !c.includes('--dry-run=server'))));
    assert.deepEqual(changes, [], 'nothing created, so nothing to delete');
  });
}

test('raised IPC limits on a kubelet that forbids them stop the run before anything is created', async () => {
  const fake = fakeKubectl({ configz: '{"kubeletconfig":{"allowedUnsafeSysctls":["fs.mqueue.*"]}}' });
  process.env.PODIPC_K8S_RAISE_IPC_LIMITS = '1';
  try {
    await withPath(fake.dir, () => assert.rejects(k8sPlacement.open({ ...OPEN, cluster: { context: 'prod', nodeA: 'w2', nodeB: undefined } }), /kubelet on w2 does not allow the unsafe sysctls kernel\.msgmax, kernel\.msgmnb/));
  } finally {
    delete process.env.PODIPC_K8S_RAISE_IPC_LIMITS;
  }
  assert.ok(fake.calls().some((c) => c.includes('/api/v1/nodes/w2/proxy/configz')));
  assert.ok(!fake.calls().some((c) => / apply /.test(c)));
});
