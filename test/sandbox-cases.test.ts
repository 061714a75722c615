/**
 * Every registered mechanism, through both probes, between two containers of one sandbox
 * pod, with tiny budgets: the same-pod matrix must come back all ok (a case may only be
 * skipped for a limit the mechanism itself names, never for something the pod lacks).
 * Iterates over the registry, so mechanisms added later are covered without editing this.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMechanism } from '../bench/registry.js';
import { allSelections } from '../harness/selection.js';
import { sandboxPlacement } from '../harness/placements/sandbox.js';
import { findLeftovers } from '../harness/placements/sandbox/leftovers.js';
import { uptimeTicks } from '../harness/placements/sandbox/state.js';
import { caseKey, placementsOf } from '../core/results.js';
import { assertCaseSane, runQuick } from './helpers/suite.js';

const availability = await sandboxPlacement.check();
const skip = availability.ok ? false : `the sandbox cannot run here: ${availability.reason}`;

test('every registered mechanism runs ok through both probes inside one sandbox pod', { skip, timeout: 15 * 60_000 }, async () => {
  const results = await runQuick([
    '--placement', 'sandbox', '--topology', 'same-pod', '--sizes', '64,4096', '--probes', 'latency,throughput',
    '--runs', '1', '--warmup-ms', '0', '--budget-ms', '20', '--setup-timeout-ms', '10000',
  ]);
  assert.deepEqual(placementsOf(results), ['sandbox']);
  assert.equal(results.env.placements.sandbox?.boundary?.passed, true, 'the boundary check did not pass');

  const labels = new Set(results.cases.map((c) => `${c.mechanism}/${c.variant ?? ''} ${c.probe}`));
  for (const s of allSelections()) {
    for (const probe of ['latency', 'throughput']) assert.ok(labels.has(`${s.mechanism}/${s.variant ?? ''} ${probe}`), `no ${probe} case for ${s.mechanism}/${s.variant ?? ''}`);
  }
  let ok = 0;
  for (const c of results.cases) {
    assert.equal(c.topology, 'same-pod');
    const mech = findMechanism(c.mechanism)!;
    const support = mech.supports(c.probe, c.messageBytes, c.variant);
    if (!support.ok) {
      assert.equal(c.status, 'skipped', caseKey(c));
      assert.equal(c.reason, support.reason, `${caseKey(c)}: skipped for something other than the mechanism's own limit`);
      continue;
    }
    assertCaseSane(c, { lossless: !mech.lossy });
    ok++;
  }
  assert.ok(ok >= allSelections().length, `only ${ok} ok cases`);

  const pods = results.env.placements.sandbox?.details?.pods as { name: string; namespaces: { net: string; ipc: string; uts: string; mnt: string } }[];
  const runTag = pods[0]!.name.split('-')[1]!;
  assert.deepEqual(findLeftovers(runTag, pods.map((p) => p.namespaces), uptimeTicks()), []);
});
