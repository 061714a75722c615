/**
 * The report's content as plain data. markdown.ts and html.ts only lay it out, so both
 * reports always say the same thing; report.json is this object. Pure: a function of
 * results.json alone (no clock, no machine reads), so re-rendering an old file gives the
 * same report.
 *
 * The shape (ReportModel), in reading order:
 * - `title`, then `banners`: what to know before reading any number (a smoke budget too
 *   small to decide on, an interrupted run), each one sentence.
 * - `summary`: counts and budgets, a line or two.
 * - `sections`, in order, each `{ id, kind, heading, intro, tables }`:
 *   - kind `answer` (first): per size band (small <= 1 KiB, medium, large >= 256 KiB) the best
 *     request/response mechanism, the best streaming one and the cheapest in CPU, per
 *     topology (and runtime when there are several), then what each named mechanism needs
 *     in the pod spec;
 *   - kind `latency` / `throughput`: one section per probe and topology, two tables each
 *     (the metric by size, CPU by size), mechanisms as rows, best first at the smallest size;
 *   - kind `runtimes`: native floor vs Node per size, when both runtimes measured;
 *   - kind `placements`: the same case on each placement, when a run has several;
 *   - kind `cannot-run`: ONE matrix of what cannot run where (mechanism x topology x
 *     runtime/placement), each reason once, as numbered footnotes;
 *   - kind `failures`: the cases that failed, each with its reason.
 * - `env`: the environment as readable [label, text] rows (nested facts flattened, no JSON).
 * - `details`: per probe, topology and size, every number of every case (p50/p99/p99.9, CPU
 *   per side, integrity, runs) - for HTML and CSV; Markdown leaves them out to stay short.
 * - `highlights` and `problems`: the answer's smallest band per topology in sentences, and the
 *   failed cases, for layouts that want them as lists.
 *
 * Every table has `rows` (display text, markers included: "8.78 µs †") and `cells` (the
 * same cells as data: plain text, the number behind it for sorting, and a flag -
 * `unreliable` when too few samples back a percentile, `lossy`, `failed`, `skipped`,
 * `best` - with a note saying why). `footnotes` explain the markers.
 */
import { findMechanism } from '../../bench/registry.js';
import { NEAR_RESOLUTION_FACTOR, nearResolution, placementsOf, probeOverheadNs, type AppliedResources, type CaseResult, type ResultFile } from '../../core/results.js';
import { mechanismLabel, type PlacementId, type ProbeKind, type RuntimeId, type Topology } from '../../core/vocabulary.js';
import { nodeProbeV8FlagsText } from '../../core/node-probe.js';
import {
  backingSamples,
  busyPolls,
  hasLoss,
  MIN_DECISION_MEASURE_MS,
  MIN_DECISION_RUNS,
  podNeeds,
  requirementsFor,
  RUNS_DISAGREE_FACTOR,
  runsDisagree,
  smokeBudget,
  unbackedPercentile,
  type RunSpread,
} from '../findings.js';
import { formatBytes, formatBytesPerSec, formatNs, formatRate, formatUs, sig3 } from './format.js';
import { rateSections } from './rate.js';

export type CellFlag = 'unreliable' | 'nearResolution' | 'runsDisagree' | 'lossy' | 'failed' | 'skipped' | 'best';

export interface Cell {
  /** The text without markers. */
  text: string;
  /** The number behind the text (ns, msg/s, µs, bytes), for sorting; absent for words. */
  value?: number;
  flag?: CellFlag;
  /** Why the flag (a tooltip in HTML; the footnote in Markdown). */
  note?: string;
}

export interface Table {
  /** Stable anchor: `latency-same-pod-p50`. */
  id: string;
  heading: string;
  header: string[];
  /** Per column: right-align numbers. */
  numeric: boolean[];
  /** Display text per cell, markers included. */
  rows: string[][];
  /** The same cells as data. */
  cells: Cell[][];
  /** Explains the markers used in this table. */
  footnotes: string[];
}

export type SectionKind = 'answer' | 'latency' | 'throughput' | 'rate' | 'runtimes' | 'placements' | 'cannot-run' | 'failures' | 'detail';

export interface Section {
  id: string;
  kind: SectionKind;
  heading: string;
  intro: string;
  tables: Table[];
  /** Bullet points after the tables (pod needs, failure reasons, footnotes of the matrix). */
  notes: string[];
}

export interface Banner {
  kind: 'smoke' | 'interrupted';
  text: string;
}

export interface ReportModel {
  title: string;
  banners: Banner[];
  summary: string[];
  highlights: string[];
  env: Array<[string, string]>;
  sections: Section[];
  details: Section[];
  problems: Array<{ key: string; status: string; reason: string }>;
}

const TOPOLOGY_TEXT: Record<Topology, string> = { 'same-pod': 'same pod', 'cross-pod': 'cross pod' };
const STATUS_ORDER = { ok: 0, failed: 1, skipped: 2 } as const;
const dash = '—';

/** Markers in display text, explained by each table's footnotes. */
const MARK: Partial<Record<CellFlag, string>> = { unreliable: '†', nearResolution: '≈', runsDisagree: '↕', lossy: '✗', failed: '‼' };
const FOOTNOTE: Partial<Record<CellFlag, string>> = {
  unreliable: '† too few round trips behind this percentile to read it as a number (p99 needs 1,000, p99.9 10,000: ten beyond it); indicative only.',
  nearResolution: `≈ the p50 is within ${NEAR_RESOLUTION_FACTOR}x of what the probe itself costs per round trip at this size (Environment: probe overhead): much of the number is the probe, not the mechanism.`,
  runsDisagree: `↕ the independent runs disagree: the worst run's own number is ${RUNS_DISAGREE_FACTOR}x the best's or more (report.html's detail tables and report.csv give both), so this number pools runs that measured different situations (where the two sides ran, a neighbour's load). Re-run before deciding on it; --pin (sandbox) takes the scheduler's placement out.`,
  lossy: '✗ lost or corrupted messages: ranked after every clean mechanism (the detail tables and report.csv have the counts).',
  failed: '‼ some runs failed: the number covers the ok runs only (see Failed cases).',
};

function displayText(c: Cell): string {
  const m = c.flag ? MARK[c.flag] : undefined;
  return m ? `${c.text} ${m}` : c.text;
}

function table(id: string, heading: string, header: string[], numeric: boolean[], cells: Cell[][], extraFootnotes: string[] = []): Table {
  const flags = new Set(cells.flat().map((c) => c.flag));
  const footnotes = [...(Object.keys(FOOTNOTE) as CellFlag[]).filter((f) => flags.has(f)).map((f) => FOOTNOTE[f]!), ...extraFootnotes];
  return { id, heading, header, numeric, rows: cells.map((r) => r.map(displayText)), cells, footnotes };
}

const word = (text: string): Cell => ({ text });

/** Best first: ok before failed before skipped, clean before lossy, then by the probe's metric. */
export function bestFirst(a: CaseResult, b: CaseResult): number {
  const s = STATUS_ORDER[a.status] - STATUS_ORDER[b.status];
  if (s) return s;
  const l = Number(hasLoss(a)) - Number(hasLoss(b));
  if (l) return l;
  if (a.probe === 'latency') {
    const d = (a.latencyNs?.p50 ?? Infinity) - (b.latencyNs?.p50 ?? Infinity);
    if (d) return d;
    const d99 = (a.latencyNs?.p99 ?? Infinity) - (b.latencyNs?.p99 ?? Infinity);
    if (d99) return d99;
  } else {
    const d = (b.throughput?.msgsPerSec ?? -Infinity) - (a.throughput?.msgsPerSec ?? -Infinity);
    if (d) return d;
  }
  const la = mechanismLabel(a);
  const lb = mechanismLabel(b);
  return la < lb ? -1 : la > lb ? 1 : 0;
}

/** "✓ 1.04 M msgs", "✗ lost 1234 (0.41 %), corrupt 0 of 300 k" or "✗ 3 lost wake-ups, 1.04 M msgs". */
export function integrityText(c: CaseResult): string {
  const i = c.integrity;
  if (!i) return dash;
  const wakeups = i.lostWakeups ?? 0;
  const wakeText = `${wakeups} lost wake-up${wakeups === 1 ? '' : 's'}`;
  if (i.lost === 0 && i.corrupt === 0) return wakeups > 0 ? `✗ ${wakeText}, ${countText(i.received)} msgs` : `✓ ${countText(i.received)} msgs`;
  const lostPct = i.sent > 0 ? ` (${sig3((i.lost / i.sent) * 100)} %)` : '';
  return `✗ lost ${i.lost}${lostPct}, corrupt ${i.corrupt} of ${countText(i.sent)}${wakeups > 0 ? `, ${wakeText}` : ''}`;
}

function countText(n: number): string {
  if (n >= 1e6) return `${sig3(n / 1e6)} M`;
  if (n >= 1e4) return `${sig3(n / 1e3)} k`;
  return String(n);
}

// ---------------------------------------------------------------------------------------
// Which cases: views of one runtime and placement
// ---------------------------------------------------------------------------------------

interface View {
  runtime: RuntimeId;
  placement: PlacementId;
}

const runtimesOf = (results: ResultFile): RuntimeId[] => [...new Set(results.cases.map((c) => c.runtime))];

/** Runtimes with ok cases, native (the floor) after node, in the file's order otherwise. */
function measuredRuntimes(results: ResultFile): RuntimeId[] {
  return runtimesOf(results).filter((r) => results.cases.some((c) => c.runtime === r && c.status === 'ok'));
}

/**
 * The runtime the main tables, the answer and the charts show: the Node probe when it
 * measured something (what a Node application gets), else the native one. The other
 * runtime appears in "Native floor vs Node" and in the detail tables.
 */
export function primaryRuntime(results: ResultFile): RuntimeId {
  const measured = measuredRuntimes(results);
  return measured.includes('node') ? 'node' : (measured[0] ?? 'node');
}

/** "tcp", or "tcp · native · sandbox" when the file holds more than one runtime or placement. */
function rowLabel(results: ResultFile): (c: CaseResult) => string {
  // A runtime that measured nothing (not built) is a column of the skip matrix, not a label.
  const manyRuntimes = measuredRuntimes(results).length > 1;
  const manyPlacements = placementsOf(results).length > 1;
  return (c) => [mechanismLabel(c), ...(manyRuntimes ? [c.runtime] : []), ...(manyPlacements ? [c.placement] : [])].join(' · ');
}

const usable = (c: CaseResult): boolean => c.status === 'ok' && !hasLoss(c);

function sizesOf(cases: readonly CaseResult[]): number[] {
  return [...new Set(cases.map((c) => c.messageBytes))].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------------------

/**
 * "2.61 µs / 8.78 µs": p50 / p99, marked when the p50 is near the probe's own cost (that
 * changes what the whole number means), else when the runs disagree (the number pools
 * different situations), else when too few round trips back the p99.
 */
function latencyCell(c: CaseResult | undefined, env: ResultFile['env']): Cell {
  if (!c || c.status === 'skipped') return { text: dash, flag: 'skipped', ...(c?.reason ? { note: c.reason } : {}) };
  const l = c.latencyNs;
  if (!l) return { text: 'failed', flag: 'failed', note: c.reason ?? 'no latency recorded' };
  const weak = unbackedPercentile(backingSamples(c), 99);
  const cell: Cell = { text: `${formatNs(l.p50)} / ${formatNs(l.p99)}`, value: l.p50 };
  return withFlag(cell, c, nearMark(c, env) ?? spreadMark(c) ?? (weak ? { flag: 'unreliable', note: `p99 from ${weak}` } : undefined));
}

/** "271 ns to 972 ns": a case's best and worst run, in its probe's unit. */
function spreadText(c: CaseResult, s: RunSpread): string {
  const f = c.probe === 'latency' ? formatNs : formatRate;
  return `${f(s.best)} to ${f(s.worst)}`;
}

/** The runs-disagree flag (findings.ts runsDisagree), with the best and worst run. */
function spreadMark(c: CaseResult): { flag: CellFlag; note: string } | undefined {
  const s = runsDisagree(c);
  return s ? { flag: 'runsDisagree', note: `its ${s.runs} runs range from ${spreadText(c, s)} (${sig3(s.factor)}x)` } : undefined;
}

/** The near-resolution flag of a latency case (core/results.ts nearResolution), with the overhead it is near. */
function nearMark(c: CaseResult, env: ResultFile['env']): { flag: CellFlag; note: string } | undefined {
  if (nearResolution(c, env) !== true) return undefined;
  return { flag: 'nearResolution', note: `p50 within ${NEAR_RESOLUTION_FACTOR}x of the probe's own ${formatNs(probeOverheadNs(env, c.runtime, c.messageBytes)!)} per round trip at this size` };
}

function throughputCell(c: CaseResult | undefined): Cell {
  if (!c || c.status === 'skipped') return { text: dash, flag: 'skipped', ...(c?.reason ? { note: c.reason } : {}) };
  const t = c.throughput;
  if (!t) return { text: 'failed', flag: 'failed', note: c.reason ?? 'no throughput recorded' };
  return withFlag({ text: `${formatRate(t.msgsPerSec)} (${formatBytesPerSec(t.bytesPerSec)})`, value: t.msgsPerSec }, c, spreadMark(c));
}

/** "3.86 + 4.12 µs": client + server CPU per message. */
function cpuCell(c: CaseResult | undefined): Cell {
  if (!c || c.status === 'skipped') return { text: dash, flag: 'skipped' };
  if (!c.cpu) return { text: dash };
  const { clientUsPerMsg: cl, serverUsPerMsg: sv } = c.cpu;
  return withFlag({ text: `${formatUs(cl)} + ${formatUs(sv)}`, value: cl + sv }, c, undefined);
}

/** Loss and failure outrank an unreliable percentile: they change what the number means. */
function withFlag(cell: Cell, c: CaseResult, weak: { flag: CellFlag; note: string } | undefined): Cell {
  if (c.status === 'failed') return { ...cell, flag: 'failed', note: c.reason ?? 'some runs failed' };
  if (hasLoss(c)) return { ...cell, flag: 'lossy', note: integrityText(c) };
  return weak ? { ...cell, ...weak } : cell;
}

// ---------------------------------------------------------------------------------------
// The answer
// ---------------------------------------------------------------------------------------

export type SizeBand = 'small' | 'medium' | 'large';

/** small <= 1 KiB, large >= 256 KiB, medium in between. */
export function sizeBand(bytes: number): SizeBand {
  return bytes <= 1024 ? 'small' : bytes >= 256 * 1024 ? 'large' : 'medium';
}

const BAND_TEXT: Record<SizeBand, string> = { small: 'small (≤ 1 KiB)', medium: 'medium', large: 'large (≥ 256 KiB)' };

interface Pick {
  label: string;
  cases: CaseResult[];
}

/**
 * The mechanism whose cases are best over every measured size of a band: lowest geometric
 * mean of (value / best value at that size), among mechanisms measured cleanly at every
 * size of the band.
 */
function bestOverBand(cases: readonly CaseResult[], metric: (c: CaseResult) => number | undefined, lowerIsBetter: boolean): Pick | undefined {
  const sizes = sizesOf(cases);
  const byLabel = new Map<string, CaseResult[]>();
  for (const c of cases) if (metric(c) !== undefined && metric(c)! > 0) byLabel.set(mechanismLabel(c), [...(byLabel.get(mechanismLabel(c)) ?? []), c]);
  const full = [...byLabel].filter(([, cs]) => cs.length === sizes.length);
  if (full.length === 0) return undefined;
  const bestAt = new Map(sizes.map((s) => {
    const values = full.map(([, cs]) => metric(cs.find((c) => c.messageBytes === s)!)!);
    return [s, lowerIsBetter ? Math.min(...values) : Math.max(...values)];
  }));
  let best: { label: string; cases: CaseResult[]; score: number } | undefined;
  for (const [label, cs] of full.sort(([a], [b]) => (a < b ? -1 : 1))) {
    const score = cs.reduce((sum, c) => sum + Math.log(lowerIsBetter ? metric(c)! / bestAt.get(c.messageBytes)! : bestAt.get(c.messageBytes)! / metric(c)!), 0) / cs.length;
    if (!best || score < best.score - 1e-12) best = { label, cases: cs, score };
  }
  return best && { label: best.label, cases: [...best.cases].sort((a, b) => a.messageBytes - b.messageBytes) };
}

/** "2.61 µs", "2.61-3.10 µs", "2.85-2.95 M msg/s" or "579 ns - 1.48 µs" over the band's sizes. */
function rangeText(cases: readonly CaseResult[], metric: (c: CaseResult) => number, format: (v: number) => string): string {
  const values = cases.map(metric);
  const a = format(Math.min(...values));
  const b = format(Math.max(...values));
  if (a === b) return a;
  const split = (s: string): [string, string] => {
    const m = /^(-?[\d.]+)\s*(.*)$/.exec(s);
    return m ? [m[1]!, m[2]!] : [s, ''];
  };
  const [na, ua] = split(a);
  const [nb, ub] = split(b);
  return ua === ub ? `${na}-${nb} ${ua}` : `${a} - ${b}`;
}

const p50 = (c: CaseResult): number | undefined => c.latencyNs?.p50;
const rate = (c: CaseResult): number | undefined => c.throughput?.msgsPerSec;
const cpuPerRt = (c: CaseResult): number | undefined => (c.cpu ? c.cpu.clientUsPerMsg + c.cpu.serverUsPerMsg : undefined);

interface AnswerRows {
  cells: Cell[][];
  named: Map<string, CaseResult>;
}

function answerRows(results: ResultFile, view: View, topology: Topology): AnswerRows {
  const mine = results.cases.filter((c) => c.runtime === view.runtime && c.placement === view.placement && c.topology === topology && usable(c));
  const latency = mine.filter((c) => c.probe === 'latency');
  const throughput = mine.filter((c) => c.probe === 'throughput');
  const named = new Map<string, CaseResult>();
  const cells: Cell[][] = [];
  const bands = (['small', 'medium', 'large'] as const).filter((b) => mine.some((c) => sizeBand(c.messageBytes) === b));
  for (const band of bands) {
    const inBand = (cs: CaseResult[]): CaseResult[] => cs.filter((c) => sizeBand(c.messageBytes) === band);
    const lat = inBand(latency);
    const rpc = bestOverBand(lat, p50, true);
    const stream = bestOverBand(inBand(throughput), rate, false);
    // Busy-pollers are left out of "cheapest": they burn a core per side at any rate.
    const calm = lat.filter((c) => !busyPolls(c));
    const cheap = bestOverBand(calm, cpuPerRt, true);
    const pickCell = (pick: Pick | undefined, text: (cs: CaseResult[]) => string): Cell => {
      if (!pick) return { text: dash };
      named.set(pick.label, pick.cases[0]!);
      const polls = lat.some((c) => mechanismLabel(c) === pick.label && busyPolls(c));
      return { text: `${pick.label}: ${text(pick.cases)}${polls ? ' (busy-polls: a core per side)' : ''}`, flag: 'best' };
    };
    const sizes = sizesOf([...inBand(latency), ...inBand(throughput)]).map(formatBytes).join(', ');
    cells.push([
      word(`${BAND_TEXT[band]}: ${sizes}`),
      pickCell(rpc, (cs) => `${rangeText(cs, (c) => c.latencyNs!.p50, formatNs)} p50`),
      pickCell(stream, (cs) => rangeText(cs, (c) => c.throughput!.msgsPerSec, formatRate)),
      pickCell(cheap, (cs) => `${rangeText(cs, (c) => cpuPerRt(c)!, formatUs)} CPU per round trip`),
    ]);
  }
  return { cells, named };
}

function answerSection(results: ResultFile, view: View, views: number): Section | undefined {
  const tables: Table[] = [];
  const named = new Map<string, CaseResult>();
  for (const topology of ['same-pod', 'cross-pod'] as const) {
    const rows = answerRows(results, view, topology);
    if (rows.cells.length === 0) continue;
    for (const [k, v] of rows.named) named.set(k, v);
    tables.push(
      table(
        `answer-${topology}-${view.runtime}`,
        topology === 'same-pod' ? 'Both containers in one pod' : 'Client and server in two pods (the network baseline)',
        ['message size', 'request/response: lowest p50 round trip', 'streaming: most messages/s', 'cheapest: least CPU per round trip'],
        [false, false, false, false],
        rows.cells,
      ),
    );
  }
  if (tables.length === 0) return undefined;
  const notes = [...named].sort(([a], [b]) => (a < b ? -1 : 1)).map(([label, c]) => {
    const mech = findMechanism(c.mechanism);
    const needs = mech ? podNeeds(requirementsFor(mech, c.variant, view.runtime)) : [`'${c.mechanism}' is not in this podipc's mechanism registry`];
    return `**${label}** needs: ${needs.join('; ')}.`;
  });
  return {
    id: `answer-${view.runtime}`,
    kind: 'answer',
    heading: views > 1 ? `The answer (${view.runtime} probe)` : 'The answer',
    intro:
      `Per size band, from the ${view.runtime} probe on ${view.placement}: the lowest round trip, the most messages per second, and the least CPU per round trip ` +
      '(busy-polling left out there: it burns a core per side at any rate). Clean cases only; over a band of several sizes, the best over all of them. Then what each needs in the pod spec.',
    tables,
    notes,
  };
}

// ---------------------------------------------------------------------------------------
// Tables by size
// ---------------------------------------------------------------------------------------

function bySizeSection(results: ResultFile, probe: 'latency' | 'throughput', topology: Topology, runtime: RuntimeId): Section | undefined {
  const manyPlacements = placementsOf(results).length > 1;
  const label = (c: CaseResult): string => (manyPlacements ? `${mechanismLabel(c)} · ${c.placement}` : mechanismLabel(c));
  const cases = results.cases.filter((c) => c.probe === probe && c.topology === topology && c.runtime === runtime && c.status !== 'skipped');
  if (cases.length === 0) return undefined;
  const sizes = sizesOf(cases);
  const rowsOf = new Map<string, CaseResult[]>();
  for (const c of cases) rowsOf.set(label(c), [...(rowsOf.get(label(c)) ?? []), c]);
  // Best first at the smallest size each mechanism has; mechanisms missing there go last.
  const order = [...rowsOf].sort(([, a], [, b]) => {
    const s = Math.min(...sizes.filter((x) => a.some((c) => c.messageBytes === x) && b.some((c) => c.messageBytes === x)));
    const ca = a.find((c) => c.messageBytes === s);
    const cb = b.find((c) => c.messageBytes === s);
    return ca && cb ? bestFirst(ca, cb) : ca ? -1 : cb ? 1 : 0;
  });
  const header = (what: string): string[] => ['mechanism', ...sizes.map((s) => `${what} ${formatBytes(s)}`)];
  const numeric = [false, ...sizes.map(() => true)];
  const metricCell = probe === 'latency' ? (c: CaseResult | undefined): Cell => latencyCell(c, results.env) : throughputCell;
  const metricCells = order.map(([l, cs]) => [word(l), ...sizes.map((s) => metricCell(cs.find((c) => c.messageBytes === s)))]);
  const cpuCells = order.map(([l, cs]) => [word(l), ...sizes.map((s) => cpuCell(cs.find((c) => c.messageBytes === s)))]);
  const id = `${probe}-${topology}`;
  const where = `${TOPOLOGY_TEXT[topology]}${measuredRuntimes(results).length > 1 ? ` (${runtime} probe)` : ''}`;
  return {
    id,
    kind: probe,
    heading: probe === 'latency' ? `Round-trip latency, ${where}` : `Throughput, ${where}`,
    intro:
      probe === 'latency'
        ? 'Ping-pong round trip of one message each way (one-way latency is not claimed): p50 / p99 of all round trips of all runs, best first at the smallest size. CPU: client + server CPU time per round trip, so busy-polling shows as cost.'
        : 'One-directional stream with the mechanism’s own flow control: median over the runs of messages/s (and bytes/s), best first at the smallest size. CPU: client + server CPU time per message.',
    tables: [
      table(`${id}-${probe === 'latency' ? 'p50' : 'rate'}`, probe === 'latency' ? 'p50 / p99 round trip' : 'messages/s (bytes/s)', header(probe === 'latency' ? 'p50 / p99' : 'msg/s'), numeric, metricCells),
      table(`${id}-cpu`, probe === 'latency' ? 'CPU per round trip, client + server' : 'CPU per message, client + server', header('CPU'), numeric, cpuCells),
    ],
    notes: [],
  };
}

/** Every number of every case, one table per size (for HTML and CSV readers). */
function detailSections(results: ResultFile): Section[] {
  const label = rowLabel(results);
  const out: Section[] = [];
  for (const probe of ['latency', 'throughput'] as const) {
    for (const topology of ['same-pod', 'cross-pod'] as const) {
      const cases = results.cases.filter((c) => c.probe === probe && c.topology === topology);
      if (!cases.length) continue;
      const tables = sizesOf(cases).map((size) => {
        let rank = 0;
        const cells = cases
          .filter((c) => c.messageBytes === size)
          .sort(bestFirst)
          .map((c) => {
            const r = c.status === 'ok' ? String(++rank) : '';
            return probe === 'latency' ? latencyDetail(r, c, label(c), results.env) : throughputDetail(r, c, label(c));
          });
        return probe === 'latency'
          ? table(`detail-${probe}-${topology}-${size}`, formatBytes(size), LATENCY_HEADER, LATENCY_NUMERIC, cells)
          : table(`detail-${probe}-${topology}-${size}`, formatBytes(size), THROUGHPUT_HEADER, THROUGHPUT_NUMERIC, cells);
      });
      out.push({
        id: `detail-${probe}-${topology}`,
        kind: 'detail',
        heading: `${probe === 'latency' ? 'Round-trip latency' : 'Throughput'}, ${TOPOLOGY_TEXT[topology]}: every number`,
        intro: 'Per message size, best first; ranks count ok cases only.',
        tables,
        notes: [],
      });
    }
  }
  return out;
}

const LATENCY_HEADER = ['#', 'mechanism', 'p50 RTT', 'p99 RTT', 'p99.9 RTT', 'CPU client /RTT', 'CPU server /RTT', 'integrity', 'runs ok', 'notes'];
const LATENCY_NUMERIC = [true, false, true, true, true, true, true, false, true, false];
const THROUGHPUT_HEADER = ['#', 'mechanism', 'msgs/s', 'bytes/s', 'CPU client /msg', 'CPU server /msg', 'integrity', 'runs ok', 'notes'];
const THROUGHPUT_NUMERIC = [true, false, true, true, true, true, false, true, false];

/** "5/5", or "5/5: 271 ns to 972 ns" (marked) when the runs disagree. */
function runsCell(c: CaseResult): Cell {
  if (c.runs.length === 0) return word(dash);
  const text = `${c.runs.filter((r) => r.status === 'ok').length}/${c.runs.length}`;
  const s = runsDisagree(c);
  return s ? { text: `${text}: ${spreadText(c, s)}`, flag: 'runsDisagree', note: `best and worst run (${sig3(s.factor)}x)` } : word(text);
}

function noteText(c: CaseResult): string {
  return c.status === 'ok' ? '' : `${c.status}${c.reason ? `: ${c.reason}` : ''}`;
}

function percentileCell(c: CaseResult, ns: number | undefined, p: number): Cell {
  if (ns === undefined) return word(dash);
  const weak = unbackedPercentile(backingSamples(c), p);
  return { text: formatNs(ns), value: ns, ...(weak ? { flag: 'unreliable' as const, note: `p${p} from ${weak}` } : {}) };
}

const numberCell = (v: number | undefined, format: (x: number) => string): Cell => (v === undefined ? word(dash) : { text: format(v), value: v });

/** The columns every detail row ends with: CPU per side, integrity, runs, notes. */
function detailTail(c: CaseResult): Cell[] {
  return [
    numberCell(c.cpu?.clientUsPerMsg, formatUs),
    numberCell(c.cpu?.serverUsPerMsg, formatUs),
    { text: integrityText(c), ...(hasLoss(c) ? { flag: 'lossy' as const } : {}) },
    runsCell(c),
    { text: noteText(c), ...(c.status !== 'ok' ? { flag: c.status } : {}) },
  ];
}

function latencyDetail(rank: string, c: CaseResult, label: string, env: ResultFile['env']): Cell[] {
  const l = c.latencyNs;
  const p50 = numberCell(l?.p50, formatNs);
  return [word(rank), word(label), { ...p50, ...(nearMark(c, env) ?? spreadMark(c)) }, percentileCell(c, l?.p99, 99), percentileCell(c, l?.p999, 99.9), ...detailTail(c)];
}

function throughputDetail(rank: string, c: CaseResult, label: string): Cell[] {
  const t = c.throughput;
  return [word(rank), word(label), { ...numberCell(t?.msgsPerSec, formatRate), ...spreadMark(c) }, numberCell(t?.bytesPerSec, formatBytesPerSec), ...detailTail(c)];
}

// ---------------------------------------------------------------------------------------
// Runtimes and placements side by side
// ---------------------------------------------------------------------------------------

/** Signed difference of two durations: "+11.2 µs", "-0.40 µs". */
function deltaNs(ns: number): string {
  return `${ns >= 0 ? '+' : '-'}${formatNs(Math.abs(ns))}`;
}

/**
 * When both runtimes measured: per size, the native probe's round trip (the floor the
 * mechanism allows) against the Node probe's, and what Node adds.
 */
function runtimeSection(results: ResultFile, placement: PlacementId): Section | undefined {
  const measured = measuredRuntimes(results);
  if (!measured.includes('native') || !measured.includes('node')) return undefined;
  const tables: Table[] = [];
  const sentences: string[] = [];
  for (const topology of ['same-pod', 'cross-pod'] as const) {
    const at = (runtime: RuntimeId): CaseResult[] =>
      results.cases.filter((c) => c.runtime === runtime && c.placement === placement && c.topology === topology && c.probe === 'latency' && usable(c));
    const node = at('node');
    const native = at('native');
    const pairs = native.flatMap((n) => {
      const m = node.find((x) => mechanismLabel(x) === mechanismLabel(n) && x.messageBytes === n.messageBytes);
      return m ? [{ native: n, node: m }] : [];
    });
    if (pairs.length === 0) continue;
    const sizes = sizesOf(pairs.map((p) => p.native));
    const labels = [...new Set(pairs.map((p) => mechanismLabel(p.native)))].sort();
    const cells = labels.map((l) => [
      word(l),
      ...sizes.map((s): Cell => {
        const p = pairs.find((x) => mechanismLabel(x.native) === l && x.native.messageBytes === s);
        if (!p) return word(dash);
        const d = p.node.latencyNs!.p50 - p.native.latencyNs!.p50;
        return { text: `${deltaNs(d)} (${formatNs(p.native.latencyNs!.p50)} → ${formatNs(p.node.latencyNs!.p50)})`, value: d };
      }),
    ]);
    tables.push(table(`runtimes-${topology}`, `${TOPOLOGY_TEXT[topology]}: what Node adds to the native p50 round trip`, ['mechanism', ...sizes.map(formatBytes)], [false, ...sizes.map(() => true)], cells));
    const smallest = pairs.filter((p) => p.native.messageBytes === sizes[0]).map((p) => ({ label: mechanismLabel(p.native), d: p.node.latencyNs!.p50 - p.native.latencyNs!.p50 }));
    smallest.sort((a, b) => a.d - b.d || (a.label < b.label ? -1 : 1));
    const lo = smallest[0]!;
    const hi = smallest[smallest.length - 1]!;
    const where = `${TOPOLOGY_TEXT[topology]}, ${formatBytes(sizes[0]!)}`;
    sentences.push(
      deltaNs(lo.d) === deltaNs(hi.d)
        ? `${where}: Node adds ${formatNs(lo.d)} per round trip on ${smallest.length > 3 ? 'every mechanism' : smallest.map((x) => x.label).sort().join(', ')}.`
        : `${where}: Node adds from ${deltaNs(lo.d)} (${lo.label}) to ${deltaNs(hi.d)} (${hi.label}) per round trip.`,
    );
  }
  if (tables.length === 0) return undefined;
  return {
    id: 'runtimes',
    kind: 'runtimes',
    heading: 'Native floor vs Node',
    intro: `The same mechanisms measured by the native probe (C++: the floor the mechanism allows) and by the Node probe, on ${placement}: the difference is what the Node runtime adds per round trip. ${sentences.join(' ')}`,
    tables,
    notes: [],
  };
}

/** When a run has several placements: the same case on each, side by side, smallest and largest size. */
function placementSection(results: ResultFile, runtime: RuntimeId): Section | undefined {
  const placements = placementsOf(results);
  if (placements.length < 2) return undefined;
  const [first] = placements as [PlacementId];
  const tables: Table[] = [];
  for (const topology of ['same-pod', 'cross-pod'] as const) {
    const cases = results.cases.filter((c) => c.runtime === runtime && c.topology === topology && c.probe === 'latency' && usable(c));
    const sizes = sizesOf(cases);
    for (const size of [...new Set([sizes[0], sizes[sizes.length - 1]])].filter((s): s is number => s !== undefined)) {
      const at = cases.filter((c) => c.messageBytes === size);
      const labels = [...new Set(at.map((c) => mechanismLabel(c)))].filter((l) => at.filter((c) => mechanismLabel(c) === l).length > 1).sort();
      if (labels.length === 0) continue;
      const cells = labels.map((l) => {
        const base = at.find((c) => mechanismLabel(c) === l && c.placement === first);
        return [
          word(l),
          ...placements.map((p): Cell => {
            const c = at.find((x) => mechanismLabel(x) === l && x.placement === p);
            if (!c) return word(dash);
            const v = c.latencyNs!.p50;
            return p === first || !base ? { text: formatNs(v), value: v } : { text: `${formatNs(v)} (${deltaNs(v - base.latencyNs!.p50)})`, value: v };
          }),
        ];
      });
      tables.push(table(`placements-${topology}-${size}`, `${TOPOLOGY_TEXT[topology]}, ${formatBytes(size)}: p50 round trip`, ['mechanism', ...placements], [false, ...placements.map(() => true)], cells));
    }
  }
  if (tables.length === 0) return undefined;
  const isolation = placements.map((p) => `${p}: ${results.env.placements[p]!.isolation}`).join('; ');
  return {
    id: 'placements',
    kind: 'placements',
    heading: 'Placements side by side',
    intro: `The same case on each placement (${runtime} probe), the difference to ${first} in brackets: what the namespace boundary and the container runtime add. Isolation - ${isolation}.`,
    tables,
    notes: [],
  };
}

// ---------------------------------------------------------------------------------------
// What cannot run where, and what failed
// ---------------------------------------------------------------------------------------

interface Column {
  topology: Topology;
  runtime: RuntimeId;
  placement: PlacementId;
}

/** Which of a group's cases a reason covers, in words: "all", "throughput", "≥ 64 KiB", "latency 1 MiB". */
function subsetText(all: readonly CaseResult[], subset: readonly CaseResult[]): string {
  if (subset.length === all.length) return 'all';
  const probes = [...new Set(all.map((c) => c.probe))];
  const describe = (probe: ProbeKind): string | undefined => {
    const sizes = sizesOf(all.filter((c) => c.probe === probe));
    const skipped = sizesOf(subset.filter((c) => c.probe === probe));
    if (skipped.length === 0) return undefined;
    if (skipped.length === sizes.length) return 'all';
    const largest = skipped.every((s, i) => s === sizes[sizes.length - skipped.length + i]);
    return largest ? `≥ ${formatBytes(skipped[0]!)}` : skipped.map(formatBytes).join(', ');
  };
  const per = probes.map((p) => [p, describe(p)] as const).filter((x): x is readonly [ProbeKind, string] => x[1] !== undefined);
  // The same sizes on every probe: say it once ("≥ 64 KiB", not "latency ≥ 64 KiB, throughput ≥ 64 KiB").
  if (per.length === probes.length && new Set(per.map(([, d]) => d)).size === 1) return per[0]![1];
  return per.map(([p, d]) => (d === 'all' ? p : `${p} ${d}`)).join(', ');
}

function cannotRunSection(results: ResultFile): Section | undefined {
  const skipped = results.cases.filter((c) => c.status === 'skipped');
  if (skipped.length === 0) return undefined;
  const reasons: string[] = [];
  const note = (reason: string): number => {
    const i = reasons.indexOf(reason);
    return i >= 0 ? i + 1 : reasons.push(reason);
  };
  const columns: Column[] = [];
  for (const c of results.cases) {
    if (!columns.some((x) => x.topology === c.topology && x.runtime === c.runtime && x.placement === c.placement)) columns.push({ topology: c.topology, runtime: c.runtime, placement: c.placement });
  }
  const manyRuntimes = runtimesOf(results).length > 1;
  const manyPlacements = placementsOf(results).length > 1;
  const columnName = (k: Column): string => [TOPOLOGY_TEXT[k.topology], ...(manyRuntimes ? [k.runtime] : []), ...(manyPlacements ? [k.placement] : [])].join(' · ');
  const inColumn = (k: Column): CaseResult[] => results.cases.filter((c) => c.topology === k.topology && c.runtime === k.runtime && c.placement === k.placement);

  // A column where everything is skipped for one reason is one sentence, not a column of identical cells.
  const wholesale: string[] = [];
  const kept = columns.filter((k) => {
    const cs = inColumn(k);
    const why = [...new Set(cs.map((c) => (c.status === 'skipped' ? c.reason ?? 'no reason recorded' : '')))];
    if (why.length === 1 && why[0] !== '') {
      wholesale.push(`every ${columnName(k)} case [${note(why[0]!)}]`);
      return false;
    }
    return true;
  });
  const labels = [...new Set(skipped.filter((c) => kept.some((k) => k.topology === c.topology && k.runtime === c.runtime && k.placement === c.placement)).map((c) => mechanismLabel(c)))].sort();
  const cells = labels.map((label) => [
    word(label),
    ...kept.map((k): Cell => {
      const group = inColumn(k).filter((c) => mechanismLabel(c) === label);
      if (group.length === 0) return word(dash);
      const skips = group.filter((c) => c.status === 'skipped');
      if (skips.length === 0) return { text: '✓ runs' };
      const byReason = new Map<string, CaseResult[]>();
      for (const c of skips) byReason.set(c.reason ?? 'no reason recorded', [...(byReason.get(c.reason ?? 'no reason recorded') ?? []), c]);
      const parts = [...byReason].map(([reason, cs]) => `${subsetText(group, cs)} [${note(reason)}]`);
      const text = skips.length === group.length ? `skipped ${parts.join(', ').replace(/^all /, '')}` : `✓ but ${parts.join(', ')}`;
      return { text, flag: 'skipped', note: [...byReason.keys()].join('; ') };
    }),
  ]);
  const tables = kept.length && labels.length ? [table('cannot-run', 'mechanism × where: skipped cases', ['mechanism', ...kept.map(columnName)], [false, ...kept.map(() => false)], cells)] : [];
  return {
    id: 'cannot-run',
    kind: 'cannot-run',
    heading: 'What cannot run where',
    intro:
      `${skipped.length} case${skipped.length === 1 ? '' : 's'} could not run here; each reason once, numbered.` +
      (wholesale.length ? ` Skipped wholesale: ${wholesale.join('; ')}.` : '') +
      (tables.length ? ` Per mechanism (✓ runs: every case of that column ran${results.interrupted ? '; —: not reached before the run was interrupted' : ''}):` : ''),
    tables,
    notes: reasons.map((r, i) => `[${i + 1}] ${r}`),
  };
}

/** One line, at most `max` characters (failure reasons carry stderr tails). */
function oneLine(text: string, max = 300): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function failuresSection(results: ResultFile): Section | undefined {
  const failed = results.cases.filter((c) => c.status === 'failed');
  if (failed.length === 0) return undefined;
  const label = rowLabel(results);
  return {
    id: 'failures',
    kind: 'failures',
    heading: 'Failed cases',
    intro: `${failed.length} case${failed.length === 1 ? '' : 's'} failed in at least one run (their numbers above cover the ok runs only); the full reasons are in results.json.`,
    tables: [],
    notes: failed.map((c) => `**${label(c)} ${c.probe} ${formatBytes(c.messageBytes)} ${TOPOLOGY_TEXT[c.topology]}**: ${oneLine(c.reason ?? 'no reason recorded')}`),
  };
}

// ---------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------

function resourcesText(r: AppliedResources): string {
  const parts = [
    r.pin ? `pinned to CPUs ${r.pin.join(',')}` : 'not pinned (the scheduler places both sides)',
    ...(r.cpuLimitCores !== undefined ? [`CPU limit ${r.cpuLimitCores} cores`] : []),
    ...(r.memoryBytes !== undefined ? [`memory limit ${formatBytes(r.memoryBytes)}`] : []),
    ...(r.appliedWith ? [`applied with ${r.appliedWith}`] : []),
  ];
  return parts.join(', ');
}

/** Nested facts as words: "a: 1, b: (c: 2, d: 3)", arrays "x; y"; long values cut (results.json has them whole). */
export function readable(value: unknown, max = 240): string {
  const walk = (v: unknown): string => {
    if (v === null || v === undefined) return '(none)';
    if (Array.isArray(v)) return v.map(walk).join('; ');
    if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}: ${typeof x === 'object' && x !== null ? `(${walk(x)})` : walk(x)}`).join(', ');
    return String(v);
  };
  const s = walk(value);
  return s.length > max ? `${s.slice(0, max - 1)}… (whole in results.json)` : s;
}

function envBlock(results: ResultFile): Array<[string, string]> {
  const e = results.env;
  const rows: Array<[string, string]> = [
    ['placements', placementsOf(results).join(', ')],
    ['host', e.hostname ?? '(not recorded)'],
    ['kernel', e.kernel],
    ['CPU', `${e.cpuModel}, ${e.cores} cores`],
    ['Node', e.nodeVersion],
    ['Node probe V8 flags', nodeProbeV8FlagsText(e.nodeProbeV8Flags)],
    // The run's resolution: what each runtime's probe costs per round trip with no kernel in between.
    ...(e.probeOverhead ?? []).map((o): [string, string] => [
      `probe overhead (${o.runtime})`,
      `${o.perSize.map((p) => `${formatNs(p.roundTripNs)} per round trip at ${formatBytes(p.messageBytes)}`).join(', ')} (in-process, no kernel; latencies within ${NEAR_RESOLUTION_FACTOR}x are marked ≈)`,
    ]),
  ];
  for (const id of placementsOf(results)) {
    const f = e.placements[id]!;
    rows.push([`${id}: isolation`, f.isolation], [`${id}: resources`, resourcesText(f.resources)]);
    if (f.k8sVersion) rows.push([`${id}: Kubernetes`, f.k8sVersion]);
    if (f.boundary) rows.push([`${id}: boundary check`, f.boundary.passed ? `passed (${f.boundary.method})` : 'FAILED']);
    for (const [k, v] of Object.entries(f.details ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      // Schema 1 files kept these in details; they are shown above already.
      if (['boundary', 'resources', 'isolation', 'resourcesIgnored'].includes(k)) continue;
      rows.push([`${id}: ${k}`, readable(v)]);
    }
  }
  const cfg = results.config;
  rows.push(['git commit', results.tool.gitCommit], ['podipc', results.tool.version]);
  rows.push(['runs per case', `${cfg.runs}${cfg.quick ? ' (--quick)' : ''}`]);
  rows.push(['budget per run', `${cfg.warmupMs} ms and at least ${cfg.warmupRoundTrips} round trips of warm-up, ${cfg.measureMs} ms measured`]);
  rows.push(['runtimes', cfg.runtimes.join(', ')], ['sizes', cfg.sizesBytes.map(formatBytes).join(', ')]);
  rows.push(['started', results.startedAt], ['finished', results.finishedAt]);
  return rows;
}

// ---------------------------------------------------------------------------------------
// The whole report
// ---------------------------------------------------------------------------------------

/** "1 case", "3 cases". */
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function banners(results: ResultFile): Banner[] {
  const out: Banner[] = [];
  if (results.interrupted) {
    const measured = results.cases.filter((c) => c.runs.length > 0).length;
    out.push({
      kind: 'interrupted',
      text: `Interrupted (Ctrl-C): these are the ${plural(measured, 'case')} measured before the run stopped; the cases it never reached are missing, and a case may have fewer runs than asked for.`,
    });
  }
  const smoke = smokeBudget(results.config);
  if (smoke) {
    out.push({
      kind: 'smoke',
      text:
        `Smoke budget - do not decide on these numbers: ${smoke}. A case is worth deciding on with at least ${MIN_DECISION_RUNS} runs of ${MIN_DECISION_MEASURE_MS} ms measured each ` +
        `(the default profile: 'podipc run' without --quick)${results.config.quick ? `; this quick run measured ${results.config.sizesBytes.map(formatBytes).join(', ')} only` : ''}.`,
    });
  }
  return out;
}

/** The answer's smallest band per topology, as sentences (for layouts that want a list). */
function highlights(answer: Section | undefined): string[] {
  if (!answer) return [];
  return answer.tables.flatMap((t) => {
    const r = t.cells[0];
    return r ? [`${t.heading}, ${r[0]!.text}: request/response ${r[1]!.text}; streaming ${r[2]!.text}; cheapest ${r[3]!.text}.`] : [];
  });
}

/** "3 of 91 cases ...": how many cases' runs disagree (↕), or undefined when none do. */
function disagreeingRuns(results: ResultFile): string | undefined {
  const compared = results.cases.filter((c) => c.status !== 'skipped' && (c.probe === 'latency' || c.probe === 'throughput') && c.runs.filter((r) => r.status === 'ok').length >= 2);
  const split = compared.filter((c) => runsDisagree(c) !== undefined);
  if (split.length === 0) return undefined;
  return (
    `${split.length} of ${plural(compared.length, 'case')} with two or more runs: the runs disagree by ${RUNS_DISAGREE_FACTOR}x or more (↕), ` +
    'so those numbers pool runs that measured different situations: re-run them before deciding.'
  );
}

/** The whole report as data. */
export function buildReportModel(results: ResultFile): ReportModel {
  const count = (s: string): number => results.cases.filter((c) => c.status === s).length;
  const placements = placementsOf(results);
  const cfg = results.config;
  const runtimes = measuredRuntimes(results);
  const summary = [
    `${plural(results.cases.length, 'case')} on ${placements.map((p) => `**${p}**`).join(', ')} (${runtimesOf(results).join(' and ')} probe): ` +
      `${count('ok')} ok, ${count('skipped')} cannot run here, ${count('failed')} failed. ` +
      `${cfg.runs} independent runs per case, ${cfg.measureMs} ms measured each; numbers are over all runs, CPU is both sides' CPU time per message.`,
  ];
  const spread = disagreeingRuns(results);
  if (spread) summary.push(spread);
  const primary = primaryRuntime(results);
  const answer = answerSection(results, { runtime: primary, placement: placements[0]! }, runtimes.length);
  const sections: Section[] = answer ? [answer] : [];
  for (const probe of ['latency', 'throughput'] as const) {
    for (const topology of ['same-pod', 'cross-pod'] as const) {
      const s = bySizeSection(results, probe, topology, primary);
      if (s) sections.push(s);
    }
  }
  for (const s of [runtimeSection(results, placements[0]!), placementSection(results, primary)]) {
    if (s) sections.push(s);
  }
  for (const r of rateSections(results)) {
    sections.push({ id: r.id, kind: 'rate', heading: r.heading, intro: r.intro, tables: r.tables.map((t) => table(t.id, t.heading, t.header, t.numeric, t.cells)), notes: [] });
  }
  for (const s of [cannotRunSection(results), failuresSection(results)]) {
    if (s) sections.push(s);
  }
  const label = rowLabel(results);
  return {
    title: `podipc report: ${placements.join(', ')} on ${results.env.hostname ?? results.env.cpuModel}`,
    banners: banners(results),
    summary,
    highlights: highlights(answer),
    env: envBlock(results),
    sections,
    details: detailSections(results),
    problems: results.cases
      .filter((c) => c.status === 'failed')
      .map((c) => ({ key: `${label(c)} ${c.probe} ${formatBytes(c.messageBytes)} ${TOPOLOGY_TEXT[c.topology]}`, status: c.status, reason: c.reason ?? 'no reason recorded' })),
  };
}
