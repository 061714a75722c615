/**
 * The report's "native floor vs Node" part: per size, what Node adds to each mechanism's
 * native p50 round trip, in a table and in words ("Node adds 11.0 µs per round trip on tcp"),
 * and a chart of the two runtimes side by side. Hand-made numbers; nothing appears when
 * only one runtime was measured, and a lossy case is not a floor.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import { buildChartSpecs } from '../harness/report/charts.js';
import { renderMarkdown } from '../harness/report/markdown.js';
import { buildReportModel } from '../harness/report/tables.js';

const BASE_PATH = fileURLToPath(new URL('../../test/fixtures/good/base.json', import.meta.url));
const base: ResultFile = parseResultFile(JSON.parse(readFileSync(BASE_PATH, 'utf8')), 'base.json');
const template = base.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.status === 'ok')!;

function latency(mechanism: string, runtime: CaseResult['runtime'], messageBytes: number, p50: number, extra: Partial<CaseResult> = {}): CaseResult {
  return { ...template, mechanism, runtime, messageBytes, latencyNs: { ...template.latencyNs!, p50, p99: 2 * p50, p999: 3 * p50 }, ...extra };
}

const results: ResultFile = {
  ...base,
  cases: [
    latency('tcp', 'native', 64, 20_000),
    latency('tcp', 'node', 64, 31_000),
    latency('uds', 'native', 64, 12_600),
    latency('uds', 'node', 64, 23_600),
    latency('tcp', 'native', 1024, 21_000),
    latency('tcp', 'node', 1024, 33_500),
    // Only one runtime: not compared.
    latency('ws', 'node', 64, 44_000),
    // A native case that lost messages is not a floor.
    latency('udp', 'native', 64, 15_000, { integrity: { sent: 100, received: 90, corrupt: 0, lost: 10 } }),
    latency('udp', 'node', 64, 50_000),
  ],
};

const runtimes = (r: ResultFile) => buildReportModel(r).sections.find((s) => s.kind === 'runtimes');

test('per size, what Node adds to the native floor, in a table and in words', () => {
  const s = runtimes(results);
  assert.ok(s, 'no runtimes section');
  assert.match(s.intro, /same pod, 64 B: Node adds 11.0 µs per round trip on tcp, uds\./);
  const [t] = s.tables;
  assert.deepEqual(t!.header, ['mechanism', '64 B', '1 KiB']);
  assert.deepEqual(t!.rows, [
    ['tcp', '+11.0 µs (20.0 µs → 31.0 µs)', '+12.5 µs (21.0 µs → 33.5 µs)'],
    ['uds', '+11.0 µs (12.6 µs → 23.6 µs)', '—'],
  ]);
  assert.ok(!t!.rows.some((r) => r[0] === 'udp' || r[0] === 'ws'), 'a lossy native case or a one-runtime mechanism is not compared');
  assert.match(renderMarkdown(results), /## Native floor vs Node[\s\S]*\| tcp \| \+11.0 µs \(20.0 µs → 31.0 µs\) \|/);
});

test('a chart puts both runtimes side by side', () => {
  const chart = buildChartSpecs(results).find((c) => c.id === 'runtimes-latency-same-pod');
  assert.ok(chart, 'no runtime chart');
  const series = chart.panels[0]!.series.map((s) => s.label).sort();
  assert.deepEqual(series, ['native', 'node']);
});

test('one runtime only: no comparison section, no chart', () => {
  const nodeOnly = { ...results, cases: results.cases.filter((c) => c.runtime === 'node') };
  assert.equal(runtimes(nodeOnly), undefined);
  assert.ok(!buildChartSpecs(nodeOnly).some((c) => c.id.startsWith('runtimes-')));
});
