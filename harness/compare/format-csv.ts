/**
 * compare as CSV: one row per compared case (its runtime and placement in their own
 * columns), and before them - so they come first here too - the conclusion and one row per
 * config and environment difference. The `row` column says which kind a row is.
 */
import { toCsv, type CsvCell, type CsvColumn } from '../csv.js';
import type { Exporter } from '../exporter.js';
import type { CaseComparison, Comparison } from './engine.js';
import { headline } from './words.js';

/** A row of any kind: the fields it does not have stay empty. */
type Row = { row: string; key?: string; base?: CsvCell; head?: CsvCell; note?: string; x?: CaseComparison };

const fromCase = (pick: (x: CaseComparison) => CsvCell) => (r: Row): CsvCell => (r.x ? pick(r.x) : undefined);

const COLUMNS: readonly CsvColumn<Row>[] = [
  ['row', (r) => r.row],
  ['key', (r) => r.key],
  ['mechanism', fromCase((x) => (x.variant ? x.mechanism.slice(0, -(x.variant.length + 1)) : x.mechanism))],
  ['variant', fromCase((x) => x.variant)],
  ['runtime', fromCase((x) => x.runtime)],
  ['placement', fromCase((x) => x.placement)],
  ['probe', fromCase((x) => x.probe)],
  ['messageBytes', fromCase((x) => x.messageBytes)],
  ['topology', fromCase((x) => x.topology)],
  ['metric', fromCase((x) => x.metric)],
  ['base', (r) => (r.x ? r.x.base.median : r.base)],
  ['head', (r) => (r.x ? r.x.head.median : r.head)],
  ['changePct', fromCase((x) => x.changePct)],
  ['ciLowPct', fromCase((x) => x.ci.lowPct)],
  ['ciHighPct', fromCase((x) => x.ci.highPct)],
  ['confidence', fromCase((x) => x.ci.confidence)],
  ['p', fromCase((x) => x.p)],
  ['q', fromCase((x) => x.q)],
  ['verdict', fromCase((x) => x.verdict)],
  ['note', (r) => (r.x ? r.x.why : r.note)],
];

export function formatCompareCsv(c: Comparison): string {
  const rows: Row[] = [
    { row: 'conclusion', key: c.conclusion.kind, note: headline(c, (s) => s) },
    ...c.configDifferences.map((d): Row => ({ row: 'config', key: d.field, base: d.base, head: d.head })),
    ...c.envDifferences.map((d): Row => ({ row: 'environment', key: d.field, base: d.base, head: d.head })),
    ...c.cases.map((x): Row => ({ row: 'case', key: x.key, x })),
    ...c.notCompared.map((n): Row => ({ row: 'one-side-only', key: n.key, note: n.reason })),
    ...(c.unmeasuredOnBoth.count > 0 ? [{ row: 'neither-side', key: String(c.unmeasuredOnBoth.count), note: c.unmeasuredOnBoth.mechanisms.join(' ') }] : []),
    ...c.onlyInBase.map((k): Row => ({ row: 'only-in-base', key: k })),
    ...c.onlyInHead.map((k): Row => ({ row: 'only-in-head', key: k })),
  ];
  return toCsv(COLUMNS, rows);
}

export const compareCsv: Exporter<Comparison> = {
  format: 'csv',
  summary: 'one row per compared case (runtime and placement in columns), differences first',
  async serialize(c) {
    return [{ path: 'compare.csv', data: formatCompareCsv(c) }];
  },
};
