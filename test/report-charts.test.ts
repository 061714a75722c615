import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { Chart } from 'chart.js';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { backgroundPlugin, buildChartSpecs, CHART_HEIGHT_PX, CHART_WIDTH_PX, toChartConfig, whiskerPlugin, type ChartSpec } from '../harness/report/charts.js';
import { renderChartPng } from '../harness/report/render-png.js';
import { writeReport } from '../harness/report/index.js';

const results: ResultFile = parseResultFile(
  JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8')),
  'base.json',
);
const tmp = mkdtempSync(join(tmpdir(), 'podipc-charts-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('one chart per probe and topology, CPU cost, and same vs cross pod', () => {
  const ids = buildChartSpecs(results).map((s) => s.id);
  assert.deepEqual(ids, [
    'latency-same-pod',
    'throughput-same-pod',
    'cpu-same-pod',
    'latency-cross-pod',
    'throughput-cross-pod',
    'cpu-cross-pod',
    'latency-same-vs-cross-pod',
  ]);
});

test('chart data: p50 with a p99 whisker in µs, ok cases only, titles name placement and host, axes carry units', () => {
  const specs = buildChartSpecs(results);
  const latency = specs.find((s) => s.id === 'latency-same-pod') as ChartSpec;
  const tcpCase = results.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.topology === 'same-pod' && c.messageBytes === 64);
  const tcp = latency.series.find((s) => s.label === 'tcp');
  assert.deepEqual(tcp?.points[0], { x: 64, y: (tcpCase?.latencyNs?.p50 ?? 0) / 1e3, yHigh: (tcpCase?.latencyNs?.p99 ?? 0) / 1e3 });
  assert.equal(latency.whiskers, true);
  assert.deepEqual(latency.xTicks, [64, 1024, 65536, 1048576]);
  for (const s of specs) {
    assert.match(s.title, /\(sandbox, node probe, on ci-runner-7\)$/);
    assert.match(s.xLabel, /bytes/);
    assert.match(s.yLabel, /\((µs|MB\/s)/);
  }
  // The failed case (shm-posix/futex throughput 1 MiB) and skipped UDP sizes are not plotted.
  const tput = specs.find((s) => s.id === 'throughput-same-pod');
  assert.deepEqual(tput?.series.find((s) => s.label === 'shm-posix/futex')?.points.map((p) => p.x), [64, 1024, 65536]);
  assert.deepEqual(tput?.series.find((s) => s.label === 'udp')?.points.map((p) => p.x), [64, 1024]);
  // A mechanism keeps its colour across charts; same vs cross pod dashes the cross-pod line.
  const color = (id: string, label: string): string | undefined => specs.find((s) => s.id === id)?.series.find((x) => x.label === label)?.color;
  assert.equal(color('latency-same-pod', 'tcp'), color('cpu-cross-pod', 'tcp'));
  const both = specs.find((s) => s.id === 'latency-same-vs-cross-pod');
  assert.deepEqual(both?.series.map((s) => [s.label, s.dashed]), [
    ['tcp (same pod)', false],
    ['udp (same pod)', false],
    ['tcp (cross pod)', true],
    ['udp (cross pod)', true],
  ]);
});

test('the chart code the HTML inlines by its source text draws exactly what the PNG renderer draws', async () => {
  // report.html rebuilds toChartConfig and both plugins from Function.prototype.toString:
  // rebuilt from their text they must behave as the originals, pixel for pixel.
  const rebuiltConfig = new Function(`return (${toChartConfig.toString()})`)() as typeof toChartConfig;
  const rebuild = <T extends { id: string }>(plugin: T, method: (...args: never[]) => unknown): T =>
    new Function(`return { id: ${JSON.stringify(plugin.id)}, ${method.toString()} }`)() as T;
  const rebuiltWhiskers = rebuild(whiskerPlugin, whiskerPlugin.afterDatasetsDraw);
  const rebuiltBackground = rebuild(backgroundPlugin, backgroundPlugin.beforeDraw);
  const spec = buildChartSpecs(results).find((s) => s.whiskers) as ChartSpec;
  const original = await renderChartPng(spec); // registers the original plugins
  Chart.unregister(whiskerPlugin, backgroundPlugin);
  Chart.register(rebuiltWhiskers, rebuiltBackground);
  try {
    const canvas = createCanvas(spec.width, spec.height);
    const chart = new Chart(canvas as unknown as HTMLCanvasElement, rebuiltConfig(spec, false));
    const rebuilt = await canvas.encode('png');
    chart.destroy();
    assert.ok(rebuilt.equals(original), 'the rebuilt chart code draws a different picture');
    // And the plugins do draw: without them the picture differs (whiskers, background).
    Chart.unregister(rebuiltWhiskers, rebuiltBackground);
    const bare = createCanvas(spec.width, spec.height);
    const bareChart = new Chart(bare as unknown as HTMLCanvasElement, rebuiltConfig(spec, false));
    const without = await bare.encode('png');
    bareChart.destroy();
    assert.ok(!without.equals(original), 'the plugins drew nothing');
  } finally {
    Chart.unregister(rebuiltWhiskers, rebuiltBackground);
    Chart.register(whiskerPlugin, backgroundPlugin);
  }
});

async function decode(png: Buffer): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: ctx.getImageData(0, 0, image.width, image.height).data };
}

function hex(color: string): [number, number, number] {
  const n = parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

test('every chart renders to a PNG of the stated size that is not blank and shows each series colour', async () => {
  for (const spec of buildChartSpecs(results)) {
    const png = await renderChartPng(spec);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${spec.id}: PNG signature`);
    const img = await decode(png);
    assert.equal(img.width, CHART_WIDTH_PX, spec.id);
    assert.equal(img.height, CHART_HEIGHT_PX, spec.id);
    let sum = 0;
    let sumSq = 0;
    let opaque = 0;
    let nonWhite = 0;
    const pixels = img.width * img.height;
    for (let i = 0; i < img.data.length; i += 4) {
      const lum = 0.299 * (img.data[i] as number) + 0.587 * (img.data[i + 1] as number) + 0.114 * (img.data[i + 2] as number);
      sum += lum;
      sumSq += lum * lum;
      if (img.data[i + 3] === 255) opaque++;
      if (lum < 240) nonWhite++;
    }
    const variance = sumSq / pixels - (sum / pixels) ** 2;
    assert.equal(opaque, pixels, `${spec.id}: background is opaque`);
    assert.ok(variance > 100, `${spec.id}: pixel variance ${variance.toFixed(1)} looks blank`);
    assert.ok(nonWhite / pixels > 0.01, `${spec.id}: only ${nonWhite} drawn pixels`);
    for (const s of spec.series) {
      const [r, g, b] = hex(s.color);
      let hits = 0;
      for (let i = 0; i < img.data.length; i += 4) {
        if (Math.abs((img.data[i] as number) - r) + Math.abs((img.data[i + 1] as number) - g) + Math.abs((img.data[i + 2] as number) - b) < 40) hits++;
      }
      assert.ok(hits > 100, `${spec.id}: series ${s.label} (${s.color}) drew only ${hits} pixels`);
    }
  }
});

test('writeReport writes the charts next to report.md and report.html and returns their paths', async () => {
  const written = await writeReport(results, tmp);
  const expected = buildChartSpecs(results).map((s) => join(tmp, 'charts', `${s.id}.png`));
  assert.deepEqual(written, [join(tmp, 'report.md'), join(tmp, 'report.html'), ...expected, join(tmp, 'report.csv')]);
  for (const path of expected) {
    const img = await decode(readFileSync(path));
    assert.equal(img.width, CHART_WIDTH_PX);
  }
});

test('results with a single ok latency case still chart; results without ok cases chart nothing', async () => {
  const one = { ...results, cases: results.cases.filter((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.topology === 'same-pod' && c.messageBytes === 64) };
  const specs = buildChartSpecs(one);
  assert.deepEqual(specs.map((s) => s.id), ['latency-same-pod', 'cpu-same-pod']);
  const img = await decode(await renderChartPng(specs[0] as ChartSpec));
  assert.equal(img.height, CHART_HEIGHT_PX);
  assert.deepEqual(buildChartSpecs({ ...results, cases: results.cases.filter((c) => c.status !== 'ok') }), []);
});
