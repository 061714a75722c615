/**
 * The native runtime on the sandbox placement: every mechanism the native probe implements
 * runs ok between two containers of one namespace pod (the probe binary from this checkout,
 * entered into the pod's network, IPC and mount namespaces), and tcp/udp run across the veth
 * to the second pod while the shared-pod mechanisms are skipped there with the reason.
 * Tiny budgets; nothing of the pods survives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMechanism } from '../bench/registry.js';
import { caseKey, placementsOf } from '../core/results.js';
import { sandboxPlacement } from '../harness/placements/sandbox.js';
import { findLeftovers } from '../harness/placements/sandbox/leftovers.js';
import { uptimeTicks } from '../harness/placements/sandbox/state.js';
import { nativeRuntime } from '../harness/runtimes/native.js';
import { assertCaseSane, runQuick } from './helpers/suite.js';

const availability = await sandboxPlacement.check();
const native = nativeRuntime.availability();
const skip = !availability.ok ? `the sandbox cannot run here: ${availability.reason}` : !native.ok ? native.reason : false;

const NATIVE_MECHANISMS = 'tcp,udp,uds,fifo,mq-posix,mq-sysv,sem,shm-sysv,shm-posix';

test('native runtime on the sandbox placement: same pod all ok, cross pod over the veth for tcp and udp', { skip, timeout: 10 * 60_000 }, async () => {
  const results = await runQuick([
    '--placement', 'sandbox', '--runtime', 'native', '--mechanisms', NATIVE_MECHANISMS, '--topology', 'same-pod,cross-pod',
    '--sizes', '64,4096', '--probes', 'latency,throughput', '--runs', '1', '--warmup-ms', '0', '--budget-ms', '20', '--setup-timeout-ms', '10000',
  ]);
  assert.deepEqual(placementsOf(results), ['sandbox']);
  assert.equal(results.env.placements.sandbox?.boundary?.passed, true, 'the boundary check did not pass');
  const okCross = new Set<string>();
  let okSame = 0;
  for (const c of results.cases) {
    assert.equal(c.runtime, 'native', caseKey(c));
    const mech = findMechanism(c.mechanism)!;
    const support = mech.supports(c.probe, c.messageBytes, c.variant);
    if (!support.ok) {
      assert.equal(c.status, 'skipped', caseKey(c));
      continue;
    }
    if (c.topology === 'cross-pod' && mech.requires.some((r) => r !== 'native-addon')) {
      assert.equal(c.status, 'skipped', `${caseKey(c)} cannot cross pods`);
      assert.match(c.reason ?? '', /separate pods|belongs to one pod/);
      continue;
    }
    assertCaseSane(c, { lossless: !(mech.lossy && c.probe === 'throughput') });
    if (c.topology === 'cross-pod') okCross.add(c.mechanism);
    else okSame++;
  }
  assert.deepEqual([...okCross].sort(), ['tcp', 'udp']);
  // 13 mechanism/variant selections x 2 probes x 2 sizes, minus sem's three.
  assert.equal(okSame, 13 * 4 - 3);
  const pods = results.env.placements.sandbox?.details?.pods as { name: string; namespaces: { net: string; ipc: string; uts: string; mnt: string } }[];
  const runTag = pods[0]!.name.split('-')[1]!;
  assert.deepEqual(findLeftovers(runTag, pods.map((p) => p.namespaces), uptimeTicks()), []);
});
