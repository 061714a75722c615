import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import { mechanismLabel } from '../core/vocabulary.js';
import { buildChartSpecs, lossPercent, MAX_SERIES_PER_PANEL, MIN_SAMPLES_FOR_P99, splitPanels, type ChartPanel, type ChartSpec } from '../harness/report/charts.js';
import { chartKit } from '../harness/report/chart-kit.js';
import { FAMILY_TEXT, familyLookup } from '../harness/report/families.js';
import { renderChartPng } from '../harness/report/render-png.js';
import { writeReport } from '../harness/report/index.js';

const read = (rel: string): ResultFile => parseResultFile(JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')), rel);
const results = read('../../test/fixtures/good/base.json');
const kit = chartKit();
const families = familyLookup();
const tmp = mkdtempSync(join(tmpdir(), 'podipc-charts-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const spec = (specs: ChartSpec[], id: string): ChartSpec => {
  const s = specs.find((x) => x.id === id);
  assert.ok(s, `no chart ${id} in ${specs.map((x) => x.id).join(', ')}`);
  return s;
};
const find = (r: ResultFile, label: string, probe: CaseResult['probe'], size: number, topology: CaseResult['topology'] = 'same-pod'): CaseResult => {
  const c = r.cases.find((x) => mechanismLabel(x) === label && x.probe === probe && x.messageBytes === size && x.topology === topology && x.runtime === 'node');
  assert.ok(c, `no case ${label} ${probe} ${size}`);
  return c;
};
const withCase = (r: ResultFile, match: (c: CaseResult) => boolean, change: (c: CaseResult) => CaseResult): ResultFile => ({ ...r, cases: r.cases.map((c) => (match(c) ? change(c) : c)) });

test('figures: latency, the trade-off, throughput and CPU per topology, then same vs cross pod', () => {
  assert.deepEqual(
    buildChartSpecs(results).map((s) => s.id),
    ['latency-same-pod', 'tradeoff-same-pod', 'throughput-same-pod', 'cpu-same-pod', 'latency-cross-pod', 'tradeoff-cross-pod', 'throughput-cross-pod', 'cpu-cross-pod', 'latency-same-vs-cross-pod'],
  );
});

test('size sweeps are small multiples by family, on one shared y range, each series in its family panel', () => {
  const specs = buildChartSpecs(results);
  const latency = spec(specs, 'latency-same-pod');
  assert.deepEqual(
    latency.panels.map((p) => p.title),
    ['loopback network (2)', 'shared volume (1)', 'IPC namespace (3)'],
  );
  for (const s of specs.filter((x) => /^(latency|throughput|cpu)-(same|cross)-pod$/.test(x.id))) {
    for (const p of s.panels) {
      const family = Object.entries(FAMILY_TEXT).find(([, text]) => p.title.startsWith(text))?.[0];
      assert.ok(family, `${s.id}: panel "${p.title}" names a family`);
      for (const series of p.series) {
        const c = results.cases.find((x) => mechanismLabel(x) === series.label);
        assert.equal(families.family(c!), family, `${s.id}: ${series.label} in the ${p.title} panel`);
      }
      assert.ok(p.series.length <= MAX_SERIES_PER_PANEL, `${s.id}: ${p.series.length} lines in one panel`);
      assert.deepEqual([p.y.min, p.y.max], [s.panels[0]!.y.min, s.panels[0]!.y.max], `${s.id}: panels share the y range`);
    }
  }
  // Cross pod, only the network can cross: one panel.
  assert.deepEqual(spec(specs, 'latency-cross-pod').panels.map((p) => p.title), ['loopback network (2)']);
});

test('a family with more lines than a panel holds is split between mechanisms, the same way in every figure', () => {
  const labels = ['mq-posix', 'mq-sysv', 'sem', 'shm-sysv/futex', 'shm-sysv/sem', 'shm-sysv/spin', 'shm-posix/futex', 'shm-posix/sem', 'shm-posix/spin'];
  const mech = (l: string): string => l.split('/')[0]!;
  assert.deepEqual(splitPanels(labels, mech), [labels.slice(0, 3), labels.slice(3)]);
  assert.deepEqual(splitPanels(labels.slice(0, 6), mech), [labels.slice(0, 6)]);
  // Never parts the variants of one mechanism, even when that leaves a panel over the limit.
  const seven = ['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'a/6', 'a/7'];
  assert.deepEqual(splitPanels(seven, mech), [seven]);
  const example = buildChartSpecs(read('../../results/examples/results.json'));
  assert.deepEqual(spec(example, 'latency-same-pod').panels.map((p) => p.title), [
    'loopback network (3)',
    'shared volume (4)',
    'IPC namespace: mq-posix, mq-sysv, sem',
    'IPC namespace: shm-sysv, shm-posix',
  ]);
  // sem has no throughput case: the same split, its panel names what it holds.
  assert.deepEqual(spec(example, 'throughput-same-pod').panels.map((p) => p.title).slice(2), ['IPC namespace: mq-posix, mq-sysv', 'IPC namespace: shm-sysv, shm-posix']);
});

test('family by colour and marker: one colour per mechanism everywhere, variants share the hue with another dash', () => {
  const specs = buildChartSpecs(results);
  const seen = new Map<string, string>();
  for (const s of specs.filter((x) => !x.id.startsWith('latency-same-vs'))) {
    for (const p of s.panels) {
      assert.equal(new Set(p.series.map((x) => x.color)).size, p.series.length, `${s.id} ${p.title}: colours repeat`);
      for (const series of p.series) {
        const prev = seen.get(series.label);
        if (prev) assert.equal(series.color, prev, `${series.label} changes colour in ${s.id}`);
        seen.set(series.label, series.color);
      }
    }
  }
  const ipc = spec(specs, 'latency-same-pod').panels[2]!;
  const spin = ipc.series.find((x) => x.label === 'shm-posix/spin')!;
  const futex = ipc.series.find((x) => x.label === 'shm-posix/futex')!;
  assert.notDeepEqual(spin.dash, futex.dash);
  assert.equal(spin.marker, 'triangle');
  const hue = (hex: string): number => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
    const max = Math.max(r, g, b);
    const d = max - Math.min(r, g, b);
    const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
    return (h * 60 + 360) % 360;
  };
  assert.ok(Math.abs(hue(spin.color) - hue(futex.color)) < 4, `variants of one mechanism share a hue: ${spin.color} ${futex.color}`);
  const net = spec(specs, 'latency-same-pod').panels[0]!;
  assert.deepEqual(net.series.map((x) => x.marker), ['circle', 'circle']);
});

test('units switch with the value and every tick carries one: no "20,000 µs"', () => {
  assert.equal(kit.formatValue('ns', 950), '950 ns');
  assert.equal(kit.formatValue('ns', 999.7), '1 µs');
  assert.equal(kit.formatValue('ns', 1500), '1.5 µs');
  assert.equal(kit.formatValue('ns', 20_000_000), '20 ms');
  assert.equal(kit.formatValue('ns', 2.5e9), '2.5 s');
  assert.equal(kit.formatValue('bytes', 64), '64 B');
  assert.equal(kit.formatValue('bytes', 1536), '1.5 KiB');
  assert.equal(kit.formatValue('bytes', 1048576), '1 MiB');
  assert.equal(kit.formatValue('bytesPerSec', 1.1e9), '1.1 GB/s');
  assert.equal(kit.formatValue('bytesPerSec', 13.3e6), '13.3 MB/s');
  assert.equal(kit.formatValue('msgsPerSec', 250_000), '250 k msg/s');
  assert.equal(kit.formatValue('msgsPerSec', 1.2e6), '1.2 M msg/s');
  const tickLabel = /^\d{1,3}(\.\d{1,2})? (ns|µs|ms|s|B|KiB|MiB|GiB|B\/s|kB\/s|MB\/s|GB\/s|msg\/s|k msg\/s|M msg\/s|G msg\/s)$/;
  const example = read('../../results/examples/results.json');
  for (const s of [...buildChartSpecs(results), ...buildChartSpecs(example)]) {
    for (const p of s.panels) {
      for (const axis of [p.x, p.y]) {
        if (axis.unit === 'category') continue;
        const ticks = kit.axisTicks(axis);
        assert.ok(ticks.length >= 2 && ticks.length <= 10, `${s.id} ${p.title}: ${ticks.length} ticks on "${axis.label}"`);
        for (const t of ticks) {
          assert.match(t.label, tickLabel, `${s.id} ${p.title} "${axis.label}"`);
          assert.ok(t.value >= axis.min && t.value <= axis.max, `${s.id}: tick ${t.label} outside the axis`);
        }
      }
    }
  }
  assert.deepEqual(kit.axisTicks(spec(buildChartSpecs(results), 'latency-same-pod').panels[0]!.x).map((t) => t.label), ['64 B', '1 KiB', '64 KiB', '1 MiB']);
});

test('latency points are the case values: p50 with a p99 whisker, no whisker when too few round trips back p99', () => {
  const p = spec(buildChartSpecs(results), 'latency-same-pod').panels[0]!;
  const tcp = find(results, 'tcp', 'latency', 64);
  assert.deepEqual(
    (({ x, y, yHigh }) => ({ x, y, yHigh }))(p.series.find((s) => s.label === 'tcp')!.points[0]!),
    { x: 64, y: tcp.latencyNs!.p50, yHigh: tcp.latencyNs!.p99 },
  );
  const few = withCase(results, (c) => c === tcp, (c) => ({ ...c, samples: MIN_SAMPLES_FOR_P99 - 1 }));
  const point = spec(buildChartSpecs(few), 'latency-same-pod').panels[0]!.series.find((s) => s.label === 'tcp')!.points[0]!;
  assert.equal(point.y, tcp.latencyNs!.p50);
  assert.equal(point.yHigh, undefined);
  // Failed and skipped cases are not plotted.
  const tput = spec(buildChartSpecs(results), 'throughput-same-pod');
  const all = tput.panels.flatMap((x) => x.series);
  assert.deepEqual(all.find((s) => s.label === 'shm-posix/futex')!.points.map((x) => x.x), [64, 1024, 65536]);
  assert.deepEqual(all.find((s) => s.label === 'udp')!.points.map((x) => x.x), [64, 1024]);
});

test('lossy cases are marked: a cross, "lost N %", a dotted faint segment and "(lossy)" in the legend', () => {
  // udp lost 489 of 120751 at 1 KiB in the fixture; make 64 B lose two thirds.
  const lossy = withCase(
    results,
    (c) => c.mechanism === 'udp' && c.probe === 'throughput' && c.messageBytes === 64 && c.topology === 'same-pod',
    (c) => ({ ...c, integrity: { sent: 3000, received: 1000, corrupt: 0, lost: 2000 } }),
  );
  const panel = spec(buildChartSpecs(lossy), 'throughput-same-pod').panels[0]!;
  const udp = panel.series.find((s) => s.label === 'udp')!;
  assert.equal(udp.points[0]!.note, 'lost 67 %');
  assert.equal(udp.points[1]!.note, 'lost 0.4 %');
  assert.equal(udp.points[1]!.lossPct, lossPercent(find(results, 'udp', 'throughput', 1024)));
  const tcp = panel.series.find((s) => s.label === 'tcp')!;
  assert.ok(tcp.points.every((p) => p.lossPct === undefined && p.note === undefined), 'clean cases carry no mark');
  const config = kit.panelConfig(panel, 1200, 380, false);
  const ds = config.data.datasets.find((d: { label: string }) => d.label === 'udp');
  assert.deepEqual(ds.pointStyle, ['crossRot', 'crossRot']);
  assert.deepEqual(ds.segment.borderDash({ p0DataIndex: 0, p1DataIndex: 1 }), [2, 4]);
  const clean = config.data.datasets.find((d: { label: string }) => d.label === 'tcp');
  assert.deepEqual(clean.pointStyle, ['circle', 'circle', 'circle', 'circle']);
  assert.equal(clean.segment.borderDash({ p0DataIndex: 0, p1DataIndex: 1 }), undefined);
  assert.match(spec(buildChartSpecs(lossy), 'throughput-same-pod').subtitle.join(' '), /×: messages lost or corrupted/);
});

test('the trade-off scatter: per size, one point per mechanism at (CPU per round trip, p50), labelled', () => {
  const s = spec(buildChartSpecs(results), 'tradeoff-same-pod');
  const sizes = [...new Set(results.cases.filter((c) => c.probe === 'latency' && c.topology === 'same-pod' && c.status === 'ok').map((c) => c.messageBytes))].sort((a, b) => a - b);
  assert.deepEqual(s.panels.map((p) => p.title), ['64 B', '1 KiB', '64 KiB', '1 MiB']);
  for (const [i, p] of s.panels.entries()) {
    assert.equal(p.x.unit, 'ns');
    assert.equal(p.y.unit, 'ns');
    assert.ok(p.x.log && p.y.log);
    const cases = results.cases.filter((c) => c.probe === 'latency' && c.topology === 'same-pod' && c.status === 'ok' && c.messageBytes === sizes[i] && c.cpu);
    assert.equal(p.series.length, cases.length, p.title);
    for (const c of cases) {
      const series = p.series.find((x) => x.label === mechanismLabel(c))!;
      assert.equal(series.line, false);
      assert.deepEqual(
        (({ x, y, note }) => ({ x, y, note }))(series.points[0]!),
        { x: (c.cpu!.clientUsPerMsg + c.cpu!.serverUsPerMsg) * 1e3, y: c.latencyNs!.p50, note: mechanismLabel(c) },
      );
      assert.ok(series.points[0]!.x >= p.x.min && series.points[0]!.x <= p.x.max && series.points[0]!.y >= p.y.min && series.points[0]!.y <= p.y.max);
    }
  }
});

test('whiskers at one size are spread apart, centred on the true size, within a third of the gap', () => {
  const panel: ChartPanel = spec(buildChartSpecs(read('../../results/examples/results.json')), 'latency-same-pod').panels[3]!;
  assert.equal(panel.series.length, 6);
  const f = kit.dodgeFactors(panel);
  assert.equal(new Set(f).size, 6);
  assert.ok(Math.abs(Math.log2(f[0]!) + Math.log2(f[5]!)) < 1e-9, 'centred');
  const gap = Math.log2(262144 * 4) - Math.log2(262144); // 256 KiB -> 1 MiB, the closest sizes
  assert.ok(Math.log2(f[5]! / f[0]!) <= gap * 0.4, 'stays clear of the next size');
  // At 64 B the six whiskers are at least 8 px apart on a 1200 px panel.
  const config = kit.panelConfig(panel, 1200, 380, false);
  const plotPx = 1200 - panel.legendWidth - 80;
  const pxPerOctave = plotPx / Math.log2(panel.x.max / panel.x.min);
  const xs = config.data.datasets.map((d: { data: Array<{ x: number }> }) => d.data[0]!.x).sort((a: number, b: number) => a - b);
  for (let i = 1; i < xs.length; i++) assert.ok(Math.log2(xs[i] / xs[i - 1]) * pxPerOctave >= 8, `whiskers ${i - 1} and ${i} too close`);
  assert.deepEqual(kit.dodgeFactors({ ...panel, dodge: false }), panel.series.map(() => 1));
});

/** The fixture measured again by a native probe (latency halved) and again in a second placement. */
function twoRuntimes(r: ResultFile): ResultFile {
  const native = r.cases.map((c) => ({ ...c, runtime: 'native' as const, ...(c.latencyNs ? { latencyNs: { ...c.latencyNs, p50: c.latencyNs.p50 / 2 } } : {}) }));
  return { ...r, config: { ...r.config, runtimes: ['node', 'native'] }, cases: [...r.cases, ...native] };
}
function twoPlacements(r: ResultFile): ResultFile {
  const sandbox = r.env.placements.sandbox!;
  const process = r.cases.map((c) => ({ ...c, placement: 'process' as const, ...(c.throughput ? { throughput: { ...c.throughput, msgsPerSec: c.throughput.msgsPerSec * 1.5 } } : {}) }));
  return { ...r, env: { ...r.env, placements: { sandbox, process: { ...sandbox, isolation: 'none: two processes' } } }, cases: [...r.cases, ...process] };
}

test('Node vs native: paired points per size, values equal the cases, only when both runtimes ran', () => {
  assert.ok(!buildChartSpecs(results).some((s) => s.id.startsWith('runtimes-')));
  const both = twoRuntimes(results);
  const s = spec(buildChartSpecs(both), 'runtimes-latency-same-pod');
  assert.ok(buildChartSpecs(both).some((x) => x.id === 'runtimes-throughput-same-pod'));
  assert.deepEqual(s.panels.map((p) => p.title), ['64 B', '1 KiB', '64 KiB', '1 MiB']);
  const p = s.panels[0]!;
  assert.equal(p.connect, true);
  assert.deepEqual(p.series.map((x) => x.label), ['node', 'native']);
  assert.equal(p.y.unit, 'category');
  const cats = p.y.categories!;
  assert.equal(cats[0], 'shm-posix/spin', 'best first');
  for (const [k, runtime] of (['node', 'native'] as const).entries()) {
    for (const point of p.series[k]!.points) {
      const c = both.cases.find((x) => x.runtime === runtime && x.probe === 'latency' && x.topology === 'same-pod' && x.messageBytes === 64 && mechanismLabel(x) === cats[point.y])!;
      assert.equal(point.x, c.latencyNs!.p50, `${runtime} ${cats[point.y]}`);
    }
  }
  // Throughput in msg/s.
  assert.equal(spec(buildChartSpecs(both), 'runtimes-throughput-same-pod').panels[0]!.x.unit, 'msgsPerSec');
});

test('placements side by side when the file has several', () => {
  assert.ok(!buildChartSpecs(results).some((s) => s.id.startsWith('placements-')));
  const both = twoPlacements(results);
  const s = spec(buildChartSpecs(both), 'placements-throughput-same-pod');
  const p = s.panels[0]!;
  assert.deepEqual(p.series.map((x) => x.label), ['sandbox', 'process']);
  const tcpRow = p.y.categories!.indexOf('tcp');
  const sandbox = p.series[0]!.points.find((x) => x.y === tcpRow)!;
  const proc = p.series[1]!.points.find((x) => x.y === tcpRow)!;
  assert.equal(sandbox.x, find(results, 'tcp', 'throughput', 64).throughput!.msgsPerSec);
  assert.equal(proc.x, sandbox.x * 1.5);
  assert.ok(buildChartSpecs(both).some((x) => x.id === 'placements-latency-same-pod'));
});

test('a placement without a second pod draws the same-pod figures; cross pod comes from the next placement', () => {
  const both = twoPlacements(results);
  // process first, and (like the real one) with nothing across pods.
  const first: ResultFile = {
    ...both,
    env: { ...both.env, placements: { process: both.env.placements.process!, sandbox: both.env.placements.sandbox! } },
    cases: both.cases.filter((c) => !(c.placement === 'process' && c.topology === 'cross-pod')),
  };
  const specs = buildChartSpecs(first);
  assert.match(spec(specs, 'latency-same-pod').subtitle[0]!, /^process placement/);
  assert.match(spec(specs, 'latency-cross-pod').subtitle[0]!, /^sandbox placement/);
  assert.match(spec(specs, 'latency-same-vs-cross-pod').subtitle[0]!, /^sandbox placement/);
  assert.ok(!specs.some((x) => x.id === 'placements-latency-cross-pod'), 'nothing to compare across pods');
});

test('the kit is self-contained: rebuilt from its source text it gives the same configs', () => {
  const rebuilt = (new Function(`return (${chartKit.toString()})`)() as typeof chartKit)();
  const strip = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'function' ? `fn:${x.length}` : x));
  for (const s of [...buildChartSpecs(results), ...buildChartSpecs(twoRuntimes(results))]) {
    for (const p of s.panels) {
      const a = kit.panelConfig(p, s.panelWidth, s.panelHeight, true);
      const b = rebuilt.panelConfig(p, s.panelWidth, s.panelHeight, true);
      assert.equal(strip(b), strip(a), s.id);
      assert.equal(b.options.scales.y.ticks.callback(p.y.categories ? 0 : kit.axisTicks(p.y)[0]!.value), a.options.scales.y.ticks.callback(p.y.categories ? 0 : kit.axisTicks(p.y)[0]!.value));
    }
  }
  assert.deepEqual(rebuilt.plugins.map((x) => x.id), kit.plugins.map((x) => x.id));
});

async function decode(png: Buffer): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: ctx.getImageData(0, 0, image.width, image.height).data };
}

/** Drawn (non-white) share and luminance variance of a rectangle of the image. */
function inspect(img: { width: number; data: Uint8ClampedArray }, x0: number, y0: number, w: number, h: number): { drawn: number; variance: number; opaque: boolean } {
  let sum = 0;
  let sumSq = 0;
  let drawn = 0;
  let opaque = true;
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const i = (y * img.width + x) * 4;
      const lum = 0.299 * img.data[i]! + 0.587 * img.data[i + 1]! + 0.114 * img.data[i + 2]!;
      sum += lum;
      sumSq += lum * lum;
      if (lum < 235) drawn++;
      if (img.data[i + 3] !== 255) opaque = false;
    }
  }
  const n = w * h;
  return { drawn: drawn / n, variance: sumSq / n - (sum / n) ** 2, opaque };
}

function colourHits(img: { data: Uint8ClampedArray }, hex: string): number {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  let hits = 0;
  for (let i = 0; i < img.data.length; i += 4) if (Math.abs(img.data[i]! - r) + Math.abs(img.data[i + 1]! - g) + Math.abs(img.data[i + 2]! - b) < 40) hits++;
  return hits;
}

test('every figure renders to a PNG of its stated size, opaque, not blank, every panel drawn, every series visible', async () => {
  for (const s of [...buildChartSpecs(results), ...buildChartSpecs(twoRuntimes(twoPlacements(results))).filter((x) => /^(runtimes|placements)-/.test(x.id))]) {
    const png = await renderChartPng(s);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${s.id}: PNG signature`);
    const img = await decode(png);
    assert.deepEqual([img.width, img.height], [s.width, s.height], s.id);
    const whole = inspect(img, 0, 0, img.width, img.height);
    assert.ok(whole.opaque, `${s.id}: background is opaque`);
    assert.ok(whole.variance > 100, `${s.id}: pixel variance ${whole.variance.toFixed(1)} looks blank`);
    const header = inspect(img, 0, 0, img.width, s.headerHeight);
    assert.ok(header.drawn > 0.01, `${s.id}: no title drawn`);
    for (const [i, p] of s.panels.entries()) {
      const x = (i % s.columns) * s.panelWidth;
      const y = s.headerHeight + Math.floor(i / s.columns) * s.panelHeight;
      const cell = inspect(img, x, y, s.panelWidth, s.panelHeight);
      assert.ok(cell.drawn > 0.02, `${s.id} panel "${p.title}": only ${(cell.drawn * 100).toFixed(2)} % drawn`);
    }
    for (const series of s.panels.flatMap((p) => p.series)) {
      assert.ok(colourHits(img, series.color) > 20, `${s.id}: series ${series.label} (${series.color}) not visible`);
    }
  }
});

test('writeReport writes one PNG per figure next to report.md and report.html and returns their paths', async () => {
  const written = await writeReport(results, tmp);
  const specs = buildChartSpecs(results);
  const expected = specs.map((s) => join(tmp, 'charts', `${s.id}.png`));
  assert.deepEqual([...written].sort(), [...expected, join(tmp, 'report.md'), join(tmp, 'report.html'), join(tmp, 'report.csv')].sort());
  // Charts encode while the next is drawn (export-png.ts): each file is its own figure, as drawn alone.
  for (const [i, path] of expected.entries()) assert.ok(readFileSync(path).equals(await renderChartPng(specs[i]!)), `${specs[i]!.id}: the file holds another figure`);
});

test('the committed example charts are the current figures of the committed example results, and decode', async () => {
  const dir = new URL('../../results/examples/charts/', import.meta.url);
  const specs = buildChartSpecs(read('../../results/examples/results.json'));
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.png')).sort(), specs.map((s) => `${s.id}.png`).sort(), 'regenerate with: node dist/harness/cli.js report results/examples');
  for (const s of specs) {
    const img = await decode(readFileSync(new URL(`${s.id}.png`, dir)));
    assert.deepEqual([img.width, img.height], [s.width, s.height], s.id);
    assert.ok(inspect(img, 0, 0, img.width, img.height).variance > 100, s.id);
  }
});

test('a single ok latency case still charts; results without ok cases chart nothing', async () => {
  const one = { ...results, cases: results.cases.filter((c) => c === find(results, 'tcp', 'latency', 64)) };
  const specs = buildChartSpecs(one);
  assert.deepEqual(specs.map((s) => s.id), ['latency-same-pod', 'tradeoff-same-pod', 'cpu-same-pod']);
  const img = await decode(await renderChartPng(specs[0]!));
  assert.equal(img.height, specs[0]!.height);
  assert.deepEqual(buildChartSpecs({ ...results, cases: results.cases.filter((c) => c.status !== 'ok') }), []);
});
