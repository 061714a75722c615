/**
 * The report's "native floor vs Node" part: per size, a table of each mechanism measured by
 * both runtimes with the difference in words ("Node adds 11.0 µs per round trip on tcp"),
 * and a chart of both side by side (solid native, dashed Node). Hand-made numbers; nothing
 * appears when only one runtime was measured, and lossy or failed cases are not compared.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import { buildChartSpecs } from '../harness/report/charts.js';
import { renderMarkdown } from '../harness/report/markdown.js';
import { runtimeComparisonSections } from '../harness/report/runtime-comparison.js';
import { buildReportModel } from '../harness/report/tables.js';

const BASE_PATH = fileURLToPath(new URL('../../test/fixtures/good/base.json', import.meta.url));
const base: ResultFile = parseResultFile(JSON.parse(readFileSync(BASE_PATH, 'utf8')), 'base.json');
const template = base.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.status === 'ok')!;
const tputTemplate = base.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'throughput' && c.status === 'ok')!;

function latency(mechanism: string, runtime: CaseResult['runtime'], messageBytes: number, p50: number, extra: Partial<CaseResult> = {}): CaseResult {
  return { ...template, mechanism, runtime, messageBytes, latencyNs: { ...template.latencyNs!, p50, p99: 2 * p50, p999: 3 * p50 }, ...extra };
}

function throughput(mechanism: string, runtime: CaseResult['runtime'], msgsPerSec: number): CaseResult {
  return { ...tputTemplate, mechanism, runtime, messageBytes: 64, throughput: { msgsPerSec, bytesPerSec: msgsPerSec * 64 } };
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
    throughput('tcp', 'native', 400_000),
    throughput('tcp', 'node', 100_000),
  ],
};

test('per size, native vs Node with the difference in words, fastest native first', () => {
  const [lat, tput] = runtimeComparisonSections(results);
  assert.equal(lat?.heading, 'Native floor vs Node: round-trip latency, same pod');
  assert.deepEqual(lat?.tables.map((t) => t.heading), ['64 B', '1 KiB']);
  assert.match(lat!.intro, /64 B: Node adds 11.0 µs per round trip on uds, 11.0 µs on tcp\./);
  assert.match(lat!.intro, /1 KiB: Node adds 12.5 µs per round trip on tcp\./);
  const t64 = lat!.tables[0]!;
  assert.deepEqual(t64.rows.map((r) => r[0]), ['uds', 'tcp']);
  assert.deepEqual(t64.rows[1]!.slice(0, 5), ['tcp', '20.0 µs', '31.0 µs', '+11.0 µs', '1.55×']);
  assert.equal(tput?.heading, 'Native floor vs Node: throughput, same pod');
  assert.match(tput!.intro, /64 B: Node reaches 25.0 % of the native rate on tcp\./);
  assert.deepEqual(tput!.tables[0]!.rows[0]!.slice(0, 4), ['tcp', '400 k msg/s', '100 k msg/s', '25.0 %']);
});

test('the report carries the section and a side-by-side chart: solid native, dashed Node', () => {
  assert.ok(buildReportModel(results).sections.some((s) => s.heading.startsWith('Native floor vs Node')));
  const chart = buildChartSpecs(results).find((c) => c.id === 'latency-native-vs-node-same-pod');
  assert.ok(chart, 'no native-vs-node chart');
  const byLabel = new Map(chart.series.map((s) => [s.label, s]));
  assert.deepEqual([...byLabel.keys()].sort(), ['tcp (Node)', 'tcp (native)', 'uds (Node)', 'uds (native)']);
  assert.equal(byLabel.get('tcp (native)')?.dashed, false);
  assert.equal(byLabel.get('tcp (Node)')?.dashed, true);
  assert.equal(byLabel.get('tcp (native)')?.color, byLabel.get('tcp (Node)')?.color, 'one colour per mechanism');
  assert.deepEqual(byLabel.get('tcp (Node)')?.points.map((p) => [p.x, p.y]), [[64, 31], [1024, 33.5]]);
  assert.match(renderMarkdown(results), /## Native floor vs Node: round-trip latency, same pod[\s\S]*\| tcp \| 20.0 µs \| 31.0 µs \| \+11.0 µs \|/);
  assert.match(renderMarkdown(results), /!\[Native floor vs Node: round-trip latency, same pod[^\]]*\]\(charts\/latency-native-vs-node-same-pod.png\)/);
});

test('one runtime only: no comparison section, no chart', () => {
  const nodeOnly = { ...results, cases: results.cases.filter((c) => c.runtime === 'node') };
  assert.deepEqual(runtimeComparisonSections(nodeOnly), []);
  assert.ok(!buildChartSpecs(nodeOnly).some((c) => c.id.startsWith('latency-native-vs-node')));
});
