/**
 * report.csv: one row per case - mechanism, variant, runtime, placement, topology, probe and
 * size in their own columns - with every aggregate number, its best and worst run, whether
 * its tail percentiles are backed by enough samples, and the status and reason. Units are in the column names.
 */
import type { CaseResult, ResultFile } from '../../core/results.js';
import { percentileBacked } from '../../core/stats.js';
import { toCsv, type CsvColumn } from '../csv.js';
import type { Exporter } from '../exporter.js';
import { backingSamples, busyPolls, runSpread } from '../findings.js';

const backed = (c: CaseResult, p: number): boolean | undefined => {
  const n = backingSamples(c);
  return c.latencyNs && n !== undefined ? percentileBacked(n, p) : undefined;
};

/** The best and the worst ok run of a latency (p50, ns) or throughput (msg/s) case. */
const runEnds = (c: CaseResult, probe: CaseResult['probe']): [number, number] | undefined => {
  const s = c.probe === probe ? runSpread(c) : undefined;
  return s ? [s.best, s.worst] : undefined;
};

const COLUMNS: readonly CsvColumn<CaseResult>[] = [
  ['mechanism', (c) => c.mechanism],
  ['variant', (c) => c.variant],
  ['runtime', (c) => c.runtime],
  ['placement', (c) => c.placement],
  ['topology', (c) => c.topology],
  ['probe', (c) => c.probe],
  ['messageBytes', (c) => c.messageBytes],
  ['status', (c) => c.status],
  ['runsOk', (c) => c.runs.filter((r) => r.status === 'ok').length],
  ['runs', (c) => c.runs.length],
  ['p50Ns', (c) => c.latencyNs?.p50],
  ['p90Ns', (c) => c.latencyNs?.p90],
  ['p99Ns', (c) => c.latencyNs?.p99],
  ['p999Ns', (c) => c.latencyNs?.p999],
  ['maxNs', (c) => c.latencyNs?.max],
  ['meanNs', (c) => c.latencyNs?.mean],
  ['runP50BestNs', (c) => runEnds(c, 'latency')?.[0]],
  ['runP50WorstNs', (c) => runEnds(c, 'latency')?.[1]],
  ['samples', (c) => backingSamples(c)],
  ['p99Backed', (c) => backed(c, 99)],
  ['p999Backed', (c) => backed(c, 99.9)],
  ['msgsPerSec', (c) => c.throughput?.msgsPerSec],
  ['bytesPerSec', (c) => c.throughput?.bytesPerSec],
  ['runMsgsPerSecBest', (c) => runEnds(c, 'throughput')?.[0]],
  ['runMsgsPerSecWorst', (c) => runEnds(c, 'throughput')?.[1]],
  ['cpuClientUsPerMsg', (c) => c.cpu?.clientUsPerMsg],
  ['cpuServerUsPerMsg', (c) => c.cpu?.serverUsPerMsg],
  ['busyPolls', (c) => (c.probe === 'latency' && c.status === 'ok' ? busyPolls(c) : undefined)],
  ['sent', (c) => c.integrity?.sent],
  ['received', (c) => c.integrity?.received],
  ['lost', (c) => c.integrity?.lost],
  ['corrupt', (c) => c.integrity?.corrupt],
  ['reason', (c) => c.reason],
];

export function renderCsv(results: ResultFile): string {
  return toCsv(COLUMNS, results.cases);
}

export const reportCsv: Exporter<ResultFile> = {
  format: 'csv',
  summary: 'report.csv: one row per case (runtime and placement in columns), every number',
  async serialize(results) {
    return [{ path: 'report.csv', data: renderCsv(results) }];
  },
};
