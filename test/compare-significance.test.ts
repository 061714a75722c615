import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compareExitCode, compareResults } from '../harness/compare/engine.js';
import { formatCompareMarkdown } from '../harness/compare/format-md.js';
import { parseResultFile, type CaseResult, type ResultFile, type RunResult } from '../core/results.js';
import { benjaminiHochberg, mannWhitneyCounts, mannWhitneyU, minRunsForSignificance, ratioInterval } from '../core/stats.js';

const FIXTURES = new URL('../../test/fixtures/', import.meta.url);
const load = (name: string): ResultFile => parseResultFile(JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')), name);

const close = (actual: number, expected: number, tol = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

// ---------------------------------------------------------------------------------------
// Exact Mann-Whitney U against hand-computed values
// ---------------------------------------------------------------------------------------

test('the exact U distribution for 3 vs 3 is the hand-enumerated one (20 orderings)', () => {
  // Orderings of xxxyyy by number of (x, y) pairs with x > y: 1,1,2,3,3,3,3,2,1,1.
  assert.deepEqual(mannWhitneyCounts(3, 3), [1, 1, 2, 3, 3, 3, 3, 2, 1, 1]);
  assert.equal(mannWhitneyCounts(5, 5).reduce((a, b) => a + b, 0), 252);
  assert.deepEqual(mannWhitneyCounts(2, 1), [1, 1, 1]);
});

test('fully separated samples: 3 vs 3 gives p = 2/20 = 0.1, 5 vs 5 gives 2/252 ≈ 0.0079, 4 vs 4 gives 2/70', () => {
  const r3 = mannWhitneyU([1, 2, 3], [4, 5, 6]);
  close(r3.p, 0.1);
  assert.equal(r3.method, 'exact');
  assert.equal(r3.u, 0);
  close(r3.minP, 0.1);
  close(mannWhitneyU([4, 5, 6], [1, 2, 3]).p, 0.1, 1e-12); // two-sided: symmetric
  close(mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p, 2 / 252);
  close(mannWhitneyU([1, 2, 3, 4], [5, 6, 7, 8]).p, 2 / 70);
});

test('one swapped pair: 4 vs 4 with U = 1 gives 4/70 ≈ 0.057 (not significant at 0.05); 5 vs 5 gives 4/252', () => {
  // x = 1,2,3,5 vs y = 4,6,7,8: x>y pairs: 5>4 -> U = 1; P(U <= 1) = (1+1)/70, two-sided 4/70.
  const r = mannWhitneyU([1, 2, 3, 5], [4, 6, 7, 8]);
  assert.equal(r.u, 1);
  close(r.p, 4 / 70);
  close(mannWhitneyU([1, 2, 3, 4, 6], [5, 7, 8, 9, 10]).p, 4 / 252);
});

test('identical samples give p = 1; a middle overlap gives the hand-enumerated p', () => {
  close(mannWhitneyU([10, 20, 30], [10, 20, 30]).p, 1);
  // x = 1,2,4 vs y = 3,5,6: U = 1 (4 > 3). |U - 4.5| = 3.5 is reached by U in {0,1,8,9}: 4 of 20.
  close(mannWhitneyU([1, 2, 4], [3, 5, 6]).p, 0.2);
  // x = 1,3,5 vs y = 2,4,6: U = 3; |U - 4.5| >= 1.5 except U in {4,5}: (20 - 6)/20.
  close(mannWhitneyU([1, 3, 5], [2, 4, 6]).p, 14 / 20);
});

test('ties use the exact permutation distribution of midranks', () => {
  // Pooled 1,1,2 | 2,3,3 -> midranks 1.5,1.5,3.5,3.5,5.5,5.5; rank sum of x = 6.5, U = 0.5.
  // As extreme: rank sums <= 6.5 (1.5+1.5+3.5: 2 ways) or >= 14.5 (5.5+5.5+3.5: 2 ways) -> 4/20.
  const r = mannWhitneyU([1, 1, 2], [2, 3, 3]);
  assert.equal(r.method, 'exact-permutation');
  close(r.u, 0.5);
  close(r.p, 0.2);
  close(r.minP, 0.2);
  // All values equal: nothing is more extreme than anything else.
  close(mannWhitneyU([7, 7, 7], [7, 7, 7]).p, 1);
});

test('large samples fall back to the normal approximation and still detect a clear shift', () => {
  const x = Array.from({ length: 40 }, (_, i) => 100 + i);
  const y = Array.from({ length: 40 }, (_, i) => 130 + i);
  const r = mannWhitneyU(x, y);
  assert.equal(r.method, 'normal');
  assert.ok(r.p < 1e-6, `p=${r.p}`);
});

test('minimum runs: alpha 0.05 needs 4 per side (5 to tolerate one swapped pair); alpha 0.01 needs 5', () => {
  assert.equal(minRunsForSignificance(0.05), 4);
  assert.equal(minRunsForSignificance(0.05, 1), 5);
  assert.equal(minRunsForSignificance(0.01), 5);
  assert.equal(minRunsForSignificance(0.1), 4); // 2/20 = 0.1 is not < 0.1
});

test('ratio interval: Hodges-Lehmann estimate and the full-range interval for 3 vs 3 (90 %)', () => {
  // Ratios head/base: 20/10..22/12, sorted 1.667 1.75 1.818 1.833 1.909 2 2 2.1 2.2; median 1.909.
  const r = ratioInterval([10, 11, 12], [20, 21, 22], 0.95);
  close(r.estimate, 21 / 11);
  close(r.low, 20 / 12);
  close(r.high, 22 / 10);
  close(r.confidence, 1 - 2 / 20); // 95 % unreachable: the widest interval covers 90 %
});

test('ratio interval for 5 vs 5 at 95 %: k = 3 (coverage 1 - 2·8/252 ≈ 96.8 %)', () => {
  const base = [100, 101, 102, 103, 104];
  const head = [110, 111, 112, 113, 114];
  const r = ratioInterval(base, head, 0.95);
  const ratios = base.flatMap((b) => head.map((h) => h / b)).sort((a, b) => a - b);
  close(r.low, ratios[2] as number);
  close(r.high, ratios[22] as number);
  close(r.confidence, 1 - 8 / 252); // P(U <= 2) = (1 + 1 + 2) / 252
});

// ---------------------------------------------------------------------------------------
// compareResults on constructed cases
// ---------------------------------------------------------------------------------------

function latencyCase(mechanism: string, p50s: number[]): CaseResult {
  const runs: RunResult[] = p50s.map((p50, run) => ({
    run,
    status: 'ok',
    latencyNs: { p50, p90: p50 * 1.2, p99: p50 * 2, p999: p50 * 3, max: p50 * 5, mean: p50, stddev: p50 / 10 },
    samples: 1000,
  }));
  return { mechanism, runtime: 'node', placement: 'sandbox', probe: 'latency', messageBytes: 64, topology: 'same-pod', status: 'ok', runs };
}

function throughputCase(mechanism: string, rates: number[]): CaseResult {
  const runs: RunResult[] = rates.map((msgsPerSec, run) => ({ run, status: 'ok', throughput: { msgsPerSec, bytesPerSec: msgsPerSec * 64 } }));
  return { mechanism, runtime: 'node', placement: 'sandbox', probe: 'throughput', messageBytes: 64, topology: 'same-pod', status: 'ok', runs };
}

function withCases(template: ResultFile, commit: string, cases: CaseResult[]): ResultFile {
  return { ...template, tool: { ...template.tool, gitCommit: commit }, cases };
}

const TEMPLATE = load('good/five-runs-base.json');

test('identical runs: change 0, p = 1, verdict ~', () => {
  const v = [1000, 1010, 990, 1005, 995];
  const c = compareResults(withCases(TEMPLATE, 'a', [latencyCase('tcp', v)]), withCases(TEMPLATE, 'b', [latencyCase('tcp', v)]));
  const x = c.cases[0];
  assert.ok(x);
  close(x.changePct, 0);
  close(x.p, 1);
  assert.equal(x.verdict, '~');
  assert.equal(c.counts.slower, 0);
});

test('a clean 20 % shift with 5 runs per side is significant: latency up = slower, throughput up = faster', () => {
  const base = [1000, 1010, 990, 1005, 995];
  const slower = base.map((v) => v * 1.2);
  const c = compareResults(
    withCases(TEMPLATE, 'a', [latencyCase('tcp', base), throughputCase('tcp', base)]),
    withCases(TEMPLATE, 'b', [latencyCase('tcp', slower), throughputCase('tcp', slower)]),
  );
  const lat = c.cases.find((x) => x.probe === 'latency');
  const tput = c.cases.find((x) => x.probe === 'throughput');
  assert.equal(lat?.verdict, 'slower');
  assert.equal(tput?.verdict, 'faster');
  close(lat?.changePct ?? NaN, 20, 1e-9);
  close(lat?.p ?? NaN, 2 / 252);
  assert.ok((lat?.ci.lowPct ?? 0) > 15 && (lat?.ci.highPct ?? 0) < 25, JSON.stringify(lat?.ci));
  assert.equal(c.counts.slower, 1);
  assert.equal(c.significanceNote, undefined, '5 vs 5 can reach significance: no note');
});

test('noisy overlapping runs: ~ even though the medians differ by more than the threshold', () => {
  const c = compareResults(
    withCases(TEMPLATE, 'a', [latencyCase('tcp', [1000, 1400, 900, 1300, 950])]),
    withCases(TEMPLATE, 'b', [latencyCase('tcp', [1100, 1500, 920, 1250, 1000])]),
  );
  const x = c.cases[0];
  assert.ok(x && Math.abs(x.changePct) >= 5, `change ${x?.changePct}`);
  assert.ok((x?.p ?? 0) >= 0.05);
  assert.equal(x?.verdict, '~');
  assert.match(x?.why ?? '', /no detectable change/);
});

test('significant but under the threshold: ~', () => {
  const base = [1000, 1001, 1002, 1003, 1004];
  const c = compareResults(
    withCases(TEMPLATE, 'a', [latencyCase('tcp', base)]),
    withCases(TEMPLATE, 'b', [latencyCase('tcp', base.map((v) => v * 1.02))]),
  );
  assert.equal(c.cases[0]?.verdict, '~');
  assert.match(c.cases[0]?.why ?? '', /under the 5 % threshold/);
  close(c.cases[0]?.p ?? NaN, 2 / 252);
});

test('3 vs 3: nothing can be significant at 0.05, and the note says so and names the runs needed', () => {
  const c = compareResults(
    withCases(TEMPLATE, 'a', [latencyCase('tcp', [1000, 1001, 1002])]),
    withCases(TEMPLATE, 'b', [latencyCase('tcp', [2000, 2001, 2002])]),
  );
  assert.equal(c.cases[0]?.verdict, '~');
  close(c.cases[0]?.p ?? NaN, 0.1);
  assert.match(c.significanceNote ?? '', /3 vs 3 runs the smallest possible p-value is 0\.100/);
  assert.match(c.significanceNote ?? '', /at least 4 runs per side/);
  assert.match(c.significanceNote ?? '', /--runs 5 or more/);
  assert.match(c.ciNote ?? '', /90 % with 3 vs 3 runs/);
  const md = formatCompareMarkdown(c);
  assert.match(md, /\[!IMPORTANT\]/);
  // Nothing can be significant: the headline says so first, not "No regressions".
  assert.match(md, /^### .*\n\n\*\*Inconclusive\*\*: too few runs: 3 vs 3 runs per case cannot reach p < 0\.05/);
  assert.equal(c.conclusion.kind, 'inconclusive');
  // With alpha 0.2 the same data is significant (0.1 < 0.2) and slower.
  const loose = compareResults(
    withCases(TEMPLATE, 'a', [latencyCase('tcp', [1000, 1001, 1002])]),
    withCases(TEMPLATE, 'b', [latencyCase('tcp', [2000, 2001, 2002])]),
    { thresholdPct: 5, alpha: 0.2 },
  );
  assert.equal(loose.cases[0]?.verdict, 'slower');
  assert.equal(loose.significanceNote, undefined);
});

test('A/A on the fixtures: same commit, no regressions, the noise floor is reported', () => {
  const c = compareResults(load('good/base.json'), load('good/base-rerun.json'));
  assert.equal(c.aa, true);
  assert.equal(c.counts.slower, 0);
  assert.equal(c.counts.faster, 0);
  assert.ok(c.noise.medianAbsChangePct > 0 && c.noise.medianAbsChangePct < 5, `noise ${c.noise.medianAbsChangePct}`);
  assert.ok(c.noise.medianSpreadPctBase > 0 && c.noise.medianSpreadPctHead > 0);
  const md = formatCompareMarkdown(c);
  assert.match(md, /A\/A comparison: both sides are commit `3f2a9c1`/);
  assert.match(md, /Noise floor: median \|change\| across \d+ cases \d+\.\d %/);
  // Cases measured on neither side are counted in one line, not listed one by one.
  assert.ok(c.unmeasuredOnBoth.count > 0);
  assert.ok(!c.notCompared.some((n) => n.key.startsWith('udp latency 1048576B')), JSON.stringify(c.notCompared));
  assert.match(md, new RegExp(`^${c.unmeasuredOnBoth.count} cases were measured on neither side \\(skipped or failed on both; each report says why\\): .*udp`, 'm'));
});

test('the five-run fixtures show the planted changes: tcp latency 64 B and tcp throughput 1 KiB slower, uds 1 KiB faster', () => {
  const c = compareResults(load('good/five-runs-base.json'), load('good/five-runs-head.json'));
  const verdicts = Object.fromEntries(c.cases.filter((x) => x.verdict !== '~').map((x) => [x.key, x.verdict]));
  assert.deepEqual(verdicts, {
    'tcp latency 64B same-pod': 'slower',
    'uds latency 1024B same-pod': 'faster',
    'tcp throughput 1024B same-pod': 'slower',
  });
  assert.equal(c.aa, false);
});

// ---------------------------------------------------------------------------------------
// Many cases at once: Benjamini-Hochberg false discovery rate control
// ---------------------------------------------------------------------------------------

test('Benjamini-Hochberg q-values match the hand computation', () => {
  // Sorted: 0.005 (x4/1 = 0.02), 0.01 (x4/2 = 0.02), 0.03 (x4/3 = 0.04), 0.04 (x4/4 = 0.04);
  // then the running minimum from the largest down, reported in input order.
  const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
  [0.02, 0.04, 0.04, 0.02].forEach((expected, i) => close(q[i]!, expected));
  close(benjaminiHochberg([0.9])[0]!, 0.9);
  close(benjaminiHochberg([0.5, 0.6])[1]!, 0.6);
  assert.equal(benjaminiHochberg([0.3, 0.4, 0.5])[2], 0.5);
  assert.ok(benjaminiHochberg([0.9, 0.95]).every((x) => x <= 1));
});

const flat = [1000, 1010, 990, 1005, 995];
const interleaved = [1002, 1008, 992, 1003, 997];

test('an A/A-like comparison of 20 cases with two lucky 5-0 separations: ~ after adjusting, exit 0', () => {
  // Every case is noise; two happen to separate fully (p = 2/252 each, as bimodal runs can).
  const mechs = Array.from({ length: 20 }, (_, i) => `m${i}`);
  const base = mechs.map((m) => latencyCase(m, flat));
  const head = mechs.map((m, i) => latencyCase(m, i < 2 ? flat.map((v) => v * 1.3) : interleaved));
  const c = compareResults(withCases(TEMPLATE, 'a', base), withCases(TEMPLATE, 'a', head));
  const lucky = c.cases.filter((x) => x.p < 0.05);
  assert.equal(lucky.length, 2);
  for (const x of lucky) {
    close(x.p, 2 / 252);
    close(x.q, ((2 / 252) * 20) / 2);
    assert.equal(x.verdict, '~');
    assert.match(x.why, /after adjusting for the cases compared/);
  }
  assert.equal(c.counts.slower, 0);
  assert.equal(compareExitCode(c), 0);
  // And the note says why, and how many runs would let one case be called alone (2 / C(12, 6) * 20 < 0.05).
  assert.match(c.significanceNote ?? '', /A change in a single case cannot reach q < 0\.05 here: with 5 vs 5 runs its smallest p \(0\.008\) times the 20 cases compared is over α.*--runs 6 on both sides/);
});

test('the same 20 cases all shifted by 30 %: every one stays significant after adjusting, exit 1', () => {
  const mechs = Array.from({ length: 20 }, (_, i) => `m${i}`);
  const c = compareResults(
    withCases(TEMPLATE, 'a', mechs.map((m) => latencyCase(m, flat))),
    withCases(TEMPLATE, 'b', mechs.map((m) => latencyCase(m, flat.map((v) => v * 1.3)))),
  );
  assert.equal(c.counts.slower, 20);
  for (const x of c.cases) close(x.q, 2 / 252);
  assert.equal(compareExitCode(c), 1);
  assert.match(formatCompareMarkdown(c), /\| p \| q \|/);
});
