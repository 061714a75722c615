/**
 * Pod Security "restricted", rule by rule: every rendered pod complies (or names its
 * exception), and each rule of the checker fires on exactly the mutation it is about -
 * so a pod that breaks a rule cannot slip through a checker that never fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { PairSpec } from '../harness/plan.js';
import { parseRenderArgs } from '../harness/commands/k8s.js';
import {
  checkRestricted,
  declaredExceptions,
  EXCEPTION_ANNOTATION,
  RESTRICTED_RULES,
  undeclaredViolations,
  type RestrictedRule,
} from '../harness/k8s/pod-security.js';
import { RAISED_IPC_LIMITS, renderPair, renderRun, type RenderOptions } from '../harness/k8s/render.js';

const OPTS: RenderOptions = {
  runTag: 'restrict',
  sysvSlot: 1,
  image: 'podipc-probe:local',
  imagePullPolicy: 'Never',
  ipcLimits: undefined,
  devShmBytes: undefined,
  resources: { guaranteed: false },
};

const SPEC: PairSpec = {
  runtime: 'node',
  topology: 'same-pod',
  run: 0,
  cases: [{ caseIndex: 0, mechanism: 'tcp', probe: 'latency', messageBytes: 64 }],
  budget: { warmupMs: 1, warmupRoundTrips: 0, measureMs: 5, setupTimeoutMs: 1000 },
};

function compliantPod(): IPod {
  return structuredClone(renderPair({ spec: SPEC, requires: [] }, OPTS).serverObjects[0] as IPod);
}

function rulesBroken(pod: IPod): RestrictedRule[] {
  return [...new Set(checkRestricted(pod).map((v) => v.rule))].sort();
}

test('the rendered pod meets restricted: no violation at all', () => {
  assert.deepEqual(checkRestricted(compliantPod()), []);
});

test('every pod of the full matrix (both topologies, every option) meets restricted or names its exception', () => {
  for (const flags of [['--quick'], ['--quick', '--raise-ipc-limits', '--dev-shm-mib', '128', '--guaranteed']]) {
    const request = parseRenderArgs(['--out', '/nonexistent', ...flags])!;
    const run = renderRun(request.pairs, request.options);
    for (const pair of run.pairs) {
      for (const o of [...pair.serverObjects, ...pair.clientObjects]) {
        if (o.kind !== 'Pod') continue;
        assert.deepEqual(undeclaredViolations(o), [], `${o.metadata?.name} with ${flags.join(' ')}`);
      }
    }
  }
});

test('raised IPC limits are the only exception, and the pod names it with the reason', () => {
  const pod = renderPair({ spec: { ...SPEC, cases: SPEC.cases.map((c) => ({ ...c, mechanism: 'mq-posix' })) }, requires: ['ipc-namespace'] }, { ...OPTS, ipcLimits: RAISED_IPC_LIMITS }).serverObjects[0] as IPod;
  assert.deepEqual(rulesBroken(pod), ['sysctls']);
  assert.deepEqual([...declaredExceptions(pod)], ['sysctls']);
  assert.match(pod.metadata!.annotations![EXCEPTION_ANNOTATION]!, /fs\.mqueue\.msgsize_max=1048576.*allowedUnsafeSysctls/);
  assert.deepEqual(undeclaredViolations(pod), []);
  // Without the annotation the same pod is a violation.
  delete pod.metadata!.annotations![EXCEPTION_ANNOTATION];
  assert.deepEqual(undeclaredViolations(pod).map((v) => v.rule), Array(Object.keys(RAISED_IPC_LIMITS).length).fill('sysctls'));
});

type Mutation = (pod: IPod) => void;
const c0 = (pod: IPod): NonNullable<IPod['spec']>['containers'][number] => pod.spec!.containers[0]!;

/** One mutation per rule; each must trip its own rule and no other. */
const mutations: Record<RestrictedRule, Mutation> = {
  hostProcess: (p) => (c0(p).securityContext!.windowsOptions = { hostProcess: true }),
  hostNamespaces: (p) => (p.spec!.hostIPC = true),
  privileged: (p) => (c0(p).securityContext!.privileged = true),
  capabilitiesBaseline: (p) => {
    // SYS_ADMIN is outside baseline's list; restricted's capability rule fires too.
    c0(p).securityContext!.capabilities!.add = ['SYS_ADMIN'];
  },
  hostPathVolumes: (p) => p.spec!.volumes!.push({ name: 'host', hostPath: { path: '/var/run' } }),
  hostPorts: (p) => (c0(p).ports = [{ containerPort: 80, hostPort: 8080 }]),
  appArmor: (p) => (c0(p).securityContext!.appArmorProfile = { type: 'Unconfined' }),
  seLinux: (p) => (c0(p).securityContext!.seLinuxOptions = { type: 'spc_t' }),
  procMount: (p) => (c0(p).securityContext!.procMount = 'Unmasked'),
  seccompBaseline: (p) => (c0(p).securityContext!.seccompProfile = { type: 'Unconfined' }),
  sysctls: (p) => (p.spec!.securityContext!.sysctls = [{ name: 'kernel.msgmax', value: '65536' }]),
  volumeTypes: (p) => p.spec!.volumes!.push({ name: 'nfs', nfs: { server: 'nfs.example', path: '/x' } }),
  privilegeEscalation: (p) => delete c0(p).securityContext!.allowPrivilegeEscalation,
  runAsNonRoot: (p) => (c0(p).securityContext!.runAsNonRoot = false),
  runAsUser: (p) => (c0(p).securityContext!.runAsUser = 0),
  seccompRestricted: (p) => delete p.spec!.securityContext!.seccompProfile,
  capabilitiesRestricted: (p) => (c0(p).securityContext!.capabilities = { drop: ['NET_RAW'] }),
};

/** Rules a mutation trips besides its own, because the profile's rules overlap there. */
const alsoTrips: Partial<Record<RestrictedRule, RestrictedRule[]>> = {
  capabilitiesBaseline: ['capabilitiesRestricted'],
  // hostPath is not among restricted's allowed volume types either.
  hostPathVolumes: ['volumeTypes'],
  // Unconfined breaks baseline's seccomp rule and restricted's.
  seccompBaseline: ['seccompRestricted'],
};

for (const rule of RESTRICTED_RULES) {
  test(`restricted rule '${rule}' fires on its own mutation`, () => {
    const pod = compliantPod();
    mutations[rule](pod);
    const expected = [rule, ...(alsoTrips[rule] ?? [])].sort();
    assert.deepEqual(rulesBroken(pod), expected);
  });
}

test('pod-level settings count for every container (runAsNonRoot, seccomp), container-level ones override', () => {
  const pod = compliantPod();
  // The renderer sets these at pod level; moving them to one container only breaks the other.
  delete pod.spec!.securityContext!.runAsNonRoot;
  c0(pod).securityContext!.runAsNonRoot = true;
  assert.deepEqual(checkRestricted(pod).map((v) => `${v.rule} ${v.field}`), ['runAsNonRoot spec.containers[client].securityContext.runAsNonRoot']);
  pod.spec!.containers[1]!.securityContext!.runAsNonRoot = true;
  assert.deepEqual(checkRestricted(pod), []);
  // A container-level RuntimeDefault does not excuse an Unconfined pod for another container.
  const other = compliantPod();
  other.spec!.securityContext!.seccompProfile = { type: 'Unconfined' };
  c0(other).securityContext!.seccompProfile = { type: 'RuntimeDefault' };
  assert.deepEqual(rulesBroken(other), ['seccompBaseline', 'seccompRestricted']);
});

test('safe sysctls and NET_BIND_SERVICE are allowed, as the profile says', () => {
  const pod = compliantPod();
  pod.spec!.securityContext!.sysctls = [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }];
  c0(pod).securityContext!.capabilities = { drop: ['ALL'], add: ['NET_BIND_SERVICE'] };
  assert.deepEqual(checkRestricted(pod), []);
});
