/**
 * A schema 1 results file (podipc 0.1, no histograms) still reads and compares against a
 * schema 2 one (histograms per run, runtime and placement per case, the run's probe
 * overhead): a PR's quick run must be comparable with a base measured before the schema
 * changed. The v2 fixture is test/fixtures/make-fixtures.mjs's five-run head with every
 * latency doubled.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareExitCode, compareResults } from '../harness/compare/engine.js';
import { readResultFile } from '../harness/results-file.js';
import { caseKeyWithoutPlacement, nearResolution, probeOverheadNs, type ResultFile } from '../core/results.js';
import { decodeHistogram, mergeHistograms, summarizeHistogram } from '../core/histogram.js';
import { aggregateCase } from '../core/stats.js';

const fixture = (name: string): string => new URL(`../../test/fixtures/good/${name}`, import.meta.url).pathname;

test('a schema 1 base and a schema 2 head read, and every case lines up', async () => {
  const base = await readResultFile(fixture('five-runs-base.json'));
  const head = await readResultFile(fixture('five-runs-head-v2.json'));
  assert.equal(base.schemaVersion, 2, 'the v1 file is upgraded on read');
  assert.ok(base.cases.every((c) => c.runtime === 'node' && c.placement === 'sandbox' && c.runs.every((r) => r.latencyHistogram === undefined)));
  assert.ok(head.cases.filter((c) => c.probe === 'latency').every((c) => c.runs.every((r) => r.latencyHistogram !== undefined)));
  const c = compareResults(base, head);
  assert.deepEqual(c.onlyInBase, []);
  assert.deepEqual(c.onlyInHead, []);
  assert.deepEqual(c.notCompared, []);
  assert.equal(c.cases.length, base.cases.length);
  // Latency doubled: slower, every case; throughput untouched by the doubling: no verdict of "slower" for it.
  for (const x of c.cases.filter((x) => x.probe === 'latency')) {
    assert.equal(x.verdict, 'slower', `${x.key}: ${x.why}`);
    assert.ok(x.changePct > 80 && x.changePct < 125, `${x.key}: change ${x.changePct} %`);
  }
  assert.equal(compareExitCode(c), 1);
  // The other way round too: a v2 base against a v1 head.
  const back = compareResults(head, base);
  assert.ok(back.cases.filter((x) => x.probe === 'latency').every((x) => x.verdict === 'faster'));
});

test('a schema 2 case\'s percentiles are those of the merged histogram of its runs; each run keeps its own', async () => {
  const head: ResultFile = await readResultFile(fixture('five-runs-head-v2.json'));
  for (const c of head.cases.filter((x) => x.probe === 'latency')) {
    const merged = mergeHistograms(c.runs.map((r) => decodeHistogram(r.latencyHistogram!)));
    assert.deepEqual(c.latencyNs, summarizeHistogram(merged), caseKeyWithoutPlacement(c));
    assert.equal(c.samples, merged.totalCount);
    // What the runner computes from the runs is what the file says.
    assert.deepEqual(aggregateCase(c.runs).latencyNs, c.latencyNs);
    for (const r of c.runs) assert.deepEqual(r.latencyNs, summarizeHistogram(decodeHistogram(r.latencyHistogram!)));
  }
});

test('the recorded probe overhead marks a case near the resolution; files without it mark nothing', async () => {
  const head = await readResultFile(fixture('five-runs-head-v2.json'));
  const base = await readResultFile(fixture('five-runs-base.json'));
  assert.equal(probeOverheadNs(head.env, 'node', 64), 260);
  assert.equal(probeOverheadNs(head.env, 'native', 64), undefined);
  assert.equal(probeOverheadNs(base.env, 'node', 64), undefined);
  const tcp64 = head.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.messageBytes === 64 && c.topology === 'same-pod')!;
  assert.equal(nearResolution(tcp64, head.env), false); // ~70 µs against 0.26 µs
  // A case within 3x of the overhead: p50 780 ns at 64 B is near; 781 ns is not.
  const at = (p50: number) => ({ ...tcp64, latencyNs: { ...tcp64.latencyNs!, p50 } });
  assert.equal(nearResolution(at(780), head.env), true);
  assert.equal(nearResolution(at(781), head.env), false);
  assert.equal(nearResolution({ ...at(780), runtime: 'native' }, head.env), undefined);
  assert.equal(nearResolution(tcp64, base.env), undefined);
  const throughput = head.cases.find((c) => c.probe === 'throughput')!;
  assert.equal(nearResolution(throughput, head.env), undefined);
});
