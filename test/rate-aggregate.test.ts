/**
 * Rate runs aggregate into a case as latency runs do, and rate cases are keyed per rate:
 * response and service times come from the merged histograms of the ok runs (all messages),
 * the achieved and sustainable rates are medians, clientBehind is set when ANY run fell
 * behind; two cases that differ only in their target rate (or a search's budget) are two
 * keys, so compare matches them per rate.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHistogram, histogramFromPairs, mergeHistograms, summarizeHistogram } from '../core/histogram.js';
import { caseKey, type RunResult } from '../core/results.js';
import { aggregateCase } from '../core/stats.js';
import { runFromLine } from '../harness/runner.js';
import { PROTOCOL_VERSION, type ProbeLine } from '../core/protocol.js';

const pairs = (values: number[]): { sigDigits: 3; pairs: Array<[number, number]> } => ({ sigDigits: 3, pairs: values.map((v) => [v, 1]) });

function run(i: number, o: { response: number[]; service: number[]; achieved: number; behind: boolean; sustainable?: number }): RunResult {
  return {
    run: i,
    status: 'ok',
    samples: o.response.length,
    cpu: { clientUsPerMsg: 1, serverUsPerMsg: 1 },
    integrity: { sent: o.response.length, received: o.response.length, corrupt: 0, lost: 0 },
    achievedRatePerSec: o.achieved,
    responseHistogram: encodeHistogram(histogramFromPairs(pairs(o.response))),
    serviceHistogram: encodeHistogram(histogramFromPairs(pairs(o.service))),
    selfLagP99Ns: 1000 * (i + 1),
    clientBehind: o.behind,
    ...(o.sustainable !== undefined ? { sustainableRatePerSec: o.sustainable } : {}),
  };
}

test('rate runs: merged response and service histograms, median rates, clientBehind if any run fell behind', () => {
  const runs = [
    run(0, { response: [1000, 2000, 3000], service: [900, 1000, 1100], achieved: 990, behind: false, sustainable: 8000 }),
    run(1, { response: [5_000_000, 4000], service: [1200, 1300], achieved: 1000, behind: true, sustainable: 16000 }),
    run(2, { response: [1500], service: [800], achieved: 980, behind: false, sustainable: 4000 }),
  ];
  const a = aggregateCase(runs);
  assert.equal(a.status, 'ok');
  const all = summarizeHistogram(mergeHistograms([[1000, 2000, 3000], [5_000_000, 4000], [1500]].map((v) => histogramFromPairs(pairs(v)))));
  assert.deepEqual(a.responseNs, all, 'the statistics of the merged response histogram');
  assert.equal(a.rateSamples, 6, 'every message of every run');
  assert.equal(a.responseNs!.max >= 5_000_000 * 0.999, true, "one run's stall is in the merged tail");
  assert.ok(a.serviceNs!.max < 2000, 'service times merged separately');
  assert.equal(a.achievedRatePerSec, 990);
  assert.equal(a.sustainableRatePerSec, 8000);
  assert.equal(a.clientBehind, true, 'one run whose client fell behind taints the case');
  assert.equal(a.selfLagP99Ns, 3000, 'the largest self-lag p99');
  assert.equal(aggregateCase(runs.filter((r) => r.clientBehind === false)).clientBehind, false);
  // Nothing of this appears on a latency case.
  const latency = aggregateCase([{ run: 0, status: 'ok', latencyNs: { p50: 1, p90: 1, p99: 1, p999: 1, max: 1, mean: 1, stddev: 0 }, samples: 1 }]);
  assert.equal(latency.responseNs, undefined);
  assert.equal(latency.clientBehind, undefined);
});

test('rate cases are keyed per target rate and per search budget', () => {
  const base = { mechanism: 'tcp', variant: undefined, runtime: 'node', placement: 'process', probe: 'rate', messageBytes: 64, topology: 'same-pod' } as const;
  const keys = [caseKey({ ...base, ratePerSec: 1000 }), caseKey({ ...base, ratePerSec: 10000 }), caseKey({ ...base, p99BudgetNs: 100_000 }), caseKey({ ...base, ratePerSec: 1000, burst: 8 })];
  assert.equal(new Set(keys).size, keys.length, keys.join(' | '));
  assert.equal(keys[0], 'tcp rate 64B 1000/s same-pod @process');
  assert.equal(keys[2], 'tcp rate 64B search-p99<=100us same-pod @process');
  // Other probes' keys read as they always did.
  assert.equal(caseKey({ ...base, probe: 'latency' }), 'tcp latency 64B same-pod @process');
});

test("a rate result line becomes a run with both histograms encoded and their summaries recomputed", () => {
  const line: ProbeLine = {
    protocolVersion: PROTOCOL_VERSION,
    caseIndex: 0,
    mechanism: 'tcp',
    probe: 'rate',
    messageBytes: 64,
    status: 'ok',
    ratePerSec: 1000,
    achievedRatePerSec: 999,
    samples: 3,
    responseHistogram: pairs([1000, 2000, 9000]),
    serviceHistogram: pairs([900, 1000, 1100]),
    // Deliberately wrong summaries: the harness trusts the histograms, not the line's numbers.
    responseNs: { p50: 1, p90: 1, p99: 1, p999: 1, max: 1, mean: 1, stddev: 0 },
    serviceNs: { p50: 1, p90: 1, p99: 1, p999: 1, max: 1, mean: 1, stddev: 0 },
    selfLagP99Ns: 500,
    clientBehind: false,
    pacingSpinUsPerMsg: 70,
  };
  const r = runFromLine(0, line, undefined);
  assert.deepEqual(r.responseNs, summarizeHistogram(histogramFromPairs(line.responseHistogram!)));
  assert.deepEqual(r.serviceNs, summarizeHistogram(histogramFromPairs(line.serviceHistogram!)));
  assert.equal(typeof r.responseHistogram, 'string');
  assert.equal(r.achievedRatePerSec, 999);
  assert.equal(r.pacingSpinUsPerMsg, 70);
  assert.equal(r.clientBehind, false);
  assert.equal(aggregateCase([r]).responseNs!.max, r.responseNs!.max);
});
