/**
 * The sandbox's pod boundary: objects made inside a pod are shared by its containers and
 * invisible to the host and to the second pod. The verdict logic is checked on hand-made
 * observations; the real pods are checked twice - by the session's own check (through its
 * containers) and independently here with nsenter, so the test does not trust the code it
 * tests.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import type { BoundaryLook, BoundaryObjects } from '../bench/boundary-check.js';
import { sandboxPlacement } from '../harness/placements/sandbox.js';
import { checkBoundary, judgeBoundary, type BoundaryRunner } from '../harness/placements/sandbox/boundary.js';
import { findLeftovers } from '../harness/placements/sandbox/leftovers.js';
import { uptimeTicks } from '../harness/placements/sandbox/state.js';

const availability = await sandboxPlacement.check();
const skip = availability.ok ? false : `the sandbox cannot run here: ${availability.reason}`;

const objects: BoundaryObjects = { queueKey: 1234, devShmFile: '/dev/shm/podipc-boundary-t', diskFile: '/d/podipc-boundary-t', memoryFile: '/m/podipc-boundary-t' };
const sees = (all: boolean): BoundaryLook => ({ queue: all, devShm: all, diskVolume: all, memoryVolume: all, ipcNamespace: 'ipc:[1]', hostname: 'h' });

test('judge: shared inside the pod and invisible outside passes', () => {
  const host = { ...sees(false), diskVolume: true }; // the host holds emptyDirs on its disk, as kubelet does
  const r = judgeBoundary(objects, { peer: sees(true), host, secondPod: sees(false) }, 'now');
  assert.equal(r.passed, true);
  assert.deepEqual([r.sameIpcNamespace, r.sharedDevShm, r.sharedVolumes, r.hostIsolated, r.secondPodIsolated], [true, true, true, true, true]);
  assert.deepEqual(r.problems, []);
});

test('judge: the host seeing the pod queue fails, naming the leak', () => {
  const r = judgeBoundary(objects, { peer: sees(true), host: { ...sees(false), queue: true }, secondPod: sees(false) }, 'now');
  assert.equal(r.passed, false);
  assert.equal(r.hostIsolated, false);
  assert.equal(r.secondPodIsolated, true);
  assert.match(r.problems.join(), /host sees the pod's SysV message queue \(key 1234\)/);
});

test('judge: the second pod seeing /dev/shm or a volume fails secondPodIsolated', () => {
  const r = judgeBoundary(objects, { peer: sees(true), host: sees(false), secondPod: { ...sees(false), devShm: true, diskVolume: true } }, 'now');
  assert.equal(r.secondPodIsolated, false);
  assert.equal(r.problems.length, 2);
  assert.match(r.problems[0]!, /second pod sees .*\/dev\/shm\/podipc-boundary-t/);
});

test('judge: containers that do not share IPC or /dev/shm fail', () => {
  const r = judgeBoundary(objects, { peer: { ...sees(true), queue: false, devShm: false }, host: sees(false), secondPod: sees(false) }, 'now');
  assert.equal(r.sameIpcNamespace, false);
  assert.equal(r.sharedDevShm, false);
  assert.equal(r.passed, false);
});

test('checkBoundary creates in pod A, looks from its peer, the host and pod B, then removes', async () => {
  const calls: string[] = [];
  const line = (v: unknown): string => `noise\nPODIPC_BOUNDARY ${JSON.stringify(v)}\n`;
  const runner: BoundaryRunner = {
    async inContainer(pod, container, args) {
      calls.push(`${pod}/${container} ${args[0]} ${args[1]}`);
      if (args[0] === 'create') return line({ ...objects, queueKey: -5 });
      if (args[0] === 'remove') return line({ removed: true });
      return line(sees(pod === 'a'));
    },
    async onHost(args) {
      calls.push(`host ${args[0]} ${args[1]}`);
      return line({ ...sees(false), queue: true });
    },
  };
  const r = await checkBoundary(runner, 'tok', { disk: '/d', memory: '/m' });
  assert.deepEqual(calls, ['a/server create --token', 'a/client look --key=-5', 'host look --key=-5', 'b/client look --key=-5', 'a/server remove --key=-5']);
  assert.equal(r.passed, false);
  assert.equal(r.hostIsolated, false);
});

function nsenter(pid: number, ns: string[], args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync('nsenter', [`--target=${pid}`, ...ns, '--', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (err) {
    return { code: (err as { status?: number }).status ?? -1, out: '' };
  }
}

function queueKeys(text: string): string[] {
  return text.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean);
}

test('real pods: both containers share the pod objects; the host and the second pod see none', { skip }, async () => {
  const runTag = `b${randomInt(36 ** 6).toString(36)}`;
  const logs: string[] = [];
  const session = await sandboxPlacement.open({ runTag, sysvSlot: randomInt(0x10000), resources: {}, log: (l) => logs.push(l) });
  const facts = session.facts();
  const env = { boundary: facts.boundary, sandbox: facts.details } as unknown as {
    boundary: Record<string, unknown>;
    sandbox: { pods: { name: string; pausePid: number; namespaces: { net: string; ipc: string; uts: string; mnt: string } }[] };
  };
  const pods = env.sandbox.pods;
  try {
    // The session's own check, through real containers (create in one, look from the other).
    for (const fact of ['passed', 'sameIpcNamespace', 'sharedDevShm', 'sharedVolumes', 'hostIsolated', 'secondPodIsolated']) {
      assert.equal(env.boundary[fact], true, `boundary.${fact}`);
    }
    assert.match(String(env.boundary.checkedAt), /^\d{4}-\d\d-\d\dT/);
    const [a, b] = pods;
    assert.ok(a && b);
    assert.notEqual(a.namespaces.ipc, b.namespaces.ipc);
    assert.notEqual(a.namespaces.net, b.namespaces.net);
    assert.notEqual(a.namespaces.ipc, readlinkSync('/proc/self/ns/ipc'), 'pod A is in the host IPC namespace');

    // Independently: a SysV queue made in pod A's IPC namespace.
    const made = nsenter(a.pausePid, ['--ipc'], ['ipcmk', '--queue']);
    assert.equal(made.code, 0);
    const podKeys = queueKeys(nsenter(a.pausePid, ['--ipc'], ['cat', '/proc/sysvipc/msg']).out);
    assert.equal(podKeys.length, 1, 'pod A should hold exactly the queue just made');
    const key = podKeys[0]!;
    assert.ok(!queueKeys(readFileSync('/proc/sysvipc/msg', 'utf8')).includes(key), 'the host sees the pod queue');
    assert.deepEqual(queueKeys(nsenter(b.pausePid, ['--ipc'], ['cat', '/proc/sysvipc/msg']).out), [], 'pod B sees a queue');

    // A file in pod A's /dev/shm: not on the host's, not in pod B's.
    const file = `/dev/shm/podipc-test-${runTag}`;
    assert.equal(nsenter(a.pausePid, ['--mount'], ['sh', '-c', `echo x > ${file}`]).code, 0);
    assert.equal(nsenter(a.pausePid, ['--mount'], ['test', '-e', file]).code, 0);
    assert.equal(existsSync(file), false, 'the host sees the pod /dev/shm file');
    assert.notEqual(nsenter(b.pausePid, ['--mount'], ['test', '-e', file]).code, 0, 'pod B sees the pod A /dev/shm file');

    // The pod's /dev/shm is its own 64 MiB tmpfs; hostname is the pod name; loopback is up.
    const shm = readFileSync(`/proc/${a.pausePid}/mountinfo`, 'utf8').split('\n').filter((l) => l.includes(' /dev/shm '));
    assert.match(shm.at(-1) ?? '', /tmpfs .*size=65536k/);
    assert.equal(nsenter(a.pausePid, ['--uts'], ['cat', '/proc/sys/kernel/hostname']).out.trim(), a.name);
    assert.match(nsenter(a.pausePid, ['--net'], ['ip', '-o', 'link', 'show', 'lo']).out, /[<,]UP[,>]/);
  } finally {
    await session.close();
  }
  assert.deepEqual(findLeftovers(runTag, pods.map((p) => p.namespaces), uptimeTicks()), []);
  assert.ok(!logs.some((l) => l.startsWith('warning')), logs.join('\n'));
});
