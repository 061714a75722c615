/**
 * The matrix turns the rate probe into one case per target rate (and one search case) per
 * size, in both runtimes; the plan cases carry the rate or the search, so each pair's plan
 * says what to run; a rate probe with neither rates nor a search is refused naming the flags.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMatrix, planCases, type MatrixRequest } from '../harness/matrix.js';
import { processPlacement } from '../harness/placements/process.js';
import { caseKey } from '../core/results.js';

const OFFER = [{ id: 'process' as const, capabilities: processPlacement.capabilities, lacks: () => new Map(), runtimeAvailability: () => ({ ok: true as const }) }];
const SEARCH = { p99BudgetNs: 100_000, startRatePerSec: 1000, maxRatePerSec: 2_000_000 };

function request(over: Partial<MatrixRequest>): MatrixRequest {
  return { selections: [{ mechanism: 'tcp', variant: undefined }], probes: ['latency', 'rate'], sizes: [64, 1024], topologies: ['same-pod'], runtimes: ['node', 'native'], ...over };
}

test('one case per rate and one search per size and runtime; plan cases carry them', () => {
  const matrix = buildMatrix(request({ rate: { ratesPerSec: [1000, 10000], search: SEARCH } }), OFFER);
  const rate = matrix.cases.filter((c) => c.probe === 'rate');
  assert.equal(rate.length, 2 /* sizes */ * 2 /* runtimes */ * 3 /* 2 rates + search */);
  assert.equal(matrix.cases.filter((c) => c.probe === 'latency').length, 4, 'other probes are unchanged');
  const keys = matrix.cases.map((c) => caseKey(c.search ? { ...c, p99BudgetNs: c.search.p99BudgetNs } : c));
  assert.equal(new Set(keys).size, keys.length, 'every case has its own key');
  const group = matrix.groups.find((g) => g.runtime === 'node')!;
  const plan = planCases(matrix, group.caseIds, { warmupRoundTrips: 100 });
  assert.deepEqual(
    plan.filter((c) => c.probe === 'rate' && c.messageBytes === 64).map((c) => c.ratePerSec ?? c.search),
    [1000, 10000, SEARCH],
  );
});

test('the rate probe without rates or a search is refused naming the flags', () => {
  assert.throws(() => buildMatrix(request({}), OFFER), /--rates or --rate-search/);
});
