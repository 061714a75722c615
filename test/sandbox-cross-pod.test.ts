/**
 * The cross-pod baseline: a second pod joined by a veth pair. Network mechanisms run across
 * it (and their bytes really cross the veth, not loopback); mechanisms that need a shared
 * IPC namespace, /dev/shm or volume are skipped with the reason, which is the lesson.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import type { Requirement } from '../core/requirements.js';
import { findMechanism, mechanisms } from '../bench/registry.js';
import { sandboxPlacement } from '../harness/placements/sandbox.js';
import { findLeftovers } from '../harness/placements/sandbox/leftovers.js';
import { uptimeTicks } from '../harness/placements/sandbox/state.js';
import { caseKey } from '../core/results.js';
import { REQUIREMENT_INFO } from '../core/requirements.js';
import { assertCaseSane, runQuick } from './helpers/suite.js';

const availability = await sandboxPlacement.check();
const skip = availability.ok ? false : `the sandbox cannot run here: ${availability.reason}`;

const REASONS: Partial<Record<Requirement, string>> = Object.fromEntries(
  (['ipc-namespace', 'shared-dev-shm', 'volume-disk', 'volume-tmpfs'] as const).map((r) => [r, REQUIREMENT_INFO[r].crossPodReason]),
);

test('cross-pod: network mechanisms are ok across the veth; shared-pod mechanisms are skipped with the reason', { skip, timeout: 10 * 60_000 }, async () => {
  const results = await runQuick([
    '--placement', 'sandbox', '--topology', 'cross-pod', '--sizes', '64,4096', '--probes', 'latency,throughput',
    '--runs', '1', '--warmup-ms', '0', '--budget-ms', '20', '--setup-timeout-ms', '10000',
  ]);
  const networkOnly = mechanisms.filter((m) => m.requires.every((r) => r === 'native-addon')).map((m) => m.id);
  for (const id of ['tcp', 'udp', 'ws']) {
    if (findMechanism(id)) assert.ok(networkOnly.includes(id), `${id} should need nothing a pod shares`);
  }
  const okIds = new Set<string>();
  for (const c of results.cases) {
    assert.equal(c.topology, 'cross-pod');
    const mech = findMechanism(c.mechanism)!;
    const shared = mech.requires.find((r) => r !== 'native-addon');
    if (shared) {
      assert.equal(c.status, 'skipped', caseKey(c));
      assert.equal(c.reason, REASONS[shared], caseKey(c));
      continue;
    }
    const support = mech.supports(c.probe, c.messageBytes, c.variant);
    if (!support.ok) continue;
    assertCaseSane(c, { lossless: !mech.lossy });
    okIds.add(c.mechanism);
  }
  assert.deepEqual([...okIds].sort(), [...networkOnly].sort());
  if (findMechanism('mq-sysv')) {
    assert.ok(results.cases.some((c) => c.mechanism === 'mq-sysv' && c.reason === REQUIREMENT_INFO['ipc-namespace'].crossPodReason));
  }
  const link = results.env.placements.sandbox?.details?.crossPodLink as { kind: string; server: { address: string }; client: { address: string } };
  assert.equal(link.kind, 'veth');
  assert.match(link.server.address, /^198\.1[89]\./);
});

function vethBytes(pausePid: number, dev: string): number {
  const json = execFileSync('nsenter', [`--target=${pausePid}`, '--net', '--', 'ip', '-s', '-j', 'link', 'show', 'dev', dev], { encoding: 'utf8' });
  const [link] = JSON.parse(json) as { stats64: { rx: { bytes: number } } }[];
  return link!.stats64.rx.bytes;
}

test('cross-pod tcp bytes cross the veth pair; same-pod tcp bytes do not', { skip, timeout: 5 * 60_000 }, async () => {
  const runTag = `x${randomInt(36 ** 6).toString(36)}`;
  const session = await sandboxPlacement.open({ runTag, sysvSlot: randomInt(0x10000), resources: {}, log: () => {} });
  const env = { sandbox: session.facts().details } as unknown as {
    sandbox: { pods: { pausePid: number; namespaces: { net: string; ipc: string; uts: string; mnt: string } }[]; crossPodLink: { server: { interface: string } } };
  };
  const pausePid = env.sandbox.pods[0]!.pausePid;
  const dev = env.sandbox.crossPodLink.server.interface;
  const messageBytes = 64 * 1024;
  const spec = (topology: 'same-pod' | 'cross-pod') => ({
    runtime: 'node' as const, topology, run: 0,
    cases: [{ caseIndex: 0, mechanism: 'tcp', probe: 'throughput' as const, messageBytes }],
    budget: { warmupMs: 0, warmupRoundTrips: 0, measureMs: 50, setupTimeoutMs: 10_000 },
  });
  try {
    const before = vethBytes(pausePid, dev);
    const same = await session.runPair(spec('same-pod'), new AbortController().signal);
    assert.equal(same.lines[0]?.status, 'ok', same.failure);
    const afterSame = vethBytes(pausePid, dev);
    const cross = await session.runPair(spec('cross-pod'), new AbortController().signal);
    assert.equal(cross.lines[0]?.status, 'ok', cross.failure);
    const received = cross.lines[0]!.integrity!.received;
    const afterCross = vethBytes(pausePid, dev);
    // Same pod: loopback only (a few stray packets at most, e.g. IPv6 router solicitations).
    assert.ok(afterSame - before < 10_000, `same-pod traffic crossed the veth: ${afterSame - before} B`);
    // Cross pod: everything the server received came in through its veth.
    assert.ok(afterCross - afterSame >= received * messageBytes, `veth received ${afterCross - afterSame} B for ${received} frames of ${messageBytes} B`);
  } finally {
    await session.close();
  }
  assert.deepEqual(findLeftovers(runTag, env.sandbox.pods.map((p) => p.namespaces), uptimeTicks()), []);
});
