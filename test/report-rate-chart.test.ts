/**
 * Latency under load as a chart: per topology and message size, the response time against
 * the target rate (x log, the measured rates as ticks), one line per mechanism and runtime,
 * the family panels of the other charts on one y range; the dot is the p99 and the whisker
 * spans p50 to p99.9. The figure is in the PNGs, report.md and report.html like every other,
 * and only when fixed-rate cases exist.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import { buildChartSpecs, MAX_SERIES_PER_PANEL, type ChartSpec } from '../harness/report/charts.js';
import { writeReport } from '../harness/report/index.js';
import { renderChartPng } from '../harness/report/render-png.js';

const tmp = mkdtempSync(join(tmpdir(), 'podipc-rate-chart-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const lat = (p50: number, p99: number, p999: number) => ({ p50, p90: (p50 + p99) / 2, p99, p999, max: p999 * 1.5, mean: p50 * 1.1, stddev: 1 });

/** A fixed-rate case whose response time grows with the rate: p50 = base, p99 = 3x, p99.9 = 6x (x rate / 1k). */
function rateCase(mechanism: string, variant: string | undefined, runtime: 'node' | 'native', messageBytes: number, ratePerSec: number, baseNs: number, extra: Partial<CaseResult> = {}): CaseResult {
  const g = Math.sqrt(ratePerSec / 1000);
  return {
    mechanism,
    ...(variant ? { variant } : {}),
    runtime,
    placement: 'process',
    probe: 'rate',
    messageBytes,
    ratePerSec,
    topology: 'same-pod',
    status: 'ok',
    runs: [],
    achievedRatePerSec: ratePerSec,
    responseNs: lat(baseNs * g, 3 * baseNs * g, 6 * baseNs * g),
    serviceNs: lat(baseNs, 2 * baseNs, 3 * baseNs),
    rateSamples: 5000,
    clientBehind: false,
    cpu: { clientUsPerMsg: 5, serverUsPerMsg: 5 },
    integrity: { sent: 5000, received: 5000, corrupt: 0, lost: 0 },
    ...extra,
  } as CaseResult;
}

const RATES = [1000, 10_000, 50_000];
const MECHS: Array<[string, string | undefined, number]> = [
  ['tcp', undefined, 40_000],
  ['uds', undefined, 30_000],
  ['mq-posix', undefined, 25_000],
  ['mq-sysv', undefined, 26_000],
  ['shm-posix', 'futex', 20_000],
  ['shm-posix', 'spin', 3_000],
];
const cases: CaseResult[] = [];
for (const size of [64, 16384]) {
  for (const [m, v, base] of MECHS) {
    for (const runtime of ['node', 'native'] as const) {
      for (const rate of RATES) {
        const fellBehind = m === 'tcp' && runtime === 'node' && rate === 50_000;
        cases.push(rateCase(m, v, runtime, size, rate, base * (runtime === 'native' ? 0.5 : 1) * (size > 64 ? 1.5 : 1), fellBehind ? { clientBehind: true, achievedRatePerSec: 31_000 } : {}));
      }
    }
  }
}
// A search case has no target rate: it is in the sustainable-rate table, never on this chart.
cases.push({ ...rateCase('tcp', undefined, 'node', 64, 1, 40_000), ratePerSec: undefined, p99BudgetNs: 100_000, sustainableRatePerSec: 6442 } as CaseResult);

const results = parseResultFile(
  {
    schemaVersion: 2,
    tool: { name: 'podipc', version: '0', gitCommit: 'abcdef1234567' },
    env: { kernel: 'k', cpuModel: 'c', cores: 2, nodeVersion: 'v20', hostname: 'h', placements: { process: { isolation: 'none', resources: {} } } },
    config: {
      quick: false, placementsRequested: ['process'], mechanisms: ['tcp', 'uds', 'mq-posix', 'mq-sysv', 'shm-posix/futex', 'shm-posix/spin'], sizesBytes: [64, 16384], probes: ['rate'], topologies: ['same-pod'],
      runtimes: ['node', 'native'], runs: 1, warmupMs: 1, warmupRoundTrips: 1, measureMs: 1, setupTimeoutMs: 1, ratesPerSec: RATES,
    },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    cases,
  },
  'rate chart fixture',
);

const rateSpecs = (r: ResultFile): ChartSpec[] => buildChartSpecs(r).filter((s) => s.id.startsWith('rate-'));

test('one figure per topology and size; none without fixed-rate cases', () => {
  assert.deepEqual(rateSpecs(results).map((s) => s.id), ['rate-same-pod-64B', 'rate-same-pod-16384B']);
  const searchOnly = { ...results, cases: results.cases.filter((c) => c.ratePerSec === undefined) };
  assert.deepEqual(rateSpecs(searchOnly), []);
  const base = parseResultFile(JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8')), 'base.json');
  assert.deepEqual(rateSpecs(base), [], 'no rate cases, no rate chart');
});

test('family panels on one y range, a line per mechanism and runtime: x the target rate, dot p99, whisker p50 to p99.9', () => {
  const s = rateSpecs(results)[0]!;
  assert.match(s.title, /^Latency under load, same pod, 64 B: response time vs arrival rate$/);
  assert.match(s.subtitle.join(' '), /dot: p99, whisker: p50 to p99\.9/);
  assert.match(s.subtitle.join(' '), /solid: Node probe, dashed: native probe/);
  // Four IPC lines per runtime make eight: the family is split between mechanisms, never a mechanism's variants.
  assert.deepEqual(s.panels.map((p) => p.title), ['loopback network (2)', 'shared volume (2)', 'IPC namespace: mq-posix, mq-sysv', 'IPC namespace: shm-posix']);
  assert.deepEqual(s.panels[0]!.series.map((x) => x.label), ['tcp (node)', 'tcp (native)']);
  assert.deepEqual(s.panels[3]!.series.map((x) => x.label), ['shm-posix/futex (node)', 'shm-posix/futex (native)', 'shm-posix/spin (node)', 'shm-posix/spin (native)']);
  for (const p of s.panels) {
    assert.ok(p.series.length <= MAX_SERIES_PER_PANEL);
    assert.deepEqual([p.y.min, p.y.max], [s.panels[0]!.y.min, s.panels[0]!.y.max], 'panels share the y range');
    assert.equal(p.x.unit, 'msgsPerSec');
    assert.ok(p.x.log && p.y.log);
    assert.deepEqual(p.x.ticks, RATES);
    assert.ok(p.whiskers);
  }
  const tcp = s.panels[0]!.series[0]!;
  const c = results.cases.find((x) => x.mechanism === 'tcp' && x.runtime === 'node' && x.messageBytes === 64 && x.ratePerSec === 10_000)!;
  assert.deepEqual(tcp.points.map((p) => p.x), RATES);
  assert.deepEqual([tcp.points[1]!.yLow, tcp.points[1]!.y, tcp.points[1]!.yHigh], [c.responseNs!.p50, c.responseNs!.p99, c.responseNs!.p999]);
  assert.deepEqual(s.panels[0]!.series[1]!.dash, [7, 4], 'native dashed');
  // The rate the node tcp client could not keep is marked at its point.
  assert.equal(tcp.points[2]!.note, 'client behind');
  assert.equal(tcp.points[1]!.note, undefined);
});

test('the whisker reaches down to p50: the PNG differs from one without yLow', async () => {
  const s = rateSpecs(results)[0]!;
  const withoutLow: ChartSpec = { ...s, panels: s.panels.map((p) => ({ ...p, series: p.series.map((x) => ({ ...x, points: x.points.map(({ yLow: _drop, ...pt }) => pt) })) })) };
  const pixels = async (spec: ChartSpec): Promise<Uint8ClampedArray> => {
    const image = await loadImage(await renderChartPng(spec));
    const canvas = createCanvas(image.width, image.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    return ctx.getImageData(0, 0, image.width, image.height).data;
  };
  const [a, b] = [await pixels(s), await pixels(withoutLow)];
  assert.equal(a.length, b.length);
  let differ = 0;
  for (let i = 0; i < a.length; i += 4) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) differ++;
  assert.ok(differ > 200, `${differ} pixels differ: the whiskers below the points are not drawn`);
});

test('in the PNG charts, report.md and report.html like the other charts', async () => {
  const written = await writeReport(results, tmp);
  for (const id of ['rate-same-pod-64B', 'rate-same-pod-16384B']) {
    assert.ok(written.includes(join(tmp, 'charts', `${id}.png`)), `${id}.png not written`);
    assert.match(readFileSync(join(tmp, 'report.md'), 'utf8'), new RegExp(`!\\[Latency under load, same pod, [^\\]]+\\]\\(charts/${id}\\.png\\)`));
    assert.match(readFileSync(join(tmp, 'report.html'), 'utf8'), new RegExp(`data-chart="${id}"`));
  }
});
