/**
 * What people read of rate cases: the report has a response-time-at-rate table per size
 * (every rate of every mechanism, service time and CPU per message beside it, a fallen-behind
 * client named in its row) and a sustainable-rate table; recommend's rate evidence picks,
 * per mechanism, the nearest measured rate >= the one asked for and judges it on p99
 * response time, loss, achieved rate and the client's schedule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CaseResult, ResultFile } from '../core/results.js';
import { buildReportModel } from '../harness/report/tables.js';
import { rateVerdicts } from '../harness/recommend/rate.js';

const lat = (p99: number) => ({ p50: p99 / 2, p90: p99 / 1.5, p99, p999: p99 * 2, max: p99 * 3, mean: p99 / 2, stddev: 1 });

function rateCase(mechanism: string, variant: string | undefined, ratePerSec: number, p99Ns: number, extra: Partial<CaseResult> = {}): CaseResult {
  return {
    mechanism,
    ...(variant ? { variant } : {}),
    runtime: 'native',
    placement: 'process',
    probe: 'rate',
    messageBytes: 64,
    ratePerSec,
    topology: 'same-pod',
    status: 'ok',
    runs: [],
    achievedRatePerSec: ratePerSec,
    responseNs: lat(p99Ns),
    serviceNs: lat(p99Ns / 2),
    clientBehind: false,
    cpu: { clientUsPerMsg: 5, serverUsPerMsg: variant === 'spin' ? 1000000 / ratePerSec : 5 },
    integrity: { sent: 100, received: 100, corrupt: 0, lost: 0 },
    ...extra,
  };
}

const results = {
  schemaVersion: 2,
  tool: { name: 'podipc', version: '0', gitCommit: 'x' },
  env: { kernel: 'k', cpuModel: 'c', cores: 2, nodeVersion: 'v20', placements: { process: { isolation: 'none', resources: {} } } },
  config: {
    quick: true, placementsRequested: ['process'], mechanisms: ['tcp', 'shm-posix/futex', 'shm-posix/spin'], sizesBytes: [64], probes: ['rate'], topologies: ['same-pod'],
    runtimes: ['native'], runs: 1, warmupMs: 0, warmupRoundTrips: 0, measureMs: 1, setupTimeoutMs: 1,
  },
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:00.000Z',
  cases: [
    rateCase('tcp', undefined, 1000, 60_000),
    rateCase('tcp', undefined, 10000, 90_000),
    rateCase('tcp', undefined, 50000, 160_000_000, { achievedRatePerSec: 27000 }),
    rateCase('shm-posix', 'futex', 1000, 40_000, { clientBehind: true }),
    rateCase('shm-posix', 'futex', 10000, 30_000),
    rateCase('shm-posix', 'spin', 1000, 5_000),
    rateCase('shm-posix', 'spin', 10000, 3_000),
    { ...rateCase('tcp', undefined, 1, 89_000), ratePerSec: undefined, p99BudgetNs: 100_000, sustainableRatePerSec: 6442 },
  ],
} as unknown as ResultFile;

test('the report: response time at each rate per mechanism and size, and the sustainable-rate table', () => {
  const model = buildReportModel(results);
  const atRate = model.sections.find((s) => s.heading.startsWith('Latency under load'));
  assert.ok(atRate, model.sections.map((s) => s.heading).join(' | '));
  const rows = atRate.tables[0]!.rows;
  assert.equal(rows.length, 7, 'one row per mechanism and rate');
  assert.deepEqual(rows.map((r) => r[0]), ['tcp', 'tcp', 'tcp', 'shm-posix/futex', 'shm-posix/futex', 'shm-posix/spin', 'shm-posix/spin'], 'families grouped in the run order, rates ascending');
  assert.match(rows[2]!.at(-1)!, /rate not held/);
  assert.match(rows[3]!.at(-1)!, /client fell behind/);
  assert.equal(rows[5]![9], '1.00 ms', "the spinning server's CPU per message at 1k msg/s is a whole core");
  const sustainable = model.sections.find((s) => s.heading.startsWith('Sustainable rate'));
  assert.ok(sustainable);
  assert.deepEqual(sustainable.tables[0]!.rows.map((r) => [r[0], r[3]]), [['tcp', '6.44 k msg/s']]);
});

test('recommend at a rate: the nearest measured rate >= R decides, judged on p99, loss, achieved rate and schedule', () => {
  const q = { messageBytes: 64, ratePerSec: 5000, p99BudgetNs: 100_000, runtime: 'native' as const, topology: 'same-pod' as const };
  const v = rateVerdicts(results, q);
  const by = new Map(v.map((x) => [x.mechanism, x]));
  // 5k asked: 10k is the nearest measured rate at or above it.
  assert.deepEqual([by.get('tcp')!.holds, by.get('shm-posix/futex')!.holds, by.get('shm-posix/spin')!.holds], [true, true, true]);
  assert.equal((by.get('tcp') as { measuredRatePerSec: number }).measuredRatePerSec, 10000);
  assert.deepEqual(v.map((x) => x.mechanism), ['shm-posix/futex', 'tcp', 'shm-posix/spin'], 'cheapest CPU per message first (spin: 100 µs/msg at 10k)');
  // 1k asked: futex's own 1k run had its client fall behind: it cannot vouch.
  const at1k = new Map(rateVerdicts(results, { ...q, ratePerSec: 1000 }).map((x) => [x.mechanism, x]));
  assert.equal(at1k.get('shm-posix/futex')!.holds, false);
  assert.match((at1k.get('shm-posix/futex') as { reason: string }).reason, /fell behind/);
  // 20k asked: tcp's 50k case did not hold the rate; the others were not measured that high.
  const at20k = new Map(rateVerdicts(results, { ...q, ratePerSec: 20000 }).map((x) => [x.mechanism, x]));
  assert.match((at20k.get('tcp') as { reason: string }).reason, /achieved only 27000/);
  assert.match((at20k.get('shm-posix/spin') as { reason: string }).reason, /not measured at 20000/);
  // A tight budget excludes on p99.
  const tight = new Map(rateVerdicts(results, { ...q, p99BudgetNs: 50_000 }).map((x) => [x.mechanism, x]));
  assert.match((tight.get('tcp') as { reason: string }).reason, /p99 response 90 µs > 50 µs/);
});
