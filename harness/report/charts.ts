/**
 * Chart specifications: pure data built from results.json, rendered identically to PNG
 * (render-png.ts, Chart.js on @napi-rs/canvas) and in report.html (Chart.js in the browser).
 *
 * `toChartConfig`, `whiskerPlugin` and `backgroundPlugin` are written self-contained (no
 * imports, no references to module scope) because html.ts inlines their source text with
 * Function.prototype.toString: one implementation for both renderers, so the PNG and the
 * interactive chart cannot drift apart.
 */
import { mechanismLabel, type PlacementId, type RuntimeId } from '../../core/vocabulary.js';
import { placementsOf, type CaseResult, type ResultFile } from '../../core/results.js';

export interface ChartPoint {
  /** Message size in bytes. */
  x: number;
  y: number;
  /** Top of the whisker (p99 for latency charts). */
  yHigh?: number;
}

export interface ChartSeries {
  label: string;
  color: string;
  dashed: boolean;
  points: ChartPoint[];
}

export interface ChartSpec {
  /** File stem of the PNG and id of the HTML canvas: `latency-same-pod`. */
  id: string;
  title: string;
  subtitle: string[];
  xLabel: string;
  yLabel: string;
  /** How y values are printed in ticks and tooltips. */
  yFormat: 'us' | 'MBps';
  /** Draw a whisker from y to yHigh. */
  whiskers: boolean;
  /** Measured message sizes: the x ticks. */
  xTicks: number[];
  series: ChartSeries[];
  width: number;
  height: number;
}

export const CHART_WIDTH_PX = 1100;
export const CHART_HEIGHT_PX = 650;

/**
 * Tableau 10 (distinguishable, colour-blind-aware, fine on white), then a darker shade of
 * each: a full suite draws 16 mechanism lines, and a repeated colour would make two of them
 * one line to the reader.
 */
const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f3b73', '#a35200', '#8c1c24', '#2f6f69', '#2b5e22', '#8f7300', '#6b3a64', '#c2506d', '#5a3f2c', '#5f5a57',
];

/** The same mechanism keeps its colour in every chart of a report. */
export function colorMap(results: ResultFile): Map<string, string> {
  const labels = [...new Set(results.cases.map((c) => mechanismLabel(c)))].sort();
  return new Map(labels.map((l, i) => [l, PALETTE[i % PALETTE.length] as string]));
}

function hostOf(results: ResultFile): string {
  return results.env.hostname ?? results.env.cpuModel;
}

function subtitleOf(results: ResultFile, extra: string): string[] {
  const e = results.env;
  const commit = results.tool.gitCommit.slice(0, 12);
  return [extra, `${e.cpuModel}, ${e.cores} cores, kernel ${e.kernel}, Node ${e.nodeVersion}, podipc ${results.tool.version} (${commit})`];
}

const TOPOLOGY_TEXT = { 'same-pod': 'same pod', 'cross-pod': 'cross pod' } as const;

/**
 * The cases these charts draw: one line per mechanism, so one runtime and one placement -
 * the first placement of the run, and the Node runtime when it ran (the per-runtime and
 * per-placement comparisons have tables of their own).
 */
function charted(results: ResultFile): { placement: PlacementId; runtime: RuntimeId } {
  const runtime: RuntimeId = results.cases.some((c) => c.runtime === 'node' && c.status === 'ok') ? 'node' : 'native';
  return { placement: placementsOf(results)[0]!, runtime };
}

function okCases(results: ResultFile, probe: CaseResult['probe'], topology: CaseResult['topology']): CaseResult[] {
  const { placement, runtime } = charted(results);
  // Only ok cases: a failed case's aggregate covers a subset of runs and would look better than it is.
  return results.cases.filter((c) => c.status === 'ok' && c.probe === probe && c.topology === topology && c.placement === placement && c.runtime === runtime);
}

function seriesBy(
  cases: CaseResult[],
  colors: Map<string, string>,
  point: (c: CaseResult) => ChartPoint | undefined,
  dashed = false,
  suffix = '',
): ChartSeries[] {
  const byLabel = new Map<string, ChartPoint[]>();
  for (const c of cases) {
    const p = point(c);
    if (!p) continue;
    const label = mechanismLabel(c);
    const list = byLabel.get(label) ?? [];
    list.push(p);
    byLabel.set(label, list);
  }
  return [...byLabel.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, points]) => ({
      label: label + suffix,
      color: colors.get(label) ?? '#333333',
      dashed,
      points: points.sort((a, b) => a.x - b.x),
    }));
}

function sizesOf(series: ChartSeries[]): number[] {
  return [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
}

const latencyPoint = (c: CaseResult): ChartPoint | undefined =>
  c.latencyNs && c.latencyNs.p50 > 0 ? { x: c.messageBytes, y: c.latencyNs.p50 / 1e3, yHigh: c.latencyNs.p99 / 1e3 } : undefined;

const throughputPoint = (c: CaseResult): ChartPoint | undefined =>
  c.throughput && c.throughput.bytesPerSec > 0 ? { x: c.messageBytes, y: c.throughput.bytesPerSec / 1e6 } : undefined;

const cpuPoint = (c: CaseResult): ChartPoint | undefined =>
  c.cpu && c.cpu.clientUsPerMsg + c.cpu.serverUsPerMsg > 0 ? { x: c.messageBytes, y: c.cpu.clientUsPerMsg + c.cpu.serverUsPerMsg } : undefined;

/**
 * Every chart the results support: latency, throughput and CPU cost per topology, and
 * same pod vs cross pod when both were measured. Charts without data are left out.
 */
export function buildChartSpecs(results: ResultFile): ChartSpec[] {
  const colors = colorMap(results);
  const { placement, runtime } = charted(results);
  const where = `${placement}, ${runtime} probe, on ${hostOf(results)}`;
  const specs: ChartSpec[] = [];
  const base = { width: CHART_WIDTH_PX, height: CHART_HEIGHT_PX, xLabel: 'message size (bytes, log scale)' };

  for (const topology of ['same-pod', 'cross-pod'] as const) {
    const t = TOPOLOGY_TEXT[topology];
    const lat = seriesBy(okCases(results, 'latency', topology), colors, latencyPoint);
    if (lat.length) {
      specs.push({
        ...base,
        id: `latency-${topology}`,
        title: `Round-trip latency vs message size, ${t} (${where})`,
        subtitle: subtitleOf(results, 'dot and line: median round trip (p50); whisker: up to p99; lower is better'),
        yLabel: 'round-trip latency (µs, log scale)',
        yFormat: 'us',
        whiskers: true,
        xTicks: sizesOf(lat),
        series: lat,
      });
    }
    const tput = seriesBy(okCases(results, 'throughput', topology), colors, throughputPoint);
    if (tput.length) {
      specs.push({
        ...base,
        id: `throughput-${topology}`,
        title: `Throughput vs message size, ${t} (${where})`,
        subtitle: subtitleOf(results, 'one-directional stream, median of runs; higher is better'),
        yLabel: 'throughput (MB/s = 10⁶ bytes/s, log scale)',
        yFormat: 'MBps',
        whiskers: false,
        xTicks: sizesOf(tput),
        series: tput,
      });
    }
    // CPU cost: from the throughput probe (the mechanism working flat out); the latency
    // probe when no throughput was measured.
    const cpuProbe = okCases(results, 'throughput', topology).some((c) => c.cpu) ? 'throughput' : 'latency';
    const cpu = seriesBy(okCases(results, cpuProbe, topology), colors, cpuPoint);
    if (cpu.length) {
      specs.push({
        ...base,
        id: `cpu-${topology}`,
        title: `CPU cost per message, ${t} (${where})`,
        subtitle: subtitleOf(results, `client + server CPU time per message, ${cpuProbe} probe; lower is better (busy-polling shows here)`),
        yLabel: 'CPU time per message, client + server (µs, log scale)',
        yFormat: 'us',
        whiskers: false,
        xTicks: sizesOf(cpu),
        series: cpu,
      });
    }
  }

  // Same pod vs cross pod, for the mechanisms measured in both.
  const same = okCases(results, 'latency', 'same-pod');
  const cross = okCases(results, 'latency', 'cross-pod');
  const both = new Set(cross.map((c) => mechanismLabel(c)).filter((l) => same.some((s) => mechanismLabel(s) === l)));
  if (both.size) {
    const pick = (cases: CaseResult[]): CaseResult[] => cases.filter((c) => both.has(mechanismLabel(c)));
    const series = [
      ...seriesBy(pick(same), colors, latencyPoint, false, ' (same pod)'),
      ...seriesBy(pick(cross), colors, latencyPoint, true, ' (cross pod)'),
    ];
    specs.push({
      ...base,
      id: 'latency-same-vs-cross-pod',
      title: `Same pod vs cross pod: round-trip latency (${where})`,
      subtitle: subtitleOf(results, 'solid: same pod, dashed: cross pod (veth between pods); dot: p50, whisker: up to p99'),
      yLabel: 'round-trip latency (µs, log scale)',
      yFormat: 'us',
      whiskers: true,
      xTicks: sizesOf(series),
      series,
    });
  }
  return specs;
}

// ---------------------------------------------------------------------------------------
// Self-contained pieces shared with the browser (see the file comment). Keep them free of
// imports and module-scope references; html.ts inlines their source.
// ---------------------------------------------------------------------------------------

/** Chart.js configuration for a spec. `interactive` enables tooltips (the HTML report). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function toChartConfig(spec: ChartSpec, interactive: boolean): any {
  const bytes = (v: number): string => {
    if (v >= 1048576 && v % 1048576 === 0) return v / 1048576 + ' MiB';
    if (v >= 1024 && v % 1024 === 0) return v / 1024 + ' KiB';
    return v + ' B';
  };
  const num = (v: number): string => {
    if (v === 0) return '0';
    const a = Math.abs(v);
    if (a >= 1000) return Math.round(v).toLocaleString('en-US');
    const d = Math.max(0, 2 - Math.floor(Math.log10(a)));
    return v.toFixed(Math.min(d, 4));
  };
  // Axis ticks: three significant digits, trailing zeros dropped (20, 2, 0.5).
  const tick = (v: number): string => Number(v.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 6 });
  const unit = spec.yFormat === 'us' ? ' µs' : ' MB/s';
  // Leave room for the whiskers and the outermost points on the log axes.
  let yMax = 0;
  let yMin = Infinity;
  spec.series.forEach((s) =>
    s.points.forEach((p) => {
      yMax = Math.max(yMax, p.y, p.yHigh === undefined || p.yHigh === null ? 0 : p.yHigh);
      if (p.y > 0) yMin = Math.min(yMin, p.y);
    }),
  );
  const xFirst = spec.xTicks.length ? spec.xTicks[0]! : 1;
  const xLast = spec.xTicks.length ? spec.xTicks[spec.xTicks.length - 1]! : 10;
  // Log-axis ticks: keep 1-2-5 steps per decade so the axis stays readable.
  const keepTick = (v: number): boolean => {
    const m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
    return Math.abs(m - 1) < 1e-6 || Math.abs(m - 2) < 1e-6 || Math.abs(m - 5) < 1e-6;
  };
  return {
    type: 'line',
    data: {
      datasets: spec.series.map((s) => ({
        label: s.label,
        data: s.points.map((p) => ({ x: p.x, y: p.y, yHigh: p.yHigh })),
        borderColor: s.color,
        backgroundColor: s.color,
        borderWidth: 2.5,
        borderDash: s.dashed ? [8, 5] : [],
        pointRadius: 4,
        pointHoverRadius: 6,
        tension: 0,
      })),
    },
    options: {
      animation: false,
      responsive: !!interactive,
      maintainAspectRatio: true,
      aspectRatio: spec.width / spec.height,
      devicePixelRatio: interactive ? undefined : 1,
      interaction: { mode: 'nearest', intersect: false },
      layout: { padding: { top: 4, right: 18, bottom: 4, left: 4 } },
      plugins: {
        title: { display: true, text: spec.title, font: { size: 18, weight: 'bold' }, color: '#222', padding: { top: 8, bottom: 4 } },
        subtitle: { display: true, text: spec.subtitle, font: { size: 12 }, color: '#555', padding: { bottom: 8 } },
        legend: { display: true, position: 'right', labels: { font: { size: 13 }, color: '#222', boxWidth: 28, usePointStyle: false } },
        tooltip: {
          enabled: !!interactive,
          callbacks: {
            title: (items: Array<{ parsed: { x: number } }>) => (items.length ? bytes(items[0]!.parsed.x) : ''),
            label: (item: { dataset: { label: string }; raw: { y: number; yHigh?: number } }) =>
              item.dataset.label + ': ' + num(item.raw.y) + unit + (item.raw.yHigh !== undefined && item.raw.yHigh !== null ? ' (p99 ' + num(item.raw.yHigh) + unit + ')' : ''),
          },
        },
        podipcWhiskers: { enabled: spec.whiskers },
        podipcBackground: { color: '#ffffff' },
      },
      scales: {
        x: {
          type: 'logarithmic',
          title: { display: true, text: spec.xLabel, font: { size: 14 }, color: '#222' },
          min: xFirst / 1.6,
          max: xLast * 1.6,
          ticks: { color: '#333', font: { size: 12 }, autoSkip: false, maxRotation: 0, callback: (v: number) => bytes(Number(v)) },
          afterBuildTicks: (scale: { ticks: Array<{ value: number }> }) => {
            scale.ticks = spec.xTicks.map((value) => ({ value }));
          },
          grid: { color: '#e6e6e6' },
        },
        y: {
          type: 'logarithmic',
          title: { display: true, text: spec.yLabel, font: { size: 14 }, color: '#222' },
          suggestedMin: Number.isFinite(yMin) ? yMin / 1.3 : undefined,
          suggestedMax: yMax > 0 ? yMax * 1.3 : undefined,
          ticks: { color: '#333', font: { size: 12 }, callback: (v: number) => (keepTick(Number(v)) ? tick(Number(v)) : '') },
          grid: { color: '#e6e6e6' },
        },
      },
    },
  };
}

interface WhiskerChart {
  ctx: CanvasRenderingContext2D;
  data: { datasets: Array<{ data: Array<{ yHigh?: number }>; borderColor: string; borderDash?: number[] }> };
  isDatasetVisible(i: number): boolean;
  getDatasetMeta(i: number): { data: Array<{ x: number; y: number }>; yAxisID: string };
  scales: Record<string, { getPixelForValue(v: number): number }>;
}

/** Draws a vertical whisker from each point (p50) up to its yHigh (p99), with a cap. */
export const whiskerPlugin = {
  id: 'podipcWhiskers',
  afterDatasetsDraw(chart: WhiskerChart, _args: unknown, options: { enabled?: boolean }): void {
    if (!options || !options.enabled) return;
    const ctx = chart.ctx;
    ctx.save();
    // Whiskers at the same size would hide each other: spread them a few pixels apart.
    const visible = chart.data.datasets.map((_, i) => i).filter((i) => chart.isDatasetVisible(i));
    chart.data.datasets.forEach((ds, i) => {
      if (!chart.isDatasetVisible(i)) return;
      const meta = chart.getDatasetMeta(i);
      const scale = chart.scales[meta.yAxisID];
      if (!scale) return;
      const dx = (visible.indexOf(i) - (visible.length - 1) / 2) * 3;
      ctx.strokeStyle = ds.borderColor;
      ctx.lineWidth = 1.8;
      ctx.setLineDash([]);
      meta.data.forEach((pt, j) => {
        const raw = ds.data[j];
        if (!raw || raw.yHigh === undefined || raw.yHigh === null) return;
        const top = scale.getPixelForValue(raw.yHigh);
        const x = pt.x + dx;
        ctx.beginPath();
        ctx.moveTo(x, pt.y);
        ctx.lineTo(x, top);
        ctx.moveTo(x - 5, top);
        ctx.lineTo(x + 5, top);
        ctx.stroke();
      });
    });
    ctx.restore();
  },
};

/** Paints an opaque background: PNGs are otherwise transparent and unreadable on dark viewers. */
export const backgroundPlugin = {
  id: 'podipcBackground',
  beforeDraw(chart: { ctx: CanvasRenderingContext2D; width: number; height: number }, _args: unknown, options: { color?: string }): void {
    const ctx = chart.ctx;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = (options && options.color) || '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};
