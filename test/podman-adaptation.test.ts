/**
 * How podipc adapts podman to a host its defaults do not fit (ulimits above the hard
 * limits without CAP_SYS_RESOURCE, crun on a cgroup v1 hybrid host), decided from host
 * facts alone; and that the facts are read right from /proc text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasCapability, parseHardLimit, podmanAdaptation, readHostLimits, type HostLimits } from '../harness/image/engine.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             96363                96363                processes
Max open files            1024                 20000                files
Max locked memory         8388608              8388608              bytes
Max msgqueue size         819200               unlimited            bytes
`;

test('hard limits are read from /proc/self/limits; unlimited is no limit', () => {
  assert.equal(parseHardLimit(LIMITS, 'Max open files'), 20000);
  assert.equal(parseHardLimit(LIMITS, 'Max processes'), 96363);
  assert.equal(parseHardLimit(LIMITS, 'Max msgqueue size'), undefined);
  assert.equal(parseHardLimit(LIMITS, 'Max realtime timeout'), undefined);
});

test('CAP_SYS_RESOURCE is bit 24 of CapEff', () => {
  assert.equal(hasCapability('CapEff:\t000001fffeffffff\n', 24n), false, 'this machine: root without CAP_SYS_RESOURCE');
  assert.equal(hasCapability('CapEff:\t000001ffffffffff\n', 24n), true);
  assert.equal(hasCapability('CapEff:\t0000000001000000\n', 24n), true);
  assert.equal(hasCapability('no such line', 24n), false);
});

const host = (over: Partial<HostLimits>): HostLimits => ({ nofileHard: 20000, nprocHard: 96363, capSysResource: false, cgroupHybrid: false, runcPath: '/usr/sbin/runc', ...over });

test('low hard limits without CAP_SYS_RESOURCE: ulimits within them, nproc within what podman keeps for itself', () => {
  const a = podmanAdaptation(host({}));
  assert.match(a.containersConf ?? '', /\[containers\]\ndefault_ulimits = \["nofile=20000:20000", "nproc=32768:32768"\]/);
  assert.match(a.summary, /nofile=20000:20000 nproc=32768:32768/);
  assert.equal(a.problem, undefined);
  assert.match(podmanAdaptation(host({ nprocHard: 4096, nofileHard: undefined })).containersConf ?? '', /"nofile=1048576:1048576", "nproc=4096:4096"/);
});

test('with CAP_SYS_RESOURCE or generous limits podman keeps its defaults', () => {
  assert.equal(podmanAdaptation(host({ capSysResource: true })).containersConf, undefined);
  const roomy = podmanAdaptation(host({ nofileHard: 1_048_576, nprocHard: undefined }));
  assert.equal(roomy.containersConf, undefined);
  assert.equal(roomy.summary, 'podman runs with its own defaults here');
});

test('a cgroup v1 hybrid host gets runc, or a problem naming the package when runc is missing', () => {
  const a = podmanAdaptation(host({ capSysResource: true, cgroupHybrid: true }));
  assert.equal(a.containersConf, '# Written by podipc for its own podman commands (CONTAINERS_CONF).\n[engine]\nruntime = "runc"\n');
  assert.match(a.summary, /runc \(crun rejects this cgroup v1 hybrid layout\)/);
  assert.match(podmanAdaptation(host({ cgroupHybrid: true, runcPath: undefined })).problem ?? '', /apt-get install runc/);
});

test('sysctls become default_sysctls (kube play ignores a pod spec\'s)', () => {
  const a = podmanAdaptation(host({ capSysResource: true }), ['fs.mqueue.msgsize_max=1048576', 'kernel.msgmax=1048576']);
  assert.match(a.containersConf ?? '', /default_sysctls = \["fs.mqueue.msgsize_max=1048576", "kernel.msgmax=1048576"\]/);
});

test('this host is read without failing, and its verdict is consistent', () => {
  const facts = readHostLimits();
  const a = podmanAdaptation(facts);
  if (facts.capSysResource) assert.doesNotMatch(a.containersConf ?? '', /default_ulimits/);
  if (facts.cgroupHybrid && facts.runcPath) assert.match(a.containersConf ?? '', /runtime = "runc"/);
});
