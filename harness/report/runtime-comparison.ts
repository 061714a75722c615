/**
 * Native floor vs Node: for every mechanism measured by both runtimes on the same placement,
 * what the native probe measured (the mechanism's own cost, as a C, C++, Go or Rust program
 * pays it) beside what the Node probe measured, and the difference ("Node adds 11 µs per
 * round trip on tcp"). One report section per probe and topology with one table per size,
 * and a latency chart with both runtimes side by side (solid native, dashed Node). Pure: a
 * function of results.json alone, like the rest of the report.
 */
import { placementsOf, type CaseResult, type ResultFile } from '../../core/results.js';
import { mechanismLabel, type PlacementId, type Topology } from '../../core/vocabulary.js';
import { formatBytes, formatNs, formatRate, formatUs, sig3 } from './format.js';

/*
 * The shapes this module returns are the report model's Table and Section (tables.ts) and
 * ChartSpec (charts.ts), written out here: those modules call this one, so importing their
 * types back would make an import cycle. TypeScript checks the shapes where they are used.
 */
interface Table {
  heading: string;
  header: string[];
  numeric: boolean[];
  rows: string[][];
}

interface Section {
  heading: string;
  intro: string;
  tables: Table[];
}

interface ChartSeries {
  label: string;
  color: string;
  dashed: boolean;
  points: Array<{ x: number; y: number; yHigh?: number }>;
}

interface ChartSpec {
  id: string;
  title: string;
  subtitle: string[];
  xLabel: string;
  yLabel: string;
  yFormat: 'us' | 'MBps';
  whiskers: boolean;
  xTicks: number[];
  series: ChartSeries[];
  width: number;
  height: number;
}

const TOPOLOGY_TEXT = { 'same-pod': 'same pod', 'cross-pod': 'cross pod' } as const;

/** A mechanism measured ok by both runtimes at one size, placement and topology. */
export interface RuntimePair {
  label: string;
  placement: PlacementId;
  messageBytes: number;
  native: CaseResult;
  node: CaseResult;
}

const cleanOk = (c: CaseResult): boolean => c.status === 'ok' && !(c.integrity && (c.integrity.lost > 0 || c.integrity.corrupt > 0));

/** Every native/Node pair of ok, loss-free cases for one probe and topology. */
export function runtimePairs(results: ResultFile, probe: CaseResult['probe'], topology: Topology): RuntimePair[] {
  const key = (c: CaseResult): string => `${mechanismLabel(c)} ${c.placement} ${c.messageBytes}`;
  const nodeCases = new Map(
    results.cases.filter((c) => c.runtime === 'node' && c.probe === probe && c.topology === topology && cleanOk(c)).map((c) => [key(c), c]),
  );
  const pairs: RuntimePair[] = [];
  for (const native of results.cases) {
    if (native.runtime !== 'native' || native.probe !== probe || native.topology !== topology || !cleanOk(native)) continue;
    const node = nodeCases.get(key(native));
    if (node) pairs.push({ label: mechanismLabel(native), placement: native.placement, messageBytes: native.messageBytes, native, node });
  }
  return pairs;
}

const cpuPerMsg = (c: CaseResult): number | undefined => (c.cpu ? c.cpu.clientUsPerMsg + c.cpu.serverUsPerMsg : undefined);
const dash = '—';

function latencyTable(pairs: RuntimePair[], heading: string): { table: Table; sentence: string } {
  const sorted = [...pairs].sort((a, b) => a.native.latencyNs!.p50 - b.native.latencyNs!.p50 || (a.label < b.label ? -1 : 1));
  const rows = sorted.map((p) => {
    const nat = p.native.latencyNs!;
    const node = p.node.latencyNs!;
    const nc = cpuPerMsg(p.native);
    const jc = cpuPerMsg(p.node);
    return [
      p.label,
      formatNs(nat.p50),
      formatNs(node.p50),
      `${node.p50 >= nat.p50 ? '+' : '-'}${formatNs(Math.abs(node.p50 - nat.p50))}`,
      nat.p50 > 0 ? `${sig3(node.p50 / nat.p50)}×` : dash,
      formatNs(nat.p99),
      formatNs(node.p99),
      nc !== undefined ? formatUs(nc) : dash,
      jc !== undefined ? formatUs(jc) : dash,
    ];
  });
  return {
    table: {
      heading,
      header: ['mechanism', 'native p50', 'Node p50', 'Node adds', 'Node / native', 'native p99', 'Node p99', 'native CPU /RTT', 'Node CPU /RTT'],
      numeric: [false, true, true, true, true, true, true, true, true],
      rows,
    },
    sentence: `${heading}: Node adds ${sorted
      .map((p, i) => {
        const d = p.node.latencyNs!.p50 - p.native.latencyNs!.p50;
        const amount = d >= 0 ? formatNs(d) : `-${formatNs(-d)} (Node faster)`;
        return i === 0 ? `${amount} per round trip on ${p.label}` : `${amount} on ${p.label}`;
      })
      .join(', ')}.`,
  };
}

function throughputTable(pairs: RuntimePair[], heading: string): { table: Table; sentence: string } {
  const rate = (c: CaseResult): number => c.throughput?.msgsPerSec ?? 0;
  const sorted = [...pairs].sort((a, b) => rate(b.native) - rate(a.native) || (a.label < b.label ? -1 : 1));
  const rows = sorted.map((p) => {
    const nc = cpuPerMsg(p.native);
    const jc = cpuPerMsg(p.node);
    return [
      p.label,
      formatRate(rate(p.native)),
      formatRate(rate(p.node)),
      rate(p.native) > 0 ? `${sig3((rate(p.node) / rate(p.native)) * 100)} %` : dash,
      nc !== undefined ? formatUs(nc) : dash,
      jc !== undefined ? formatUs(jc) : dash,
    ];
  });
  const share = (p: RuntimePair, i: number): string =>
    `${rate(p.native) > 0 ? sig3((rate(p.node) / rate(p.native)) * 100) : '?'} %${i === 0 ? ' of the native rate' : ''} on ${p.label}`;
  return {
    table: {
      heading,
      header: ['mechanism', 'native msgs/s', 'Node msgs/s', 'Node / native', 'native CPU /msg', 'Node CPU /msg'],
      numeric: [false, true, true, true, true, true],
      rows,
    },
    sentence: `${heading}: Node reaches ${sorted.map(share).join(', ')}.`,
  };
}

/** The report sections: one per probe and topology with pairs, one table per size (and placement). */
export function runtimeComparisonSections(results: ResultFile): Section[] {
  const sections: Section[] = [];
  const manyPlacements = placementsOf(results).length > 1;
  for (const probe of ['latency', 'throughput'] as const) {
    for (const topology of ['same-pod', 'cross-pod'] as const) {
      const pairs = runtimePairs(results, probe, topology);
      if (!pairs.length) continue;
      const groups = new Map<string, RuntimePair[]>();
      for (const p of [...pairs].sort((a, b) => a.messageBytes - b.messageBytes)) {
        const heading = manyPlacements ? `${formatBytes(p.messageBytes)} on ${p.placement}` : formatBytes(p.messageBytes);
        groups.set(heading, [...(groups.get(heading) ?? []), p]);
      }
      const built = [...groups.entries()].map(([heading, g]) => (probe === 'latency' ? latencyTable(g, heading) : throughputTable(g, heading)));
      const intro =
        probe === 'latency'
          ? "The native probe is the mechanism's floor: the same frames, checksums and wake-ups in C++, so the difference is what Node's event loop and per-message JavaScript add to a round trip (medians of the runs; CPU is client + server per round trip)."
          : 'The same one-way stream from both probes: the share of the native rate Node reaches, and the CPU each spends per message (client + server).';
      sections.push({
        heading: `Native floor vs Node: ${probe === 'latency' ? 'round-trip latency' : 'throughput'}, ${TOPOLOGY_TEXT[topology]}`,
        intro: [intro, ...built.map((b) => b.sentence)].join(' '),
        tables: built.map((b) => b.table),
      });
    }
  }
  return sections;
}

/**
 * Round-trip latency vs message size, both runtimes side by side: one colour per mechanism,
 * solid native, dashed Node, per topology (on the first placement, like the other charts).
 */
export function runtimeComparisonCharts(
  results: ResultFile,
  colors: ReadonlyMap<string, string>,
  size: { width: number; height: number },
): ChartSpec[] {
  const placement = placementsOf(results)[0];
  const specs: ChartSpec[] = [];
  for (const topology of ['same-pod', 'cross-pod'] as const) {
    const pairs = runtimePairs(results, 'latency', topology).filter((p) => p.placement === placement);
    if (!pairs.length) continue;
    const series: ChartSeries[] = [];
    for (const runtime of ['native', 'node'] as const) {
      const byLabel = new Map<string, RuntimePair[]>();
      for (const p of pairs) byLabel.set(p.label, [...(byLabel.get(p.label) ?? []), p]);
      for (const [label, ps] of [...byLabel.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        series.push({
          label: `${label} (${runtime === 'native' ? 'native' : 'Node'})`,
          color: colors.get(label) ?? '#333333',
          dashed: runtime === 'node',
          points: ps
            .map((p) => {
              const l = p[runtime].latencyNs!;
              return { x: p.messageBytes, y: l.p50 / 1e3, yHigh: l.p99 / 1e3 };
            })
            .sort((a, b) => a.x - b.x),
        });
      }
    }
    const e = results.env;
    specs.push({
      id: `latency-native-vs-node-${topology}`,
      title: `Native floor vs Node: round-trip latency, ${TOPOLOGY_TEXT[topology]} (${placement}, on ${e.hostname ?? e.cpuModel})`,
      subtitle: [
        'solid: native probe (the mechanism itself), dashed: Node probe; dot: p50, whisker: up to p99; lower is better',
        `${e.cpuModel}, ${e.cores} cores, kernel ${e.kernel}, Node ${e.nodeVersion}, podipc ${results.tool.version} (${results.tool.gitCommit.slice(0, 12)})`,
      ],
      xLabel: 'message size (bytes, log scale)',
      yLabel: 'round-trip latency (µs, log scale)',
      yFormat: 'us',
      whiskers: true,
      xTicks: [...new Set(pairs.map((p) => p.messageBytes))].sort((a, b) => a - b),
      series,
      ...size,
    });
  }
  return specs;
}
