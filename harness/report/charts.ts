/**
 * The report's charts as pure data built from results.json (ChartSpec: a figure of panels),
 * rendered identically to PNG (render-png.ts) and in report.html by chart-kit.ts.
 *
 * What a reader should get from them, and how:
 * - few lines per panel: size sweeps are small multiples, one panel per family (loopback
 *   network, shared volume, IPC namespace; a family of more than six lines is split between
 *   its mechanisms) on one shared y range, so panels compare by eye;
 * - units that switch: every tick carries its unit (3 µs, 1 ms; 64 B, 1 MiB; 200 k msg/s);
 * - whiskers (p50 to p99) of one size spread sideways so they never merge, and left out
 *   where too few round trips back a p99;
 * - family by colour and marker: each family owns a band of hues and a marker shape, a
 *   mechanism keeps its colour in every chart, and variants of one mechanism share its hue
 *   with a different dash;
 * - lossy cases marked: a point whose messages were lost or corrupted is a cross with
 *   "lost N %" beside it, and its segments are dotted (udp's goodput is not a clean line);
 * - the trade-off: p50 round trip against CPU per round trip (client + server), per size;
 * - comparisons when the file has them: Node vs native and placement vs placement, as paired
 *   points per size;
 * - latency under load, when the rate probe ran at fixed rates: per message size, the
 *   response time against the target rate (log), one line per mechanism and runtime, the
 *   same family panels; the dot is the p99, the whisker spans p50 to p99.9, and a rate the
 *   run did not hold (the client fell behind, the achieved rate short of the target) is
 *   marked at its point.
 */
import { mechanismLabel, RUNTIMES, type PlacementId, type RuntimeId, type Topology } from '../../core/vocabulary.js';
import { placementsOf, type CaseResult, type ResultFile } from '../../core/results.js';
import { formatBytes, formatRate, formatUs } from './format.js';
import { FAMILIES, FAMILY_TEXT, familyLookup, type Family, type FamilyLookup } from './families.js';
import type { AxisUnit, ChartAxis, ChartPanel, ChartPoint, ChartSeries, ChartSpec, Marker } from './chart-kit.js';

export type { ChartAxis, ChartPanel, ChartPoint, ChartSeries, ChartSpec } from './chart-kit.js';

/** Figure geometry: a 1200 px wide PNG stays readable when GitHub scales it to its column. */
export const FIGURE_WIDTH_PX = 1200;
const LINE_PANEL_HEIGHT_PX = 380;
const GRID_PANEL_HEIGHT_PX = 440;
const SPARSE_PANEL_HEIGHT_PX = 340;
const HEADER_LINE_PX = 17;

/** p99 from fewer round trips than this is about the slowest one: no whisker is drawn. */
export const MIN_SAMPLES_FOR_P99 = 100;

const TOPOLOGY_TEXT: Record<Topology, string> = { 'same-pod': 'same pod', 'cross-pod': 'cross pod' };

/** Hue bands per family (HSL degrees; IPC wraps through red) and the marker of each family. */
const FAMILY_STYLE: Record<Family, { hueFrom: number; hueTo: number; marker: Marker }> = {
  'loopback-network': { hueFrom: 190, hueTo: 270, marker: 'circle' },
  'shared-volume': { hueFrom: 55, hueTo: 180, marker: 'rect' },
  'ipc-namespace': { hueFrom: -110, hueTo: 45, marker: 'triangle' },
  other: { hueFrom: 0, hueTo: 0, marker: 'rectRot' },
};
/** Variants of one mechanism: same hue, different dash and lightness. */
const VARIANT_DASH: number[][] = [[], [8, 4], [2, 3], [10, 3, 2, 3]];
const VARIANT_LIGHTNESS = [40, 50, 31, 45];

/** Values of a compared dimension (runtime, placement): distinct colours and markers. */
const COMPARE_STYLE: Array<{ color: string; marker: Marker }> = [
  { color: '#1f5fa8', marker: 'circle' },
  { color: '#d1495b', marker: 'rectRot' },
  { color: '#2a9d8f', marker: 'triangle' },
  { color: '#e09f3e', marker: 'rect' },
  { color: '#6c4f9c', marker: 'star' },
];

function hslHex(hue: number, saturation: number, lightness: number): string {
  const h = ((hue % 360) + 360) % 360;
  const s = saturation / 100;
  const l = lightness / 100;
  const k = (n: number): number => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return '#' + [f(0), f(8), f(4)].map((v) => Math.round(v * 255).toString(16).padStart(2, '0')).join('');
}

export interface MechanismStyle {
  family: Family;
  color: string;
  dash: number[];
  marker: Marker;
}

/**
 * Style of every mechanism label in the file: hues spread over the family's band in registry
 * order, variants of one mechanism on its hue. One map per report, so a mechanism looks the
 * same in every chart.
 */
export function mechanismStyles(results: ResultFile, families: FamilyLookup = familyLookup()): Map<string, MechanismStyle> {
  const out = new Map<string, MechanismStyle>();
  for (const family of FAMILIES) {
    const cases = results.cases.filter((c) => families.family(c) === family);
    const mechs = [...new Set(cases.map((c) => c.mechanism))].sort((a, b) => families.order(a) - families.order(b) || (a < b ? -1 : a > b ? 1 : 0));
    const band = FAMILY_STYLE[family];
    mechs.forEach((mech, k) => {
      const hue = band.hueFrom + ((band.hueTo - band.hueFrom) * (k + 0.5)) / mechs.length;
      const variants = [...new Set(cases.filter((c) => c.mechanism === mech).map((c) => c.variant ?? ''))].sort();
      variants.forEach((variant, v) => {
        out.set(mechanismLabel({ mechanism: mech, variant: variant || undefined }), {
          family,
          // Neighbouring hues of one band alternate darker and lighter, so they separate.
          color:
            family === 'other'
              ? hslHex(0, 0, 35 + 10 * (k % 3))
              : hslHex(hue, 75, VARIANT_LIGHTNESS[v % VARIANT_LIGHTNESS.length]! + (k % 2 ? 6 : -4)),
          dash: VARIANT_DASH[v % VARIANT_DASH.length]!,
          marker: band.marker,
        });
      });
    });
  }
  return out;
}

/** Percent of sent messages lost or corrupted, 0 when clean or not recorded. */
export function lossPercent(c: CaseResult): number {
  const i = c.integrity;
  if (!i || i.sent <= 0) return 0;
  return ((i.lost + i.corrupt) / i.sent) * 100;
}

function lossNote(c: CaseResult): string | undefined {
  const pct = lossPercent(c);
  if (pct <= 0) return undefined;
  return `lost ${pct >= 10 ? Math.round(pct) : Number(pct.toPrecision(2))} %`;
}

/**
 * The runtime and placement the size sweeps of a topology draw (one line per mechanism):
 * Node when it measured anything, and the first placement, in run order, with ok cases of
 * that topology (the process placement has no second pod: cross-pod comes from the next).
 * Comparisons across runtimes and placements have figures of their own.
 */
export function charted(results: ResultFile, topology?: Topology): { placement: PlacementId; runtime: RuntimeId } {
  const ok = results.cases.filter((c) => c.status === 'ok');
  const runtime: RuntimeId = ok.some((c) => c.runtime === 'node') || !ok.length ? 'node' : 'native';
  const placements = placementsOf(results);
  const has = (p: PlacementId): boolean => ok.some((c) => c.placement === p && c.runtime === runtime && (topology === undefined || c.topology === topology));
  const placement = placements.find(has) ?? placements.find((p) => ok.some((c) => c.placement === p && c.runtime === runtime)) ?? placements[0]!;
  return { placement, runtime };
}

interface Slice {
  probe: CaseResult['probe'];
  topology: Topology;
  runtime?: RuntimeId;
  placement?: PlacementId;
}

/** Only ok cases: a failed case's aggregate covers a subset of runs and would look better than it is. */
function okCases(results: ResultFile, s: Slice): CaseResult[] {
  return results.cases.filter(
    (c) =>
      c.status === 'ok' &&
      c.probe === s.probe &&
      c.topology === s.topology &&
      (s.runtime === undefined || c.runtime === s.runtime) &&
      (s.placement === undefined || c.placement === s.placement),
  );
}

const cpuNsPerMsg = (c: CaseResult): number | undefined => (c.cpu && c.cpu.clientUsPerMsg + c.cpu.serverUsPerMsg > 0 ? (c.cpu.clientUsPerMsg + c.cpu.serverUsPerMsg) * 1e3 : undefined);

function cpuDetail(c: CaseResult, per: string): string[] {
  return c.cpu ? [`CPU per ${per}: ${formatUs(c.cpu.clientUsPerMsg)} client + ${formatUs(c.cpu.serverUsPerMsg)} server`] : [];
}

/** What a size sweep plots for a case: x is the message size. */
interface Metric {
  unit: AxisUnit;
  axisLabel: string;
  point(c: CaseResult): ChartPoint | undefined;
}

const LATENCY: Metric = {
  unit: 'ns',
  axisLabel: 'round trip, p50 (log)',
  point: (c) => {
    const l = c.latencyNs;
    if (!l || l.p50 <= 0) return undefined;
    const p99Trusted = c.samples === undefined || c.samples >= MIN_SAMPLES_FOR_P99;
    return {
      x: c.messageBytes,
      y: l.p50,
      ...(p99Trusted && l.p99 > 0 ? { yHigh: l.p99 } : {}),
      ...withLoss(c),
      detail: [...(c.samples !== undefined ? [`${c.samples} round trips`] : []), ...cpuDetail(c, 'round trip')],
    };
  },
};

const THROUGHPUT: Metric = {
  unit: 'bytesPerSec',
  axisLabel: 'delivered bytes/s (log)',
  point: (c) => {
    const t = c.throughput;
    if (!t || t.bytesPerSec <= 0) return undefined;
    return { x: c.messageBytes, y: t.bytesPerSec, ...withLoss(c), detail: [formatRate(t.msgsPerSec), ...cpuDetail(c, 'message')] };
  },
};

const CPU: Metric = {
  unit: 'ns',
  axisLabel: 'CPU per message, client + server (log)',
  point: (c) => {
    const y = cpuNsPerMsg(c);
    return y === undefined ? undefined : { x: c.messageBytes, y, ...withLoss(c), detail: cpuDetail(c, 'message') };
  },
};

function withLoss(c: CaseResult): Pick<ChartPoint, 'lossPct' | 'note'> {
  const note = lossNote(c);
  return note ? { lossPct: lossPercent(c), note } : {};
}

/** The subtitle's key to the lossy mark, when a panel has one. */
function lossKey(panels: Array<Pick<ChartPanel, 'series'>>, how = ''): string {
  const any = panels.some((p) => p.series.some((s) => s.points.some((x) => (x.lossPct ?? 0) > 0)));
  return any ? `; ×: messages lost or corrupted${how ? ` ${how}` : ''}` : '';
}

function byLabel(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One series per mechanism label, in the style map's order (registry order, family by family). */
function sweepSeries(cases: CaseResult[], metric: Metric, styles: Map<string, MechanismStyle>, suffix = '', dash?: number[]): ChartSeries[] {
  const points = new Map<string, ChartPoint[]>();
  for (const c of cases) {
    const p = metric.point(c);
    if (!p) continue;
    const label = mechanismLabel(c);
    points.set(label, [...(points.get(label) ?? []), p]);
  }
  const order = [...styles.keys()];
  return [...points.entries()]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b) || byLabel(a, b))
    .map(([label, pts]) => {
      const st = styles.get(label);
      return {
        label: label + suffix,
        color: st?.color ?? '#555555',
        dash: dash ?? st?.dash ?? [],
        marker: st?.marker ?? 'rectRot',
        line: true,
        points: pts.sort((a, b) => a.x - b.x),
      };
    });
}

/** Log-axis bounds that leave room for the whiskers and the outermost markers. */
function logBounds(values: number[], pad = 1.35): { min: number; max: number } {
  const v = values.filter((x) => x > 0 && Number.isFinite(x));
  if (!v.length) return { min: 1, max: 10 };
  return { min: Math.min(...v) / pad, max: Math.max(...v) * pad };
}

function sizesOf(series: ChartSeries[]): number[] {
  return [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
}

function headerHeight(subtitle: string[], warning: string | undefined): number {
  return 36 + HEADER_LINE_PX * (subtitle.length + (warning ? 1 : 0)) + 6;
}

/** Legend column wide enough for the longest entry of any panel (about 7 px a character at 12 px). */
function withLegendWidth(panels: Array<Omit<ChartPanel, 'legendWidth'>>): ChartPanel[] {
  const chars = Math.max(0, ...panels.flatMap((p) => p.series.map((s) => s.label.length + (p.legend === 'line' && s.points.some((x) => (x.lossPct ?? 0) > 0) ? 11 : 0))));
  return panels.map((p) => ({ ...p, legendWidth: p.legend === 'none' ? 0 : Math.ceil(chars * 7 + (p.legend === 'line' ? 58 : 36)) }));
}

/** Subtitle lines split at "; " so none is wider than the figure (about 6.6 px a character). */
function wrapLines(lines: string[], widthPx: number): string[] {
  const max = Math.floor((widthPx - 40) / 6.6);
  return lines.flatMap((line) => {
    if (line.length <= max) return [line];
    const out: string[] = [];
    let cur = '';
    for (const part of line.split('; ')) {
      const next = cur ? `${cur}; ${part}` : part;
      if (next.length > max && cur) {
        out.push(cur + ';');
        cur = part;
      } else cur = next;
    }
    if (cur) out.push(cur);
    return out;
  });
}

function figure(id: string, title: string, subtitleLines: string[], warning: string | undefined, columns: number, panelHeight: number, panelsIn: Array<Omit<ChartPanel, 'legendWidth'>>): ChartSpec {
  const panels = withLegendWidth(panelsIn);
  const subtitle = wrapLines(subtitleLines, FIGURE_WIDTH_PX);
  const cols = Math.min(columns, panels.length);
  const panelWidth = Math.floor(FIGURE_WIDTH_PX / cols);
  const head = headerHeight(subtitle, warning);
  const rows = Math.ceil(panels.length / cols);
  return {
    id,
    title,
    subtitle,
    ...(warning ? { warning } : {}),
    columns: cols,
    panelWidth,
    panelHeight,
    headerHeight: head,
    width: panelWidth * cols,
    height: head + rows * panelHeight,
    panels,
  };
}

function envLine(results: ResultFile): string {
  const e = results.env;
  return `${e.cpuModel}, ${e.cores} cores, kernel ${e.kernel}, Node ${e.nodeVersion}, podipc ${results.tool.version} (${results.tool.gitCommit.slice(0, 12)})`;
}

/** Shown in red on every figure: numbers nobody should decide on. */
function warningOf(results: ResultFile): string | undefined {
  const w: string[] = [];
  if (results.config.quick) w.push(`quick run (smoke budget: ${results.config.runs} runs of ${results.config.measureMs} ms): do not decide on these numbers`);
  if (results.interrupted) w.push('interrupted run: some cases are missing');
  return w.length ? w.join('; ') : undefined;
}

/** More lines than this in one panel and they stop being lines a reader can follow. */
export const MAX_SERIES_PER_PANEL = 6;

/**
 * Items (mechanism labels) split into as few panels as keep each at MAX_SERIES_PER_PANEL or
 * under, contiguous in registry order, never parting the variants of one mechanism, the
 * largest panel as small as it can be (ties: the earlier panel smaller).
 */
export function splitPanels<T>(items: T[], groupOf: (item: T) => string): T[][] {
  const groups: T[][] = [];
  for (const s of items) {
    const last = groups[groups.length - 1];
    if (last && groupOf(last[0]!) === groupOf(s)) last.push(s);
    else groups.push([s]);
  }
  const size = (gs: T[][]): number => gs.reduce((n, g) => n + g.length, 0);
  if (size(groups) <= MAX_SERIES_PER_PANEL || groups.length < 2) return [items];
  for (let k = Math.ceil(size(groups) / MAX_SERIES_PER_PANEL); k <= groups.length; k++) {
    // Every way to cut the groups into k contiguous runs (a family has few mechanisms: brute force is fine).
    let best: T[][][] | undefined;
    const cuts = (from: number, left: number, acc: T[][][]): void => {
      if (left === 1) {
        const all = [...acc, groups.slice(from)];
        const worst = Math.max(...all.map(size));
        if (worst > MAX_SERIES_PER_PANEL) return;
        const bestWorst = best ? Math.max(...best.map(size)) : Infinity;
        if (worst < bestWorst || (worst === bestWorst && size(all[0]!) < size(best![0]!))) best = all;
        return;
      }
      for (let end = from + 1; end <= groups.length - left + 1; end++) cuts(end, left - 1, [...acc, groups.slice(from, end)]);
    };
    cuts(0, k, []);
    if (best) return best.map((run) => run.flat());
  }
  return groups;
}

interface PanelPlan {
  family: Family;
  labels: Set<string>;
  /** The family needed more than one panel: titles name the mechanisms. */
  split: boolean;
}

/** The size sweeps' panels for the whole report, so a mechanism sits in the same panel in every figure. */
function panelPlan(results: ResultFile, styles: Map<string, MechanismStyle>): PanelPlan[] {
  const mechanismOf = new Map(results.cases.map((c) => [mechanismLabel(c), c.mechanism]));
  return FAMILIES.flatMap((family) => {
    const labels = [...styles.entries()].filter(([, st]) => st.family === family).map(([l]) => l);
    if (!labels.length) return [];
    const parts = splitPanels(labels, (l) => mechanismOf.get(l) ?? l);
    return parts.map((part) => ({
      family,
      labels: new Set(part),
      split: parts.length > 1,
    }));
  });
}

/** A size sweep as small multiples: one panel per family present, on one shared y range. */
function sweepFigure(
  results: ResultFile,
  id: string,
  title: string,
  what: string,
  metric: Metric,
  cases: CaseResult[],
  styles: Map<string, MechanismStyle>,
  plan: PanelPlan[],
  whiskers: boolean,
): ChartSpec | undefined {
  const perFamily = plan
    .map((part) => {
      const inPart = cases.filter((c) => part.labels.has(mechanismLabel(c)));
      const series = sweepSeries(inPart, metric, styles);
      const mechanisms = [...new Set(series.map((x) => inPart.find((c) => mechanismLabel(c) === x.label)!.mechanism))];
      return { series, title: part.split ? `${FAMILY_TEXT[part.family]}: ${mechanisms.join(', ')}` : `${FAMILY_TEXT[part.family]} (${series.length})` };
    })
    .filter((p) => p.series.length);
  if (!perFamily.length) return undefined;
  const all = perFamily.flatMap((f) => f.series);
  const sizes = sizesOf(all);
  const y = logBounds(all.flatMap((s) => s.points.flatMap((p) => [p.y, p.yHigh ?? 0])));
  const x: ChartAxis = { label: 'message size (log)', unit: 'bytes', log: true, min: sizes[0]! / 1.7, max: sizes[sizes.length - 1]! * 1.7, ticks: sizes };
  const panels: Array<Omit<ChartPanel, 'legendWidth'>> = perFamily.map((f) => ({
    title: f.title,
    x,
    y: { label: metric.axisLabel, unit: metric.unit, log: true, ...y },
    series: f.series,
    whiskers,
    dodge: whiskers,
    connect: false,
    legend: 'line',
  }));
  return figure(id, title, [what + lossKey(panels, '(goodput, dotted)'), envLine(results)], warningOf(results), 1, LINE_PANEL_HEIGHT_PX, panels);
}

const RATE_PANEL_HEIGHT_PX = 340;
const RUNTIME_DASH: Record<RuntimeId, number[] | undefined> = { node: undefined, native: [7, 4] };

/** Why a rate point is not a rate the mechanism held, for its note; undefined when it held. */
function rateNotHeld(c: CaseResult): string | undefined {
  if (c.clientBehind) return 'client behind';
  if (c.achievedRatePerSec !== undefined && c.ratePerSec !== undefined && c.achievedRatePerSec < 0.95 * c.ratePerSec) return 'rate not held';
  return undefined;
}

function ratePoint(c: CaseResult): ChartPoint | undefined {
  const r = c.responseNs;
  if (!r || r.p99 <= 0 || c.ratePerSec === undefined) return undefined;
  // Too few messages behind a p99.9 (or a p99) and it is about the slowest one: no whisker top.
  const samples = c.rateSamples ?? c.samples;
  const tailTrusted = samples === undefined || samples >= 10 * MIN_SAMPLES_FOR_P99;
  const notes = [lossNote(c), rateNotHeld(c)].filter((x): x is string => x !== undefined);
  return {
    x: c.ratePerSec,
    y: r.p99,
    ...(r.p50 > 0 ? { yLow: r.p50 } : {}),
    ...(tailTrusted && r.p999 > 0 ? { yHigh: r.p999 } : r.p50 > 0 ? { yHigh: r.p99 } : {}),
    ...(lossPercent(c) > 0 ? { lossPct: lossPercent(c) } : {}),
    ...(notes.length ? { note: notes.join(', ') } : {}),
    detail: [
      `response p50 ${formatUs(r.p50 / 1e3)}, p99 ${formatUs(r.p99 / 1e3)}, p99.9 ${formatUs(r.p999 / 1e3)}`,
      ...(c.achievedRatePerSec !== undefined ? [`achieved ${formatRate(c.achievedRatePerSec)}`] : []),
      ...(c.serviceNs ? [`service p99 ${formatUs(c.serviceNs.p99 / 1e3)}`] : []),
      ...(samples !== undefined ? [`${samples} messages`] : []),
      ...cpuDetail(c, 'message'),
    ],
  };
}

/**
 * The rate charts' panels: the size sweeps' family plan, but a line per mechanism AND
 * runtime, so a family is split again (never parting a mechanism's variants) when that makes
 * more lines than a panel holds. One plan for every size, so a line keeps its panel.
 */
function ratePanelPlan(cases: CaseResult[], styles: Map<string, MechanismStyle>, families: FamilyLookup): Array<{ family: Family; lines: string[]; split: boolean }> {
  const lineOf = (c: CaseResult): string => `${mechanismLabel(c)}\u0000${c.runtime}`;
  const order = [...styles.keys()];
  const lines = [...new Set(cases.map(lineOf))].sort((a, b) => {
    const [la, ra] = a.split('\u0000') as [string, string];
    const [lb, rb] = b.split('\u0000') as [string, string];
    return order.indexOf(la) - order.indexOf(lb) || byLabel(la, lb) || RUNTIMES.indexOf(ra as RuntimeId) - RUNTIMES.indexOf(rb as RuntimeId);
  });
  const mechanismOf = new Map(cases.map((c) => [lineOf(c), c.mechanism]));
  const familyOf = new Map(cases.map((c) => [lineOf(c), families.family(c)]));
  return FAMILIES.flatMap((family) => {
    const inFamily = lines.filter((l) => familyOf.get(l) === family);
    if (!inFamily.length) return [];
    const parts = splitPanels(inFamily, (l) => mechanismOf.get(l) ?? l);
    return parts.map((part) => ({ family, lines: part, split: parts.length > 1 }));
  });
}

/**
 * Latency under load, one figure per topology and message size: response time against the
 * target rate, one panel per family, one line per mechanism (and runtime, when more than one
 * measured), all panels on one y range. Only fixed-rate cases: a search has no target rate.
 */
function rateFigures(results: ResultFile, topology: Topology, styles: Map<string, MechanismStyle>, families: FamilyLookup): ChartSpec[] {
  const cases = results.cases.filter((c) => c.status === 'ok' && c.probe === 'rate' && c.topology === topology && c.ratePerSec !== undefined && ratePoint(c) !== undefined);
  if (!cases.length) return [];
  // One placement per figure set, as the sweeps: the first in run order with rate cases here.
  const placement = placementsOf(results).find((p) => cases.some((c) => c.placement === p))!;
  const here = cases.filter((c) => c.placement === placement);
  const runtimes = [...new Set(here.map((c) => c.runtime))];
  const plan = ratePanelPlan(here, styles, families);
  const rates = [...new Set(here.map((c) => c.ratePerSec!))].sort((a, b) => a - b);
  const bursts = [...new Set(here.map((c) => c.burst ?? 1))].filter((b) => b > 1);
  const host = results.env.hostname ?? results.env.cpuModel;
  const sizes = [...new Set(here.map((c) => c.messageBytes))].sort((a, b) => a - b);
  return sizes.flatMap((size) => {
    const atSize = here.filter((c) => c.messageBytes === size);
    const panels = plan
      .map((part) => {
        const drawn = part.lines.flatMap((line) => {
          const [label, runtime] = line.split('\u0000') as [string, RuntimeId];
          const measured = atSize.filter((c) => mechanismLabel(c) === label && c.runtime === runtime);
          const points = measured
            .map(ratePoint)
            .filter((p): p is ChartPoint => p !== undefined)
            .sort((a, b) => a.x - b.x);
          if (!points.length) return [];
          const st = styles.get(label);
          const series: ChartSeries = {
            label: runtimes.length > 1 ? `${label} (${runtime})` : label,
            color: st?.color ?? '#555555',
            dash: RUNTIME_DASH[runtime] ?? st?.dash ?? [],
            marker: st?.marker ?? 'rectRot',
            line: true,
            points,
          };
          return [{ series, mechanism: measured[0]!.mechanism }];
        });
        const series = drawn.map((d) => d.series);
        const mechanisms = [...new Set(drawn.map((d) => d.mechanism))];
        return { series, title: part.split ? `${FAMILY_TEXT[part.family]}: ${mechanisms.join(', ')}` : `${FAMILY_TEXT[part.family]} (${series.length})` };
      })
      .filter((p) => p.series.length);
    if (!panels.length) return [];
    const all = panels.flatMap((p) => p.series);
    const y = logBounds(all.flatMap((s) => s.points.flatMap((p) => [p.y, p.yHigh ?? 0, p.yLow ?? 0])));
    const x: ChartAxis = { label: 'target rate (log)', unit: 'msgsPerSec', log: true, min: rates[0]! / 1.7, max: rates[rates.length - 1]! * 1.7, ticks: rates };
    const specPanels: Array<Omit<ChartPanel, 'legendWidth'>> = panels.map((p) => ({
      title: p.title,
      x,
      y: { label: 'response time (log)', unit: 'ns', log: true, ...y },
      series: p.series,
      whiskers: true,
      dodge: true,
      connect: false,
      legend: 'line',
    }));
    const runtimeKey = runtimes.length > 1 ? `; solid: Node probe, dashed: native probe` : `; ${runtimes[0]} probe`;
    const burstKey = bursts.length ? `; sent in bursts of ${bursts.join(', ')}` : '';
    const markKey = specPanels.some((p) => p.series.some((s) => s.points.some((pt) => pt.note))) ? '; a note marks a rate not held (client behind, achieved rate short) or messages lost' : '';
    return [
      figure(
        `rate-${topology}-${size}B`,
        `Latency under load, ${TOPOLOGY_TEXT[topology]}, ${formatBytes(size)}: response time vs arrival rate`,
        [
          `${placement} placement on ${host}${runtimeKey}${burstKey}; response time from each message's intended send (a stall counts for every message behind it); dot: p99, whisker: p50 to p99.9 (to p99 under ${10 * MIN_SAMPLES_FOR_P99} messages); lower is better${markKey}${lossKey(specPanels)}`,
          envLine(results),
        ],
        warningOf(results),
        1,
        RATE_PANEL_HEIGHT_PX,
        specPanels,
      ),
    ];
  });
}

/** The trade-off: p50 round trip against CPU per round trip (client + server), one panel per size. */
function tradeoffFigure(results: ResultFile, topology: Topology, where: string, cases: CaseResult[], styles: Map<string, MechanismStyle>): ChartSpec | undefined {
  const sizes = [...new Set(cases.map((c) => c.messageBytes))].sort((a, b) => a - b);
  const panels: Array<Omit<ChartPanel, 'legendWidth'>> = [];
  for (const size of sizes) {
    const series: ChartSeries[] = [];
    for (const c of cases.filter((x) => x.messageBytes === size)) {
      const cpu = cpuNsPerMsg(c);
      if (!c.latencyNs || c.latencyNs.p50 <= 0 || cpu === undefined) continue;
      const label = mechanismLabel(c);
      const st = styles.get(label);
      const loss = lossNote(c);
      series.push({
        label,
        color: st?.color ?? '#555555',
        dash: [],
        marker: st?.marker ?? 'rectRot',
        line: false,
        points: [
          {
            x: cpu,
            y: c.latencyNs.p50,
            note: loss ? `${label}, ${loss}` : label,
            ...(loss ? { lossPct: lossPercent(c) } : {}),
            detail: cpuDetail(c, 'round trip'),
          },
        ],
      });
    }
    if (!series.length) continue;
    const order = [...styles.keys()];
    series.sort((a, b) => order.indexOf(a.label) - order.indexOf(b.label));
    const xs = logBounds(series.map((s) => s.points[0]!.x), 1.6);
    const ys = logBounds(series.map((s) => s.points[0]!.y), 1.5);
    panels.push({
      title: formatBytes(size),
      x: { label: 'CPU per round trip, client + server (log)', unit: 'ns', log: true, ...xs },
      y: { label: 'round trip, p50 (log)', unit: 'ns', log: true, ...ys },
      series,
      whiskers: false,
      dodge: false,
      connect: false,
      legend: 'none',
    });
  }
  if (!panels.length) return undefined;
  // Many labelled points need room; a handful fit three panels a row.
  const dense = Math.max(...panels.map((p) => p.series.length)) > 6;
  return figure(
    `tradeoff-${topology}`,
    `Latency vs CPU cost, ${TOPOLOGY_TEXT[topology]}: the trade-off per message size`,
    [
      `${where}; each point one mechanism: p50 round trip against the CPU both sides spend per round trip; lower left is better; circles: loopback network, squares: shared volume, triangles: IPC namespace${lossKey(panels)}`,
      envLine(results),
    ],
    warningOf(results),
    dense ? 2 : 3,
    dense ? GRID_PANEL_HEIGHT_PX : SPARSE_PANEL_HEIGHT_PX,
    panels,
  );
}

/** Paired points: the same case across a dimension (runtime or placement), one panel per size. */
function comparisonFigure<K extends string>(
  results: ResultFile,
  id: string,
  title: string,
  what: string,
  cases: CaseResult[],
  dimension: (c: CaseResult) => K,
  values: K[],
  metric: 'latency' | 'throughput',
): ChartSpec | undefined {
  const value = (c: CaseResult): number | undefined =>
    metric === 'latency' ? (c.latencyNs && c.latencyNs.p50 > 0 ? c.latencyNs.p50 : undefined) : c.throughput && c.throughput.msgsPerSec > 0 ? c.throughput.msgsPerSec : undefined;
  const sizes = [...new Set(cases.map((c) => c.messageBytes))].sort((a, b) => a - b);
  const panels: Array<Omit<ChartPanel, 'legendWidth'>> = [];
  let most = 0;
  for (const size of sizes) {
    const here = cases.filter((c) => c.messageBytes === size && value(c) !== undefined);
    const labels = [...new Set(here.map((c) => mechanismLabel(c)))];
    // Compared only where at least two values of the dimension have a number.
    const paired = labels.filter((l) => new Set(here.filter((c) => mechanismLabel(c) === l).map(dimension)).size >= 2);
    if (!paired.length) continue;
    // Best first, by the first dimension value that has the mechanism.
    const rankValue = (l: string): number => {
      for (const v of values) {
        const c = here.find((x) => mechanismLabel(x) === l && dimension(x) === v);
        if (c) return metric === 'latency' ? value(c)! : -value(c)!;
      }
      return Infinity;
    };
    const categories = paired.sort((a, b) => rankValue(a) - rankValue(b) || byLabel(a, b));
    most = Math.max(most, categories.length);
    const xs: number[] = [];
    const series: ChartSeries[] = values
      .map((v, k) => {
        const st = COMPARE_STYLE[k % COMPARE_STYLE.length]!;
        const points: ChartPoint[] = [];
        categories.forEach((label, i) => {
          const c = here.find((x) => mechanismLabel(x) === label && dimension(x) === v);
          if (!c) return;
          const y = value(c)!;
          xs.push(y);
          const loss = lossNote(c);
          // Two values compared: the second carries its ratio to the first ("0.55×").
          const first = k === 1 && values.length === 2 ? here.find((x) => mechanismLabel(x) === label && dimension(x) === values[0]) : undefined;
          const ratio = first ? `${Number((y / value(first)!).toPrecision(2))}×` : undefined;
          const note = [ratio, loss].filter(Boolean).join(', ');
          points.push({ x: y, y: i, ...(loss ? { lossPct: lossPercent(c) } : {}), ...(note ? { note } : {}), detail: cpuDetail(c, metric === 'latency' ? 'round trip' : 'message') });
        });
        return { label: v, color: st.color, dash: [], marker: st.marker, line: false, points };
      })
      .filter((s) => s.points.length);
    // Each size on its own x range: the rows compare within a panel, not across sizes.
    panels.push({
      title: formatBytes(size),
      x: { label: metric === 'latency' ? 'round trip, p50 (log)' : 'delivered msg/s (log)', unit: metric === 'latency' ? 'ns' : 'msgsPerSec', log: true, ...logBounds(xs, 1.5) },
      y: { label: '', unit: 'category', log: false, min: -0.6, max: categories.length - 0.4, categories },
      series,
      whiskers: false,
      dodge: false,
      connect: true,
      legend: 'marker',
    });
  }
  if (!panels.length) return undefined;
  const panelHeight = Math.max(260, 110 + 22 * most);
  const ratioKey = values.length === 2 ? `; labels: ${values[1]} ÷ ${values[0]}` : '';
  return figure(id, title, [what + ratioKey + lossKey(panels), envLine(results)], warningOf(results), 2, panelHeight, panels);
}

/**
 * Every figure the results support, most useful first; figures without data are left out.
 * `families` is the registry lookup (tests may pass their own).
 */
export function buildChartSpecs(results: ResultFile, families: FamilyLookup = familyLookup()): ChartSpec[] {
  const rateSpecs = (topology: Topology): ChartSpec[] => rateFigures(results, topology, styles, families);
  const styles = mechanismStyles(results, families);
  const plan = panelPlan(results, styles);
  const { runtime } = charted(results);
  const host = results.env.hostname ?? results.env.cpuModel;
  const whereOf = (p: PlacementId): string => `${p} placement, ${runtime} probe, on ${host}`;
  const specs: ChartSpec[] = [];
  const push = (s: ChartSpec | undefined): void => {
    if (s) specs.push(s);
  };

  for (const topology of ['same-pod', 'cross-pod'] as const) {
    const t = TOPOLOGY_TEXT[topology];
    const at = charted(results, topology).placement;
    const where = whereOf(at);
    const latency = okCases(results, { probe: 'latency', topology, runtime, placement: at });
    const throughput = okCases(results, { probe: 'throughput', topology, runtime, placement: at });
    push(
      sweepFigure(
        results,
        `latency-${topology}`,
        `Round-trip latency vs message size, ${t}`,
        `${where}; dot: median round trip (p50), whisker: up to p99 (not drawn under ${MIN_SAMPLES_FOR_P99} round trips); lower is better`,
        LATENCY,
        latency,
        styles,
        plan,
        true,
      ),
    );
    push(tradeoffFigure(results, topology, where, latency, styles));
    push(
      sweepFigure(
        results,
        `throughput-${topology}`,
        `Throughput vs message size, ${t}`,
        `${where}; one-directional stream, bytes delivered per second, median of runs; higher is better`,
        THROUGHPUT,
        throughput,
        styles,
        plan,
        false,
      ),
    );
    // CPU cost: from the throughput probe (the mechanism working flat out); the latency
    // probe when no throughput was measured.
    const cpuFromThroughput = throughput.some((c) => cpuNsPerMsg(c) !== undefined);
    push(
      sweepFigure(
        results,
        `cpu-${topology}`,
        `CPU cost per message, ${t}`,
        `${where}; client + server CPU time per message, ${cpuFromThroughput ? 'throughput' : 'latency'} probe; lower is better (busy-polling shows here)`,
        CPU,
        cpuFromThroughput ? throughput : latency,
        styles,
        plan,
        false,
      ),
    );
    specs.push(...rateSpecs(topology));
  }

  // Same pod vs cross pod, for the mechanisms measured in both, in the placement that has
  // the cross-pod cases: solid same pod, dashed cross pod.
  const crossAt = charted(results, 'cross-pod').placement;
  const where = whereOf(crossAt);
  const same = okCases(results, { probe: 'latency', topology: 'same-pod', runtime, placement: crossAt });
  const cross = okCases(results, { probe: 'latency', topology: 'cross-pod', runtime, placement: crossAt });
  const both = new Set(cross.map((c) => mechanismLabel(c)).filter((l) => same.some((s) => mechanismLabel(s) === l)));
  if (both.size) {
    const pick = (cases: CaseResult[]): CaseResult[] => cases.filter((c) => both.has(mechanismLabel(c)));
    const series = [...sweepSeries(pick(same), LATENCY, styles, ' (same pod)', []), ...sweepSeries(pick(cross), LATENCY, styles, ' (cross pod)', [8, 5])];
    const sizes = sizesOf(series);
    const y = logBounds(series.flatMap((s) => s.points.flatMap((p) => [p.y, p.yHigh ?? 0])));
    specs.push(
      figure(
        'latency-same-vs-cross-pod',
        'Same pod vs cross pod: round-trip latency',
        [`${where}; solid: same pod, dashed: cross pod (a veth pair between pods); dot: p50, whisker: up to p99`, envLine(results)],
        warningOf(results),
        1,
        LINE_PANEL_HEIGHT_PX + 60,
        [
          {
            title: '',
            x: { label: 'message size (log)', unit: 'bytes', log: true, min: sizes[0]! / 1.7, max: sizes[sizes.length - 1]! * 1.7, ticks: sizes },
            y: { label: LATENCY.axisLabel, unit: 'ns', log: true, ...y },
            series,
            whiskers: true,
            dodge: true,
            connect: false,
            legend: 'line',
          },
        ],
      ),
    );
  }

  // Node vs native, per topology in the first placement where both probes measured it.
  for (const topology of ['same-pod', 'cross-pod'] as const) {
    const ok = (p: PlacementId): CaseResult[] => results.cases.filter((c) => c.status === 'ok' && c.placement === p && c.topology === topology);
    const at = placementsOf(results).find((p) => new Set(ok(p).map((c) => c.runtime)).size > 1);
    if (!at) continue;
    const ordered = (['node', 'native'] as RuntimeId[]).filter((r) => ok(at).some((c) => c.runtime === r));
    for (const metric of ['latency', 'throughput'] as const) {
      push(
        comparisonFigure(
          results,
          `runtimes-${metric}-${topology}`,
          `Node probe vs native probe: ${metric === 'latency' ? 'round-trip latency (p50)' : 'throughput'}, ${TOPOLOGY_TEXT[topology]}`,
          `${at} placement on ${host}; each row one mechanism measured by both probes, best first; ${metric === 'latency' ? 'left is better' : 'right is better'}`,
          okCases(results, { probe: metric, topology, placement: at }),
          (c) => c.runtime,
          ordered,
          metric,
        ),
      );
    }
  }

  // The same case per placement, for the charted runtime.
  const placements = placementsOf(results).filter((p) => results.cases.some((c) => c.status === 'ok' && c.placement === p && c.runtime === runtime));
  if (placements.length > 1) {
    for (const topology of ['same-pod', 'cross-pod'] as const) {
      for (const metric of ['latency', 'throughput'] as const) {
        push(
          comparisonFigure(
            results,
            `placements-${metric}-${topology}`,
            `Placements side by side: ${metric === 'latency' ? 'round-trip latency (p50)' : 'throughput'}, ${TOPOLOGY_TEXT[topology]}`,
            `${runtime} probe on ${host}; each row one mechanism measured in ${placements.join(', ')}, best first; ${metric === 'latency' ? 'left is better' : 'right is better'}`,
            okCases(results, { probe: metric, topology, runtime }),
            (c) => c.placement,
            placements,
            metric,
          ),
        );
      }
    }
  }
  return specs;
}
