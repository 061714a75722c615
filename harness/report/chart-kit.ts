/**
 * The chart renderer shared by the PNGs (render-png.ts, Chart.js on @napi-rs/canvas) and
 * report.html (Chart.js in the browser): the value formatters, the tick choice, the Chart.js
 * configuration of a panel, and the plugins (whiskers, paired-point connectors, point notes,
 * background).
 *
 * `chartKit` is written self-contained (no imports, no references to module scope: only
 * types, which compile away) because html.ts inlines its source text with
 * Function.prototype.toString: one implementation for both renderers, so a PNG and the
 * interactive chart cannot drift apart. test/report-charts.test.ts rebuilds it from its
 * source to keep it that way.
 */

/** How an axis's values are printed: every tick carries its unit, which switches with size. */
export type AxisUnit = 'ns' | 'bytes' | 'bytesPerSec' | 'msgsPerSec' | 'category';

export interface ChartAxis {
  label: string;
  unit: AxisUnit;
  /** Log scale (every value axis here); a category axis is linear over category indexes. */
  log: boolean;
  min: number;
  max: number;
  /** Exact tick positions (the measured sizes); otherwise 1-2-5 ticks between min and max. */
  ticks?: number[];
  /** Category names by index (unit 'category'). */
  categories?: string[];
}

export interface ChartPoint {
  x: number;
  y: number;
  /** Top of the whisker (p99 on latency charts); absent when too few samples back it. */
  yHigh?: number;
  /** Bottom of the whisker when it reaches below the point (p50 on the rate charts, whose point is the p99). */
  yLow?: number;
  /** Text drawn next to the point (mechanism names on scatter plots, "lost 67 %"). */
  note?: string;
  /** Share of messages lost or corrupted (percent): the point is drawn as a cross. */
  lossPct?: number;
  /** Extra tooltip lines. */
  detail?: string[];
}

export type Marker = 'circle' | 'rect' | 'triangle' | 'rectRot' | 'star';

export interface ChartSeries {
  label: string;
  color: string;
  /** Canvas line dash: [] solid. */
  dash: number[];
  marker: Marker;
  /** Join the points with a line (size sweeps) or not (scatter, paired points). */
  line: boolean;
  points: ChartPoint[];
}

export interface ChartPanel {
  title: string;
  x: ChartAxis;
  y: ChartAxis;
  series: ChartSeries[];
  /** Draw a whisker from y (or yLow) up to yHigh. */
  whiskers: boolean;
  /** Spread the series a little along the log x axis so their whiskers stay apart. */
  dodge: boolean;
  /** Join the points of one category across series (paired points: runtime vs runtime). */
  connect: boolean;
  /** Legend entries drawn as a line with its dash and marker (size sweeps) or as the marker alone. */
  legend: 'line' | 'marker' | 'none';
  /** Legend column width in px, the same for every panel of a figure so their plots line up. */
  legendWidth: number;
}

/** One figure: a header (title, subtitle lines, an optional warning) over a grid of panels. */
export interface ChartSpec {
  /** File stem of the PNG and id of the HTML figure: `latency-same-pod`. */
  id: string;
  title: string;
  subtitle: string[];
  /** Shown in red under the subtitle: a smoke budget, an interrupted run. */
  warning?: string;
  columns: number;
  panelWidth: number;
  panelHeight: number;
  headerHeight: number;
  /** PNG size: columns x panelWidth, headerHeight + rows x panelHeight. */
  width: number;
  height: number;
  panels: ChartPanel[];
}

/* eslint-disable @typescript-eslint/no-explicit-any */

/** Formatters, ticks, the Chart.js config of a panel, and the plugins. Self-contained (see above). */
export function chartKit() {
  /** Three significant digits, trailing zeros dropped: 20, 2.5, 0.125 -> 0.125, 1234 -> 1230. */
  const sig = (v: number): string => {
    if (v === 0) return '0';
    return String(Number(v.toPrecision(3)));
  };
  const scaled = (v: number, steps: Array<[number, string]>): string => {
    const a = Math.abs(v);
    for (const [factor, unit] of steps) {
      // Round first so 999.7 ns prints as "1 µs", not "1000 ns".
      if (a >= factor * 0.9995) return sig(v / factor) + unit;
    }
    const last = steps[steps.length - 1]!;
    return sig(v / last[0]) + last[1];
  };
  function formatValue(unit: AxisUnit, v: number, categories?: string[]): string {
    switch (unit) {
      case 'ns':
        return scaled(v, [
          [1e9, ' s'],
          [1e6, ' ms'],
          [1e3, ' µs'],
          [1, ' ns'],
        ]);
      case 'bytes':
        return scaled(v, [
          [1073741824, ' GiB'],
          [1048576, ' MiB'],
          [1024, ' KiB'],
          [1, ' B'],
        ]);
      case 'bytesPerSec':
        return scaled(v, [
          [1e9, ' GB/s'],
          [1e6, ' MB/s'],
          [1e3, ' kB/s'],
          [1, ' B/s'],
        ]);
      case 'msgsPerSec':
        return scaled(v, [
          [1e9, ' G msg/s'],
          [1e6, ' M msg/s'],
          [1e3, ' k msg/s'],
          [1, ' msg/s'],
        ]);
      case 'category':
        return (categories && categories[Math.round(v)]) || '';
    }
  }

  /**
   * Log-axis ticks, at most `maxCount`: 1-2-5 per decade, else 1-3, else one per decade,
   * else every other decade; 1-1.5-2-3-4-5-6-8 when the range is too narrow for three.
   */
  function logTicks(min: number, max: number, maxCount = 9): number[] {
    const within = (mantissas: number[]): number[] => {
      const out: number[] = [];
      for (let e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)) + 1; e++) {
        for (const m of mantissas) {
          const v = Number((m * Math.pow(10, e)).toPrecision(6));
          if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
        }
      }
      return out;
    };
    const choices = [within([1, 2, 5]), within([1, 3]), within([1])];
    let ticks = choices.find((t) => t.length <= maxCount) ?? choices[2]!.filter((v) => Math.round(Math.log10(v)) % 2 === 0);
    if (ticks.length < 3) {
      const dense = within([1, 1.5, 2, 3, 4, 5, 6, 8]);
      ticks = dense.length <= maxCount ? dense : within([1, 2, 3, 5]).length <= maxCount ? within([1, 2, 3, 5]) : ticks;
    }
    return ticks;
  }

  function axisTicks(axis: ChartAxis, maxCount = 9): Array<{ value: number; label: string }> {
    let values: number[];
    if (axis.ticks) values = axis.ticks;
    else if (axis.unit === 'category') values = (axis.categories || []).map((_, i) => i);
    else if (axis.log) values = logTicks(axis.min, axis.max, maxCount);
    else values = [axis.min, axis.max];
    return values.map((value) => ({ value, label: formatValue(axis.unit, value, axis.categories) }));
  }

  /** How many ticks an axis of a panel has room for (labels about 80 px wide, 26 px tall). */
  function tickRoom(panel: ChartPanel, width: number, height: number, which: 'x' | 'y'): number {
    const px = which === 'x' ? width - (panel.legend === 'none' ? 14 : panel.legendWidth) - (panel.y.unit === 'category' ? 130 : 80) : height - 90;
    const per = which === 'x' ? (panel.x.unit === 'msgsPerSec' ? 92 : 70) : 26;
    return Math.max(3, Math.min(9, Math.floor(px / per)));
  }

  /** "round trip, p50 (log)" -> "round trip, p50"; "CPU per round trip, client + server (log)" -> "CPU per round trip". */
  const axisName = (axis: ChartAxis): string => axis.label.replace(/\s*\(log\)$/, '').replace(/, client \+ server$/, '');
  const lossy = (p: { lossPct?: number } | undefined): boolean => !!p && p.lossPct !== undefined && p.lossPct !== null && p.lossPct > 0;

  /**
   * Multiplicative offsets along a log x axis, one per series: spreads the whiskers of one
   * message size over a third of the gap to the next size, centred on the true size.
   */
  function dodgeFactors(panel: ChartPanel): number[] {
    const n = panel.series.length;
    if (!panel.dodge || n < 2) return panel.series.map(() => 1);
    const xs = (panel.x.ticks || []).slice().sort((a, b) => a - b);
    let gap = 4; // octaves
    for (let i = 1; i < xs.length; i++) gap = Math.min(gap, Math.log2(xs[i]! / xs[i - 1]!));
    const step = (gap * 0.36) / (n - 1);
    return panel.series.map((_, i) => Math.pow(2, (i - (n - 1) / 2) * step));
  }

  function scaleOptions(axis: ChartAxis, reverse: boolean, maxTicks: number): any {
    const ticks = axisTicks(axis, maxTicks);
    const category = axis.unit === 'category';
    return {
      type: axis.log ? 'logarithmic' : 'linear',
      min: axis.min,
      max: axis.max,
      reverse,
      title: { display: !!axis.label, text: axis.label, font: { size: 13 }, color: '#222' },
      ticks: {
        color: '#333',
        font: { size: category ? 12 : 11.5 },
        autoSkip: false,
        maxRotation: 0,
        callback: (v: number) => {
          const t = ticks.find((x) => Math.abs(x.value - Number(v)) <= Math.abs(x.value) * 1e-9);
          return t ? t.label : '';
        },
      },
      afterBuildTicks: (scale: { ticks: Array<{ value: number }> }) => {
        scale.ticks = ticks.map((t) => ({ value: t.value }));
      },
      grid: { color: category ? '#f0f0f0' : '#e4e4e4' },
    };
  }

  /** Chart.js configuration of one panel. `interactive`: tooltips and resizing (report.html). */
  function panelConfig(panel: ChartPanel, width: number, height: number, interactive: boolean): any {
    const dodge = dodgeFactors(panel);
    const category = panel.y.unit === 'category';
    const datasets = panel.series.map((s, i) => {
      const data = s.points.map((p) => ({
        x: p.x * (dodge[i] as number),
        y: p.y,
        trueX: p.x,
        yHigh: p.yHigh,
        yLow: p.yLow,
        note: p.note,
        lossPct: p.lossPct,
        detail: p.detail,
      }));
      return {
        label: s.label,
        data,
        podipcMarker: s.marker,
        borderColor: s.color,
        backgroundColor: s.color,
        borderWidth: 2.2,
        borderDash: s.dash,
        showLine: s.line,
        tension: 0,
        clip: false,
        pointStyle: data.map((p) => (lossy(p) ? 'crossRot' : s.marker)),
        pointRadius: data.map((p) => (lossy(p) ? 7 : s.line ? 3.5 : 5)),
        pointHoverRadius: data.map((p) => (lossy(p) ? 9 : 7)),
        pointBorderWidth: data.map((p) => (lossy(p) ? 2.6 : 1)),
        pointBorderColor: s.color,
        pointBackgroundColor: data.map((p) => (lossy(p) ? '#ffffff' : s.color)),
        // A segment touching a lossy point is drawn faint and dotted: its value is goodput
        // from a mechanism that dropped messages, not a line to read like the others.
        segment: {
          borderDash: (ctx: { p0DataIndex: number; p1DataIndex: number }) =>
            lossy(data[ctx.p0DataIndex]) || lossy(data[ctx.p1DataIndex]) ? [2, 4] : undefined,
          borderColor: (ctx: { p0DataIndex: number; p1DataIndex: number }) =>
            lossy(data[ctx.p0DataIndex]) || lossy(data[ctx.p1DataIndex]) ? s.color + '99' : undefined,
        },
      };
    });
    return {
      type: 'scatter',
      data: { datasets },
      options: {
        animation: false,
        responsive: !!interactive,
        maintainAspectRatio: true,
        aspectRatio: width / height,
        devicePixelRatio: interactive ? undefined : 1,
        interaction: category ? { mode: 'nearest', intersect: true } : { mode: 'nearest', intersect: false },
        layout: { padding: { top: 2, right: panel.legend === 'none' ? 14 : panel.legendWidth, bottom: 2, left: 4 } },
        plugins: {
          title: { display: !!panel.title, text: panel.title, font: { size: 14, weight: 'bold' }, color: '#222', padding: { top: 6, bottom: 4 } },
          legend: { display: false },
          podipcLegend: { mode: panel.legend, width: panel.legendWidth },
          tooltip: {
            enabled: !!interactive,
            callbacks: {
              title: (items: Array<{ raw: any; dataset: any }>) => {
                if (!items.length) return '';
                const raw = items[0]!.raw;
                if (category) return formatValue('category', raw.y, panel.y.categories);
                if (panel.x.unit === 'bytes') return formatValue('bytes', raw.trueX);
                return raw.note || items[0]!.dataset.label;
              },
              label: (item: { dataset: { label: string }; raw: any }) => {
                const r = item.raw;
                const p99 = r.yHigh !== undefined && r.yHigh !== null ? ' (p99 ' + formatValue(panel.y.unit, r.yHigh) + ')' : '';
                // Size sweeps and paired points: one value. Scatter: both axes, one line each.
                const lines =
                  category || panel.x.unit === 'bytes'
                    ? [item.dataset.label + ': ' + formatValue(category ? panel.x.unit : panel.y.unit, category ? r.trueX : r.y) + p99]
                    : [axisName(panel.y) + ': ' + formatValue(panel.y.unit, r.y), axisName(panel.x) + ': ' + formatValue(panel.x.unit, r.trueX)];
                if (lossy(r)) lines.push('lost or corrupt: ' + sig(r.lossPct) + ' % of messages');
                return lines.concat(r.detail || []);
              },
            },
          },
          podipcWhiskers: { enabled: panel.whiskers },
          podipcConnect: { enabled: panel.connect },
          podipcNotes: { enabled: true, connect: panel.connect },
          podipcBackground: { color: '#ffffff' },
        },
        scales: {
          x: scaleOptions(panel.x, false, tickRoom(panel, width, height, 'x')),
          y: scaleOptions(panel.y, category, tickRoom(panel, width, height, 'y')),
        },
      },
    };
  }

  interface Meta {
    data: Array<{ x: number; y: number; skip?: boolean }>;
  }
  interface AnyChart {
    ctx: CanvasRenderingContext2D;
    width: number;
    height: number;
    chartArea: { left: number; right: number; top: number; bottom: number };
    data: { datasets: Array<{ data: Array<any>; borderColor: string }> };
    isDatasetVisible(i: number): boolean;
    getDatasetMeta(i: number): Meta;
    scales: Record<string, { getPixelForValue(v: number): number }>;
  }
  const visiblePoints = (chart: AnyChart): Array<{ ds: number; i: number; x: number; y: number; raw: any }> => {
    const out: Array<{ ds: number; i: number; x: number; y: number; raw: any }> = [];
    chart.data.datasets.forEach((ds, d) => {
      if (!chart.isDatasetVisible(d)) return;
      chart.getDatasetMeta(d).data.forEach((pt, i) => {
        if (pt && Number.isFinite(pt.x) && Number.isFinite(pt.y)) out.push({ ds: d, i, x: pt.x, y: pt.y, raw: ds.data[i] });
      });
    });
    return out;
  };

  /**
   * A vertical whisker from each point (p50) up to its yHigh (p99), with a cap; under the
   * points. A point with a yLow (the rate charts: point p99, whisker p50 to p99.9) has the
   * whisker start there, capped too.
   */
  const whiskerPlugin = {
    id: 'podipcWhiskers',
    beforeDatasetsDraw(chart: AnyChart, _args: unknown, options: { enabled?: boolean }): void {
      if (!options || !options.enabled) return;
      const ctx = chart.ctx;
      const scale = chart.scales.y!;
      ctx.save();
      ctx.setLineDash([]);
      ctx.lineWidth = 1.6;
      ctx.globalAlpha = 0.8;
      for (const p of visiblePoints(chart)) {
        if (!p.raw || p.raw.yHigh === undefined || p.raw.yHigh === null) continue;
        const top = scale.getPixelForValue(p.raw.yHigh);
        const low = p.raw.yLow !== undefined && p.raw.yLow !== null;
        const bottom = low ? scale.getPixelForValue(p.raw.yLow) : p.y;
        ctx.strokeStyle = chart.data.datasets[p.ds]!.borderColor;
        ctx.beginPath();
        ctx.moveTo(p.x, bottom);
        ctx.lineTo(p.x, top);
        ctx.moveTo(p.x - 3.5, top);
        ctx.lineTo(p.x + 3.5, top);
        if (low) {
          ctx.moveTo(p.x - 3.5, bottom);
          ctx.lineTo(p.x + 3.5, bottom);
        }
        ctx.stroke();
      }
      ctx.restore();
    },
  };

  /** Paired points: a grey bar joins the values of one category (e.g. Node and native). */
  const connectPlugin = {
    id: 'podipcConnect',
    beforeDatasetsDraw(chart: AnyChart, _args: unknown, options: { enabled?: boolean }): void {
      if (!options || !options.enabled) return;
      const rows = new Map<number, { min: number; max: number; y: number }>();
      for (const p of visiblePoints(chart)) {
        const key = Math.round(p.raw.y);
        const r = rows.get(key) || { min: p.x, max: p.x, y: p.y };
        r.min = Math.min(r.min, p.x);
        r.max = Math.max(r.max, p.x);
        rows.set(key, r);
      }
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = '#9a9a9a';
      ctx.lineWidth = 3;
      ctx.setLineDash([]);
      rows.forEach((r) => {
        if (r.max - r.min < 1) return;
        ctx.beginPath();
        ctx.moveTo(r.min, r.y);
        ctx.lineTo(r.max, r.y);
        ctx.stroke();
      });
      ctx.restore();
    },
  };

  /**
   * Notes next to points, placed greedily: each takes the first of eight spots around its
   * point that overlaps no marker, no earlier note and stays inside the plot; when none is
   * free, the spot that overlaps least. Text has a white halo so grid lines do not cut it.
   */
  const notesPlugin = {
    id: 'podipcNotes',
    afterDatasetsDraw(chart: AnyChart, _args: unknown, options: { enabled?: boolean; connect?: boolean }): void {
      if (!options || !options.enabled) return;
      const points = visiblePoints(chart);
      const notes = points.filter((p) => p.raw && p.raw.note);
      if (!notes.length) return;
      const ctx = chart.ctx;
      const area = chart.chartArea;
      ctx.save();
      ctx.font = '11px sans-serif';
      ctx.textBaseline = 'middle';
      const boxes: Array<{ l: number; t: number; r: number; b: number; own?: unknown }> = points.map((p) => ({ l: p.x - 6, t: p.y - 6, r: p.x + 6, b: p.y + 6, own: p.raw }));
      // Paired points: the bar joining a row is taken too, so a ratio sits beyond its ends.
      if (options.connect) {
        const rows = new Map<number, { l: number; r: number; y: number }>();
        for (const p of points) {
          const key = Math.round(p.raw.y);
          const row = rows.get(key) || { l: p.x, r: p.x, y: p.y };
          row.l = Math.min(row.l, p.x);
          row.r = Math.max(row.r, p.x);
          rows.set(key, row);
        }
        rows.forEach((row) => boxes.push({ l: row.l, t: row.y - 3, r: row.r, b: row.y + 3 }));
      }
      // Two pixels of margin around every box, so neighbouring notes never touch.
      const overlap = (a: { l: number; t: number; r: number; b: number }, b: { l: number; t: number; r: number; b: number }): number =>
        Math.max(0, Math.min(a.r, b.r) - Math.max(a.l, b.l) + 4) * Math.max(0, Math.min(a.b, b.b) - Math.max(a.t, b.t) + 2);
      for (const p of notes) {
        const text = String(p.raw.note);
        const w = ctx.measureText(text).width;
        const h = 12;
        // Eight spots around the point, then the same farther out (joined by a leader line).
        const spots: Array<[number, number, boolean]> = [];
        for (const d of [9, 22, 36]) {
          spots.push(
            [d, -h / 2, d > 9],
            [-d - w, -h / 2, d > 9],
            [-w / 2, -d - h + 2, d > 9],
            [-w / 2, d - 2, d > 9],
            [d - 3, -d - h + 4, d > 9],
            [d - 3, d - 4, d > 9],
            [-d - w + 3, -d - h + 4, d > 9],
            [-d - w + 3, d - 4, d > 9],
          );
        }
        let best: { l: number; t: number; r: number; b: number } | undefined;
        let bestLeader = false;
        let bestCost = Infinity;
        for (const [dx, dy, leader] of spots) {
          const box = { l: p.x + dx, t: p.y + dy, r: p.x + dx + w, b: p.y + dy + h };
          const outside = box.l < area.left || box.r > area.right + 12 || box.t < area.top - 4 || box.b > area.bottom + 4 ? 1e6 : 0;
          // A far spot costs a little, so a near one wins when both are free.
          // The note's own marker does not count: the near spots sit just beside it.
          const cost = outside + boxes.reduce((sum, b) => sum + (b.own === p.raw ? 0 : overlap(box, b)), 0) + (leader ? 0.5 : 0);
          if (cost < bestCost) {
            bestCost = cost;
            best = box;
            bestLeader = leader;
          }
          if (cost === 0) break;
        }
        if (!best) continue;
        boxes.push(best);
        if (bestLeader) {
          const cx = Math.max(best.l, Math.min(p.x, best.r));
          const cy = Math.max(best.t, Math.min(p.y, best.b));
          ctx.strokeStyle = '#888';
          ctx.lineWidth = 0.8;
          const len = Math.hypot(cx - p.x, cy - p.y) || 1;
          ctx.beginPath();
          ctx.moveTo(p.x + ((cx - p.x) / len) * 6, p.y + ((cy - p.y) / len) * 6);
          ctx.lineTo(cx, cy);
          ctx.stroke();
        }
        ctx.lineWidth = 3;
        ctx.strokeStyle = 'rgba(255,255,255,0.92)';
        ctx.lineJoin = 'round';
        ctx.strokeText(text, best.l, (best.t + best.b) / 2);
        ctx.fillStyle = lossy(p.raw) ? '#b00020' : '#222';
        ctx.fillText(text, best.l, (best.t + best.b) / 2);
      }
      ctx.restore();
    },
  };


  function drawMarker(ctx: CanvasRenderingContext2D, marker: string, x: number, y: number, r: number, color: string, hollow: boolean): void {
    ctx.save();
    ctx.setLineDash([]);
    ctx.fillStyle = hollow ? '#ffffff' : color;
    ctx.strokeStyle = color;
    ctx.lineWidth = hollow ? 2.4 : 1;
    ctx.beginPath();
    if (marker === 'rect') ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
    else if (marker === 'triangle') {
      ctx.moveTo(x, y - r * 1.1);
      ctx.lineTo(x + r, y + r * 0.75);
      ctx.lineTo(x - r, y + r * 0.75);
      ctx.closePath();
    } else if (marker === 'rectRot') {
      ctx.moveTo(x, y - r * 1.15);
      ctx.lineTo(x + r * 1.15, y);
      ctx.lineTo(x, y + r * 1.15);
      ctx.lineTo(x - r * 1.15, y);
      ctx.closePath();
    } else if (marker === 'star') {
      for (let k = 0; k < 10; k++) {
        const a = (Math.PI / 5) * k - Math.PI / 2;
        const rr = k % 2 ? r * 0.5 : r * 1.2;
        if (k) ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
        else ctx.moveTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
      }
      ctx.closePath();
    } else if (marker === 'crossRot') {
      ctx.moveTo(x - r, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.moveTo(x + r, y - r);
      ctx.lineTo(x - r, y + r);
      ctx.stroke();
      ctx.restore();
      return;
    } else ctx.arc(x, y, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
    ctx.restore();
  }

  /**
   * The legend, drawn in the right padding the config reserves (Chart.js's own legend sizes
   * itself to its labels, so panels of one figure would not line up). Entries show the line
   * with its dash and the marker; clicking one hides or shows its series (report.html).
   */
  const legendPlugin = {
    id: 'podipcLegend',
    afterDraw(chart: AnyChart & { $podipcLegend?: Array<{ l: number; t: number; r: number; b: number; i: number }> }, _args: unknown, options: { mode?: string; width?: number }): void {
      if (!options || !options.mode || options.mode === 'none') return;
      const ctx = chart.ctx;
      const area = chart.chartArea;
      const datasets = chart.data.datasets as Array<any>;
      const rowPx = 19;
      const left = chart.width - (options.width || 160) + 12;
      let y = Math.max(area.top + 6, (area.top + area.bottom) / 2 - (datasets.length * rowPx) / 2);
      const boxes: Array<{ l: number; t: number; r: number; b: number; i: number }> = [];
      ctx.save();
      ctx.font = '12px sans-serif';
      ctx.textBaseline = 'middle';
      datasets.forEach((ds, i) => {
        const hidden = !chart.isDatasetVisible(i);
        const anyLossy = ds.data.some((p: any) => lossy(p));
        ctx.globalAlpha = hidden ? 0.35 : 1;
        let textX = left + 18;
        if (options.mode === 'line') {
          ctx.strokeStyle = ds.borderColor;
          ctx.lineWidth = 2.4;
          ctx.setLineDash(ds.borderDash || []);
          ctx.beginPath();
          ctx.moveTo(left, y);
          ctx.lineTo(left + 30, y);
          ctx.stroke();
          drawMarker(ctx, ds.podipcMarker, left + 15, y, 3.5, ds.borderColor, false);
          textX = left + 38;
        } else drawMarker(ctx, ds.podipcMarker, left + 6, y, 5, ds.borderColor, false);
        ctx.fillStyle = '#222';
        // A size sweep's series is one mechanism: say it lost messages. In paired points a
        // series is a runtime or placement, and the crosses speak for each row.
        const text = ds.label + (anyLossy && options.mode === 'line' ? ' (lossy: ×)' : '');
        ctx.fillText(text, textX, y);
        if (hidden) {
          ctx.fillRect(textX, y, ctx.measureText(text).width, 1);
        }
        boxes.push({ l: left - 4, t: y - rowPx / 2, r: chart.width, b: y + rowPx / 2, i });
        y += rowPx;
      });
      ctx.restore();
      chart.$podipcLegend = boxes;
    },
    afterEvent(chart: AnyChart & { $podipcLegend?: Array<{ l: number; t: number; r: number; b: number; i: number }>; setDatasetVisibility(i: number, v: boolean): void; update(): void }, args: { event: { type: string; x: number; y: number } }): void {
      const e = args.event;
      if (e.type !== 'click' || !chart.$podipcLegend) return;
      const hit = chart.$podipcLegend.find((b) => e.x >= b.l && e.x <= b.r && e.y >= b.t && e.y <= b.b);
      if (!hit) return;
      chart.setDatasetVisibility(hit.i, !chart.isDatasetVisible(hit.i));
      chart.update();
    },
  };

  /** Paints an opaque background: PNGs are otherwise transparent and unreadable on dark viewers. */
  const backgroundPlugin = {
    id: 'podipcBackground',
    beforeDraw(chart: AnyChart, _args: unknown, options: { color?: string }): void {
      const ctx = chart.ctx;
      ctx.save();
      ctx.globalCompositeOperation = 'destination-over';
      ctx.fillStyle = (options && options.color) || '#ffffff';
      ctx.fillRect(0, 0, chart.width, chart.height);
      ctx.restore();
    },
  };

  return { formatValue, logTicks, axisTicks, tickRoom, dodgeFactors, panelConfig, plugins: [backgroundPlugin, whiskerPlugin, connectPlugin, notesPlugin, legendPlugin], drawMarker };
}

export type ChartKit = ReturnType<typeof chartKit>;
