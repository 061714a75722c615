/**
 * How the matrix cuts a run into process pairs: placements whose pods provide every
 * requirement at once (`pairScope: 'all'`) get one pair per runtime and topology running
 * every mechanism in turn; placements that spec a pod per mechanism (`pairScope: 'mechanism'`)
 * get one pair per mechanism. The runner rotates the mechanisms' order from run to run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mechanismLabel } from '../core/vocabulary.js';
import { buildMatrix, planCases, type MatrixRequest, type PlacementOffer } from '../harness/matrix.js';
import { pairMechanisms, soleMechanism } from '../harness/plan.js';
import { podmanPlacement } from '../harness/placements/podman.js';
import { processPlacement } from '../harness/placements/process.js';
import { rotateMechanisms } from '../harness/runner.js';

const offer = (p: Pick<PlacementOffer, 'id' | 'capabilities'>): PlacementOffer => ({ ...p, lacks: () => new Map(), runtimeAvailability: () => ({ ok: true }) });
const REQUEST: MatrixRequest = {
  selections: [{ mechanism: 'tcp', variant: undefined }, { mechanism: 'uds', variant: undefined }, { mechanism: 'shm-posix', variant: 'spin' }],
  probes: ['latency', 'throughput'],
  sizes: [64, 1024],
  topologies: ['same-pod'],
  runtimes: ['node'],
};

test("pairScope 'all': one pair per runtime and topology holds every mechanism's cases, each case naming its mechanism", () => {
  const matrix = buildMatrix(REQUEST, [offer(processPlacement)]);
  assert.equal(matrix.groups.length, 1);
  const plan = planCases(matrix, matrix.groups[0]!.caseIds, { warmupRoundTrips: 100 });
  assert.equal(plan.length, 3 * 2 * 2);
  assert.deepEqual(plan.map((c) => c.caseIndex), plan.map((_, i) => i), 'caseIndex is the position in the plan');
  assert.deepEqual(pairMechanisms({ cases: plan }).map(mechanismLabel), ['tcp', 'uds', 'shm-posix/spin']);
  assert.throws(() => soleMechanism({ cases: plan }), /cases of 3 mechanisms \(tcp, uds, shm-posix\/spin\): group the matrix per mechanism/);
});

test("pairScope 'mechanism': one pair per mechanism, so a pod is specced for its mechanism alone", () => {
  const matrix = buildMatrix(REQUEST, [offer(podmanPlacement)]);
  assert.equal(matrix.groups.length, 3);
  assert.deepEqual(
    matrix.groups.map((g) => mechanismLabel(soleMechanism({ cases: planCases(matrix, g.caseIds, { warmupRoundTrips: 100 }) }))),
    ['tcp', 'uds', 'shm-posix/spin'],
  );
});

test('the mechanisms take turns leading the pair, each keeping its cases in order', () => {
  const matrix = buildMatrix(REQUEST, [offer(processPlacement)]);
  const ids = matrix.groups[0]!.caseIds;
  const order = (run: number): string[] => rotateMechanisms(matrix, ids, run).map((id) => `${mechanismLabel(matrix.cases[id]!)} ${matrix.cases[id]!.probe} ${matrix.cases[id]!.messageBytes}`);
  assert.deepEqual(order(0).slice(0, 4), ['tcp latency 64', 'tcp latency 1024', 'tcp throughput 64', 'tcp throughput 1024']);
  assert.deepEqual([0, 1, 2, 3].map((run) => order(run)[0]), ['tcp latency 64', 'uds latency 64', 'shm-posix/spin latency 64', 'tcp latency 64']);
  for (const run of [1, 2]) assert.deepEqual([...rotateMechanisms(matrix, ids, run)].sort((a, b) => a - b), [...ids], `run ${run} runs every case once`);
});

test("a case's warm-up round trips are the budget's, capped at 4 MiB of messages (at least 10): large sizes warm their buffers, not V8", () => {
  const matrix = buildMatrix({ ...REQUEST, selections: [{ mechanism: 'tcp', variant: undefined }], probes: ['latency'], sizes: [64, 16_384, 262_144, 1_048_576] }, [offer(processPlacement)]);
  const plan = planCases(matrix, matrix.groups[0]!.caseIds, { warmupRoundTrips: 1000 });
  // 64 B keeps the budget's (no override on the case); 16 KiB: 256; 256 KiB: 16; 1 MiB: 4 -> the minimum, 10.
  assert.deepEqual(plan.map((c) => c.warmupRoundTrips), [undefined, 256, 16, 10]);
  assert.deepEqual(planCases(matrix, matrix.groups[0]!.caseIds, { warmupRoundTrips: 5 }).map((c) => c.warmupRoundTrips), [undefined, undefined, undefined, undefined], 'never more than the budget');
});
