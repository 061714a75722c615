/**
 * report.csv: one row per case - mechanism, variant, runtime, placement, topology, probe and
 * size in their own columns - with every aggregate number, whether its tail percentiles
 * are backed by enough samples, and the status and reason. Units are in the column names.
 */
import type { CaseResult, ResultFile } from '../../core/results.js';
import { percentileBacked } from '../../core/stats.js';
import { toCsv, type CsvColumn } from '../csv.js';
import type { Exporter } from '../exporter.js';
import { backingSamples, busyPolls } from '../findings.js';

const backed = (c: CaseResult, p: number): boolean | undefined => {
  const n = backingSamples(c);
  return c.latencyNs && n !== undefined ? percentileBacked(n, p) : undefined;
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
  ['samples', (c) => backingSamples(c)],
  ['p99Backed', (c) => backed(c, 99)],
  ['p999Backed', (c) => backed(c, 99.9)],
  ['msgsPerSec', (c) => c.throughput?.msgsPerSec],
  ['bytesPerSec', (c) => c.throughput?.bytesPerSec],
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
