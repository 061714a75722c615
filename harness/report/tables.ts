/**
 * The report's content as plain data: sections, tables, the environment block. markdown.ts
 * and html.ts only lay it out, so both reports always say the same thing. Pure: a function
 * of results.json alone (no clock, no machine reads), so re-rendering an old file gives the
 * same report.
 */
import { mechanismLabel } from '../../core/vocabulary.js';
import { placementsOf, type AppliedResources, type CaseResult, type ResultFile } from '../../core/results.js';
import { formatBytes, formatBytesPerSec, formatNs, formatRate, formatUs, sig3 } from './format.js';
import { runtimeComparisonSections } from './runtime-comparison.js';
import { rateSections } from './rate.js';

export interface Table {
  heading: string;
  header: string[];
  /** Per column: right-align numbers. */
  numeric: boolean[];
  rows: string[][];
}

export interface Section {
  heading: string;
  intro: string;
  tables: Table[];
}

export interface ReportModel {
  title: string;
  summary: string[];
  highlights: string[];
  env: Array<[string, string]>;
  sections: Section[];
  problems: Array<{ key: string; status: string; reason: string }>;
}

const TOPOLOGY_TEXT = { 'same-pod': 'same pod', 'cross-pod': 'cross pod' } as const;
const STATUS_ORDER = { ok: 0, failed: 1, skipped: 2 } as const;

function hasLoss(c: CaseResult): boolean {
  return !!c.integrity && (c.integrity.lost > 0 || c.integrity.corrupt > 0);
}

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

/** "✓ 1.04 M msgs" or "✗ lost 1234 (0.41 %), corrupt 0". */
export function integrityText(c: CaseResult): string {
  const i = c.integrity;
  if (!i) return '—';
  if (i.lost === 0 && i.corrupt === 0) return `✓ ${countText(i.received)} msgs`;
  const lostPct = i.sent > 0 ? ` (${sig3((i.lost / i.sent) * 100)} %)` : '';
  return `✗ lost ${i.lost}${lostPct}, corrupt ${i.corrupt} of ${countText(i.sent)}`;
}

function countText(n: number): string {
  if (n >= 1e6) return `${sig3(n / 1e6)} M`;
  if (n >= 1e4) return `${sig3(n / 1e3)} k`;
  return String(n);
}

function runsText(c: CaseResult): string {
  if (c.runs.length === 0) return '—';
  return `${c.runs.filter((r) => r.status === 'ok').length}/${c.runs.length}`;
}

function noteText(c: CaseResult): string {
  if (c.status === 'ok') return '';
  return `${c.status}${c.reason ? `: ${c.reason}` : ''}`;
}

const dash = '—';

function latencyRow(rank: string, c: CaseResult, label: string): string[] {
  const l = c.latencyNs;
  return [
    rank,
    label,
    l ? formatNs(l.p50) : dash,
    l ? formatNs(l.p99) : dash,
    l ? formatNs(l.p999) : dash,
    c.cpu ? formatUs(c.cpu.clientUsPerMsg) : dash,
    c.cpu ? formatUs(c.cpu.serverUsPerMsg) : dash,
    integrityText(c),
    runsText(c),
    noteText(c),
  ];
}

function throughputRow(rank: string, c: CaseResult, label: string): string[] {
  const t = c.throughput;
  return [
    rank,
    label,
    t ? formatRate(t.msgsPerSec) : dash,
    t ? formatBytesPerSec(t.bytesPerSec) : dash,
    c.cpu ? formatUs(c.cpu.clientUsPerMsg) : dash,
    c.cpu ? formatUs(c.cpu.serverUsPerMsg) : dash,
    integrityText(c),
    runsText(c),
    noteText(c),
  ];
}

const LATENCY_HEADER = ['#', 'mechanism', 'p50 RTT', 'p99 RTT', 'p99.9 RTT', 'CPU client /RTT', 'CPU server /RTT', 'integrity', 'runs ok', 'notes'];
const LATENCY_NUMERIC = [true, false, true, true, true, true, true, false, true, false];
const THROUGHPUT_HEADER = ['#', 'mechanism', 'msgs/s', 'bytes/s', 'CPU client /msg', 'CPU server /msg', 'integrity', 'runs ok', 'notes'];
const THROUGHPUT_NUMERIC = [true, false, true, true, true, true, false, true, false];

function resourcesText(r: AppliedResources): string {
  const parts = [
    r.pin ? `pinned to CPUs ${r.pin.join(',')}` : 'not pinned (the scheduler places both sides)',
    ...(r.cpuLimitCores !== undefined ? [`CPU limit ${r.cpuLimitCores} cores`] : []),
    ...(r.memoryBytes !== undefined ? [`memory limit ${formatBytes(r.memoryBytes)}`] : []),
  ];
  return parts.join(', ');
}

function envBlock(results: ResultFile): Array<[string, string]> {
  const e = results.env;
  const rows: Array<[string, string]> = [
    ['placements', placementsOf(results).join(', ')],
    ['host', e.hostname ?? '(not recorded)'],
    ['kernel', e.kernel],
    ['CPU', e.cpuModel],
    ['cores', String(e.cores)],
    ['Node', e.nodeVersion],
  ];
  for (const id of placementsOf(results)) {
    const f = e.placements[id]!;
    rows.push([`${id}: isolation`, f.isolation], [`${id}: resources`, resourcesText(f.resources)]);
    if (f.k8sVersion) rows.push([`${id}: Kubernetes`, f.k8sVersion]);
    if (f.boundary) rows.push([`${id}: boundary check`, f.boundary.passed ? `passed (${f.boundary.method})` : 'FAILED']);
    for (const [k, v] of Object.entries(f.details ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      rows.push([`${id}: ${k}`, typeof v === 'string' ? v : JSON.stringify(v)]);
    }
  }
  rows.push(['git commit', results.tool.gitCommit], ['podipc', results.tool.version]);
  const cfg = results.config;
  rows.push(['runs per case', String(cfg.runs)]);
  rows.push(['budget per run', `${cfg.warmupMs} ms and at least ${cfg.warmupRoundTrips} round trips of warm-up, ${cfg.measureMs} ms measured`]);
  rows.push(['runtimes', cfg.runtimes.join(', ')]);
  rows.push(['started', results.startedAt], ['finished', results.finishedAt]);
  return rows;
}

/** "tcp", or "tcp · native · sandbox" when the file holds more than one runtime or placement. */
function rowLabel(results: ResultFile): (c: CaseResult) => string {
  const manyRuntimes = new Set(results.cases.map((c) => c.runtime)).size > 1;
  const manyPlacements = placementsOf(results).length > 1;
  return (c) => [mechanismLabel(c), ...(manyRuntimes ? [c.runtime] : []), ...(manyPlacements ? [c.placement] : [])].join(' · ');
}

function highlights(results: ResultFile): string[] {
  const out: string[] = [];
  for (const probe of ['latency', 'throughput'] as const) {
    for (const topology of ['same-pod', 'cross-pod'] as const) {
      const ok = results.cases.filter((c) => c.probe === probe && c.topology === topology && c.status === 'ok' && !hasLoss(c));
      if (!ok.length) continue;
      const size = Math.min(...ok.map((c) => c.messageBytes));
      const best = ok.filter((c) => c.messageBytes === size).sort(bestFirst)[0];
      if (!best) continue;
      const per = probe === 'latency' ? 'round trip' : 'message';
      const cpu = best.cpu ? `, CPU ${formatUs(best.cpu.clientUsPerMsg)} client + ${formatUs(best.cpu.serverUsPerMsg)} server per ${per}` : '';
      const what =
        probe === 'latency'
          ? `lowest round trip at ${formatBytes(size)}: **${mechanismLabel(best)}**, p50 ${formatNs(best.latencyNs?.p50 ?? 0)}, p99 ${formatNs(best.latencyNs?.p99 ?? 0)}`
          : `highest throughput at ${formatBytes(size)}: **${mechanismLabel(best)}**, ${formatRate(best.throughput?.msgsPerSec ?? 0)}`;
      out.push(`${TOPOLOGY_TEXT[topology]}, ${what}${cpu}.`);
    }
  }
  return out;
}

/** The whole report as data. */
export function buildReportModel(results: ResultFile): ReportModel {
  const count = (s: string): number => results.cases.filter((c) => c.status === s).length;
  const summary = [
    `${results.cases.length} cases on ${placementsOf(results).map((p) => `**${p}**`).join(', ')}: ${count('ok')} ok, ${count('skipped')} skipped, ${count('failed')} failed.`,
    'Tables are sorted best first (lowest p50 round trip, highest msgs/s); cases that lost or corrupted messages rank after clean ones. ' +
      'Numbers are medians over the runs (independent process pairs); CPU is CPU time on each side per message (per round trip in latency tables), so busy-polling shows up as cost.',
  ];
  const sections: Section[] = [];
  const label = rowLabel(results);
  for (const probe of ['latency', 'throughput'] as const) {
    for (const topology of ['same-pod', 'cross-pod'] as const) {
      const cases = results.cases.filter((c) => c.probe === probe && c.topology === topology);
      if (!cases.length) continue;
      const sizes = [...new Set(cases.map((c) => c.messageBytes))].sort((a, b) => a - b);
      const tables: Table[] = sizes.map((size) => {
        const sorted = cases.filter((c) => c.messageBytes === size).sort(bestFirst);
        let rank = 0;
        const rows = sorted.map((c) => {
          const r = c.status === 'ok' ? String(++rank) : '';
          return probe === 'latency' ? latencyRow(r, c, label(c)) : throughputRow(r, c, label(c));
        });
        return {
          heading: formatBytes(size),
          header: probe === 'latency' ? LATENCY_HEADER : THROUGHPUT_HEADER,
          numeric: probe === 'latency' ? LATENCY_NUMERIC : THROUGHPUT_NUMERIC,
          rows,
        };
      });
      sections.push({
        heading: probe === 'latency' ? `Round-trip latency, ${TOPOLOGY_TEXT[topology]}` : `Throughput, ${TOPOLOGY_TEXT[topology]}`,
        intro:
          probe === 'latency'
            ? 'Ping-pong round trip of one message each way (one-way latency is not claimed).'
            : 'One-directional stream with the mechanism’s own flow control.',
        tables,
      });
    }
  }
  sections.push(...runtimeComparisonSections(results));
  sections.push(...rateSections(results));
  const problems = results.cases
    .filter((c) => c.status !== 'ok')
    .map((c) => ({
      key: `${label(c)} ${c.probe} ${formatBytes(c.messageBytes)} ${TOPOLOGY_TEXT[c.topology]}`,
      status: c.status,
      reason: c.reason ?? 'no reason recorded',
    }));
  return {
    title: `podipc report: ${placementsOf(results).join(', ')} on ${results.env.hostname ?? results.env.cpuModel}`,
    summary,
    highlights: highlights(results),
    env: envBlock(results),
    sections,
    problems,
  };
}
