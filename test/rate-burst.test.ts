/**
 * --burst: the rate probe sends bursts of N messages that share one intended send time, the
 * bursts spaced so the average is still the target rate. The flag is validated once (a whole
 * number from 1, exit 2 naming the fix), carried from `podipc run` through the matrix into
 * the plan cases, keyed, recorded in results.json config and shown in the report; both
 * probes really send in bursts, which shows in two things no timing decides:
 * - the schedule: at 1000 msg/s over 100 ms an even schedule holds 100 messages; in bursts of
 *   8 it holds 13 whole bursts (intended at 0, 8, ..., 96 ms): 104;
 * - response vs service time: message k (from 0) of a burst goes out only after the answers
 *   of the k before it, so its response time (from the shared intended time) is at least
 *   k + 1 service times: at least 5 in 8 response times are 4 x the fastest service time
 *   or more (an even schedule at a low rate sends on time: its response is its service time).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { ProbeLine } from '../core/protocol.js';
import { caseKey } from '../core/results.js';
import { describeConfig, parseRunArgs } from '../harness/config.js';
import { parseRenderArgs } from '../harness/commands/k8s.js';
import { UsageError } from '../harness/flags.js';
import { buildMatrix, capabilityOffer, planCases } from '../harness/matrix.js';
import { processPlacement } from '../harness/placements/process.js';
import { readResultFile } from '../harness/results-file.js';
import { runPair, type Runtime } from './helpers/native-pair.js';
import { assertRateLineSane } from './helpers/rate.js';

const CLI = resolve(import.meta.dirname, '../harness/cli.js');
const RATE = 1000;
const MEASURE_MS = 100;
const BURST = 8;

function podipc(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const [value, extra] of [['0', []], ['2.5', []], ['eight', []], ['2000000', []]] as const) {
  test(`--burst ${value}: refused, naming the fix`, () => {
    assert.throws(() => parseRunArgs(['--rates', '1k', '--burst', value, ...extra]), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, new RegExp(`^--burst: '${value.replace('.', '\\.')}' is not a burst size; give a whole number of messages from 1 to 1000000 .*, e\\.g\\. --burst 8$`));
      return true;
    });
  });
}

test('--burst without the rate probe: exit 2, one line naming the fix', () => {
  const r = podipc(['run', '--burst', '8', '--probes', 'latency']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--burst is for the rate probe, but --probes latency leaves it out: add --rates .*, e\.g\. --rates 10k --burst 8/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('--burst is carried into every rate case of the matrix and its plan, into the keys and the config record', () => {
  const config = parseRunArgs(['--rates', '1k,10k', '--rate-search', '--burst', String(BURST), '--mechanisms', 'tcp', '--sizes', '64', '--runtime', 'node'])!;
  assert.equal(config.rate?.burst, BURST);
  assert.equal(describeConfig(config).rateBurst, BURST);
  const matrix = buildMatrix(config, [capabilityOffer(processPlacement)]);
  const rate = matrix.cases.filter((c) => c.probe === 'rate');
  assert.equal(rate.length, 3, 'two fixed rates and the search');
  assert.ok(rate.every((c) => c.burst === BURST));
  assert.ok(matrix.cases.filter((c) => c.probe !== 'rate').every((c) => c.burst === undefined));
  const plan = matrix.groups.flatMap((g) => planCases(matrix, g.caseIds, { warmupRoundTrips: 100 }));
  assert.deepEqual(plan.filter((c) => c.probe === 'rate').map((c) => c.burst), [BURST, BURST, BURST]);
  const keys = rate.map((c) => caseKey({ ...c, ...(c.search ? { p99BudgetNs: c.search.p99BudgetNs } : {}) }));
  assert.ok(keys.every((k) => k.includes(`burst${BURST}`)), keys.join('\n'));
  // --burst 1 is the even schedule: nothing carried, the keys of a run without it.
  const even = parseRunArgs(['--rates', '1k', '--burst', '1'])!;
  assert.equal(even.rate?.burst, undefined);
  assert.equal(describeConfig(even).rateBurst, undefined);
});

test('k8s render --rates 1k --burst 8: the rendered plans carry the burst; without the rate probe it is refused', () => {
  const request = parseRenderArgs(['--out', join(tmpdir(), 'podipc-burst-render'), '--quick', '--rates', '1k', '--burst', String(BURST), '--mechanisms', 'tcp', '--sizes', '64'])!;
  const rate = request.pairs.flatMap((p) => p.spec.cases).filter((c) => c.probe === 'rate');
  assert.ok(rate.length > 0);
  assert.ok(rate.every((c) => c.burst === BURST), JSON.stringify(rate));
  assert.throws(() => parseRenderArgs(['--out', join(tmpdir(), 'podipc-burst-render'), '--burst', '8', '--probes', 'latency']), /--burst is for the rate probe, but --probes latency leaves it out/);
});

const count = (h: NonNullable<ProbeLine['responseHistogram']>): number => h.pairs.reduce((n, [, c]) => n + c, 0);

for (const runtime of ['node', 'native'] as Runtime[]) {
  test(`the ${runtime} probe sends in bursts: the schedule's message count, and response over service time`, { timeout: 60_000 }, async () => {
    const r = await runPair({
      server: runtime,
      client: runtime,
      mechanism: 'tcp',
      cases: [
        { probe: 'rate', messageBytes: 64, ratePerSec: RATE, burst: BURST },
        { probe: 'rate', messageBytes: 64, ratePerSec: RATE },
      ],
      budget: { measureMs: MEASURE_MS, warmupMs: 10 },
    });
    assert.equal(r.failure, undefined, `the pair failed: ${r.failure}`);
    const [burst, even] = r.lines as [ProbeLine, ProbeLine];
    assertRateLineSane(burst, `${runtime} burst`, { ratePerSec: RATE, measureMs: MEASURE_MS, lossless: true, burst: BURST });
    assertRateLineSane(even, `${runtime} even`, { ratePerSec: RATE, measureMs: MEASURE_MS, lossless: true });
    assert.equal(burst.burst, BURST, 'the line says which schedule it measured');
    // The schedule: whole bursts, 13 of them (0, 8, ..., 96 ms), against 100 evenly spaced.
    assert.equal(burst.integrity!.sent, Math.ceil((RATE * MEASURE_MS) / 1000 / BURST) * BURST);
    assert.equal(even.integrity!.sent, (RATE * MEASURE_MS) / 1000);
    // Message k (from 0) of a burst goes out after the answers of the k before it, so its
    // response time is at least k + 1 service times: in every burst, the 5 messages from k = 3
    // on answer at least 4 x the fastest service time after their intended time.
    const fastestServiceNs = burst.serviceHistogram!.pairs[0]![0];
    assert.equal(count(burst.responseHistogram!), burst.integrity!.received);
    // 1 % for the histogram's bucket rounding.
    const slowNs = 0.99 * 4 * fastestServiceNs;
    const slow = burst.responseHistogram!.pairs.filter(([v]) => v >= slowNs).reduce((n, [, c]) => n + c, 0);
    assert.ok(
      slow >= (5 / 8) * burst.integrity!.received,
      `${slow} of ${burst.integrity!.received} response times are at least 4 x the fastest service time (${fastestServiceNs} ns); bursts of 8 make it at least 5 in 8`,
    );
  });
}

test('podipc run --rates 1k --burst 8: results, config and report say bursts of 8', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podipc-rate-burst-'));
  try {
    const out = join(dir, 'out');
    const r = podipc(['run', '--quick', '--placement', 'process', '--probes', 'rate', '--rates', '1k', '--burst', String(BURST), '--budget-ms', String(MEASURE_MS), '--mechanisms', 'uds', '--runtime', 'node,native', '--sizes', '64', '--runs', '1', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const results = await readResultFile(join(out, 'results.json'));
    assert.equal(results.config.rateBurst, BURST);
    const rate = results.cases.filter((c) => c.probe === 'rate');
    assert.equal(rate.length, 2);
    for (const c of rate) {
      assert.equal(c.status, 'ok', `${caseKey(c)}: ${c.reason ?? ''}`);
      assert.equal(c.burst, BURST);
      assert.match(caseKey(c), / 1000\/s burst8 /);
      assert.equal(c.integrity!.sent, 104, `${caseKey(c)}: 13 bursts of 8`);
    }
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(report, /\| 1\.00 k msg\/s in bursts of 8 \|/);
    assert.match(report, /Sent in bursts of 8/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
