/**
 * compare on rate cases: a case at a fixed rate is compared on its run-level p99 response
 * time at that rate (lower is better) and labelled so, per rate; a sustainable-rate search is
 * compared on the rate it found (msg/s, higher is better), not on its best step's latency.
 * The fixtures (test/fixtures/make-rate-fixtures.mjs) are built so that the latency probe's
 * metric gives the wrong verdict on every case.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { compareCommand } from '../harness/commands/compare.js';
import { compareExitCode, compareResults, timeFactor, type CaseComparison } from '../harness/compare/engine.js';
import { formatCompareCsv } from '../harness/compare/format-csv.js';
import { caseLabel, factorLine, metricLabel, valueText } from '../harness/compare/words.js';
import { capture } from './helpers/cli.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/good/${name}`, import.meta.url));
const load = (name: string): ResultFile => parseResultFile(JSON.parse(readFileSync(fixture(name), 'utf8')), name);
const comparison = compareResults(load('rate-base.json'), load('rate-head.json'));
const byLabel = (label: string): CaseComparison => {
  const c = comparison.cases.find((x) => caseLabel(x) === label);
  assert.ok(c, `no compared case '${label}' in ${comparison.cases.map(caseLabel).join(', ')}`);
  return c;
};

test('a case at a fixed rate is compared on its p99 response time at that rate, labelled so', () => {
  const tcp = byLabel('tcp rate 64 B 10000/s same-pod');
  assert.equal(tcp.metric, 'responseP99');
  assert.equal(metricLabel(tcp), 'p99 response at 10.0 k msg/s');
  assert.deepEqual(tcp.base.values, [100e3, 102e3, 98e3, 101e3, 99e3], 'the runs’ p99 response times');
  assert.equal(tcp.verdict, 'slower', tcp.why);
  assert.equal(valueText(tcp, tcp.head.median), '150 µs');
  assert.match(factorLine(tcp), /^tcp rate 64 B 10000\/s same-pod: 1\.50x slower/);
  // Its p50 did not move: compared on the latency probe's metric it would pass for unchanged.
  assert.equal(tcp.p99ChangePct, undefined, 'the latency-only p99 Δ column stays empty');
  // uds: the p50 moved by half, the p99 - what holding the rate is about - did not.
  const uds = byLabel('uds rate 64 B 10000/s same-pod');
  assert.equal(uds.metric, 'responseP99');
  assert.equal(uds.verdict, '~', uds.why);
});

test('a sustainable-rate search is compared on the rate it found: higher is better', () => {
  const tcp = byLabel('tcp rate 64 B search-p99<=100us same-pod');
  assert.equal(tcp.metric, 'sustainableRatePerSec');
  assert.equal(metricLabel(tcp), 'sustainable msg/s (p99 <= 100 µs)');
  assert.deepEqual(tcp.head.values, [80000, 81000, 79000, 82000, 80500]);
  // The best step's latency rose (95 µs vs 60 µs p99) but the mechanism now holds 60 % more.
  assert.equal(tcp.verdict, 'faster', tcp.why);
  assert.equal(valueText(tcp, tcp.head.median), '80.5 k msg/s');
  assert.ok(timeFactor(tcp).factor < 1, 'a higher sustainable rate is less time per message');
  // A run whose search held no rate at all gives no ratio: excluded with its reason.
  const uds = comparison.notCompared.find((x) => x.key.startsWith('uds rate 64B search'));
  assert.ok(uds, JSON.stringify(comparison.notCompared));
  assert.match(uds.reason, /found no sustainable rate/);
  assert.equal(compareExitCode(comparison), 1, 'the tcp p99 regression gates');
  assert.match(formatCompareCsv(comparison), /\bresponseP99\b[\s\S]*\bsustainableRatePerSec\b|\bsustainableRatePerSec\b[\s\S]*\bresponseP99\b/);
});

test('podipc compare on the rate fixtures: the Markdown names each rate case’s metric', async () => {
  const r = await capture(compareCommand, fixture('rate-base.json'), fixture('rate-head.json'));
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /\| tcp rate 64 B 10000\/s same-pod \| p99 response at 10\.0 k msg\/s \| 100 µs ±.*❌ slower \|/);
  assert.match(r.out, /\| tcp rate 64 B search-p99<=100us same-pod \| sustainable msg\/s \(p99 <= 100 µs\) \| 50\.5 k msg\/s ±.*✅ faster \|/);
  assert.doesNotMatch(r.out, /rate 64 B[^|]*\| p50 RTT/);
});
