/**
 * The rate probe through `podipc run` on the process placement, both runtimes: --probes rate
 * with --rates gives one case per mechanism, runtime and target rate (keyed by the rate),
 * each with response and service times from its runs' histograms; the report has the
 * response-time-at-rate section; recommend --rate --p99-us reads the rate evidence; bad
 * rate flags are refused with one line naming the fix (exit 2).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { caseKey } from '../core/results.js';
import { readResultFile } from '../harness/results-file.js';

const CLI = resolve(import.meta.dirname, '../harness/cli.js');

function podipc(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('podipc run --probes latency,rate --rates 2k,5k on tcp and shm-posix/spin, node and native', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podipc-rate-cli-'));
  try {
    const out = join(dir, 'out');
    const r = podipc(['run', '--quick', '--placement', 'process', '--probes', 'latency,rate', '--rates', '2k,5k', '--mechanisms', 'tcp,shm-posix/spin', '--runtime', 'node,native', '--sizes', '64', '--runs', '1', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const results = await readResultFile(join(out, 'results.json'));
    const rate = results.cases.filter((c) => c.probe === 'rate');
    assert.equal(rate.length, 2 * 2 * 2, rate.map(caseKey).join('\n'));
    assert.equal(new Set(rate.map(caseKey)).size, rate.length, 'one key per rate');
    for (const c of rate) {
      assert.equal(c.status, 'ok', `${caseKey(c)}: ${c.reason ?? ''}`);
      assert.ok([2000, 5000].includes(c.ratePerSec!));
      assert.ok(c.responseNs && c.serviceNs && c.responseNs.p99 >= c.serviceNs.p99, caseKey(c));
      assert.equal(c.rateSamples, c.integrity!.received, `${caseKey(c)}: every answered message is in the histogram`);
      assert.equal(typeof c.clientBehind, 'boolean');
      assert.ok(typeof c.runs[0]!.responseHistogram === 'string', 'the run keeps its histogram');
    }
    assert.deepEqual(results.config.ratesPerSec, [2000, 5000]);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(report, /Latency under load: response time at a fixed arrival rate/);
    // recommend ranks the latency cases; the rate probe's evidence decides at --rate.
    const rec = podipc(['recommend', '--results', join(out, 'results.json'), '--size', '64', '--pattern', 'rpc', '--rate', '2000', '--p99-us', '1000000']);
    // Whether a mechanism holds 2k msg/s on this host is a timing (0: a choice, 1: nothing
    // fits); either way the verdicts come from the rate probe, as a choice's basis or an exclusion.
    assert.ok(rec.code === 0 || rec.code === 1, `recommend exit ${rec.code}: ${rec.stderr}`);
    assert.match(rec.stdout, /Where the rate probe measured a mechanism/);
    assert.match(rec.stdout, /rate probe: (p99 response|at 2000 msg\/s)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [name, args, pattern] of [
  ['a rate that is not one', ['--rates', '5q'], /--rates: '5q' is not a rate; give messages per second, e\.g\. --rates 1k,10k,100k/],
  ['--rates without the rate probe', ['--rates', '1k', '--probes', 'latency'], /--rates is for the rate probe, but --probes latency leaves it out: add rate/],
] as const) {
  test(`run with ${name}: exit 2, one line naming the fix`, () => {
    const r = podipc(['run', ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
  });
}
