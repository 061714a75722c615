/**
 * A case whose independent runs disagree (the worst run 2x the best or more) says so wherever
 * its number is read: the report's tables (↕, a footnote, the ends in the detail tables), its
 * summary, report.csv, the terminal summary and recommend. The pooled number alone reads as
 * ordinary.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import { mechanisms } from '../bench/registry.js';
import { runSpread, runsDisagree, RUNS_DISAGREE_FACTOR } from '../harness/findings.js';
import { recommend } from '../harness/recommend/engine.js';
import { renderCsv } from '../harness/report/export-csv.js';
import { renderMarkdown } from '../harness/report/markdown.js';
import { runSummary } from '../harness/report/summary.js';
import { buildReportModel } from '../harness/report/tables.js';

const base: ResultFile = parseResultFile(JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8')), 'base.json');

const is = (c: CaseResult, mechanism: string, probe: CaseResult['probe'], bytes: number): boolean =>
  c.mechanism === mechanism && c.probe === probe && c.messageBytes === bytes && c.topology === 'same-pod';

/** The fixture with tcp's 64 B round trip at `tcpP50s` per run and uds's 64 B stream at `udsRates`. */
function withRuns(tcpP50s: number[], udsRates: number[]): ResultFile {
  return {
    ...base,
    cases: base.cases.map((c): CaseResult => {
      if (is(c, 'tcp', 'latency', 64)) return { ...c, runs: c.runs.map((r, i) => ({ ...r, latencyNs: { ...r.latencyNs!, p50: tcpP50s[i]! } })) };
      if (is(c, 'uds', 'throughput', 64)) return { ...c, runs: c.runs.map((r, i) => ({ ...r, throughput: { ...r.throughput!, msgsPerSec: udsRates[i]! } })) };
      return c;
    }),
  };
}

// The fixture's own runs: tcp 33423 35079 35144 ns, uds 245082 246609 235269 msg/s.
const agreeing = withRuns([33423, 35079, 35144], [245082, 246609, 235269]);
const split = withRuns([33423, 35079, 81000], [245082, 100000, 235269]);
const caseOf = (r: ResultFile, mechanism: string, probe: CaseResult['probe']): CaseResult => r.cases.find((c) => is(c, mechanism, probe, 64))!;

test('the spread of a case: best and worst ok run in its probe\'s unit, flagged from 2x', () => {
  assert.equal(RUNS_DISAGREE_FACTOR, 2);
  const tcp = caseOf(split, 'tcp', 'latency');
  assert.deepEqual(runsDisagree(tcp), { runs: 3, best: 33423, worst: 81000, factor: 81000 / 33423 });
  // Throughput: more is better, so the best is the highest rate.
  assert.deepEqual(runsDisagree(caseOf(split, 'uds', 'throughput')), { runs: 3, best: 245082, worst: 100000, factor: 2.45082 });
  // Under 2x: a spread, not a disagreement.
  const near = withRuns([33423, 35079, 66000], [245082, 246609, 235269]);
  assert.ok(runSpread(caseOf(near, 'tcp', 'latency'))!.factor < 2);
  assert.equal(runsDisagree(caseOf(near, 'tcp', 'latency')), undefined);
  // Failed runs do not count, and one ok run has no spread.
  const oneOk: CaseResult = { ...tcp, runs: tcp.runs.map((r, i) => (i === 2 ? r : { ...r, status: 'failed' as const })) };
  assert.equal(runSpread(oneOk), undefined);
  const failedSlow: CaseResult = { ...tcp, runs: tcp.runs.map((r, i) => (i === 2 ? { ...r, status: 'failed' as const } : r)) };
  assert.equal(runsDisagree(failedSlow), undefined);
});

test('the report marks a case whose runs disagree ↕, gives both ends, and counts them in its summary', () => {
  const model = buildReportModel(split);
  const p50 = model.sections.find((s) => s.id === 'latency-same-pod')!.tables[0]!;
  const row = p50.cells.findIndex((r) => r[0]!.text === 'tcp');
  assert.equal(p50.cells[row]![1]!.flag, 'runsDisagree');
  assert.equal(p50.cells[row]![1]!.note, 'its 3 runs range from 33.4 µs to 81.0 µs (2.42x)');
  assert.match(p50.rows[row]![1]!, / ↕$/);
  assert.ok(p50.footnotes.some((f) => f.startsWith('↕ the independent runs disagree')), p50.footnotes.join('\n'));
  // The other cases' runs agree: no mark.
  assert.ok(p50.cells.filter((_, i) => i !== row).every((r) => r[1]!.flag !== 'runsDisagree'));
  const stream = model.sections.find((s) => s.id === 'throughput-same-pod')!.tables[0]!;
  assert.equal(stream.cells.find((r) => r[0]!.text === 'uds')![1]!.flag, 'runsDisagree');
  // The detail tables give the ends in "runs ok".
  const detail = model.details.find((s) => s.id === 'detail-latency-same-pod')!.tables[0]!;
  const runsOk = detail.header.indexOf('runs ok');
  const tcpRow = detail.cells.find((r) => r[1]!.text === 'tcp')!;
  assert.equal(tcpRow[runsOk]!.text, '3/3: 33.4 µs to 81.0 µs');
  assert.equal(tcpRow[runsOk]!.flag, 'runsDisagree');
  assert.equal(tcpRow[2]!.flag, 'runsDisagree');
  assert.equal(detail.cells.find((r) => r[1]!.text === 'uds')![runsOk]!.text, '3/3');
  assert.ok(model.summary.some((l) => /^2 of \d+ cases with two or more runs: the runs disagree by 2x or more \(↕\)/.test(l)), model.summary.join('\n'));
  assert.match(renderMarkdown(split), /↕ the independent runs disagree/);

  const calm = buildReportModel(agreeing);
  assert.ok(!calm.summary.some((l) => /disagree/.test(l)));
  assert.ok(![...calm.sections, ...calm.details].some((s) => s.tables.some((t) => t.cells.flat().some((c) => c.flag === 'runsDisagree'))));
});

test('report.csv carries every case\'s best and worst run', () => {
  const [header, ...rows] = renderCsv(split).trim().split('\n').map((l) => l.split(','));
  const col = (name: string): number => header!.indexOf(name);
  const tcp = rows.find((r) => r[col('mechanism')] === 'tcp' && r[col('probe')] === 'latency' && r[col('messageBytes')] === '64' && r[col('topology')] === 'same-pod')!;
  assert.equal(tcp[col('runP50BestNs')], '33423');
  assert.equal(tcp[col('runP50WorstNs')], '81000');
  assert.equal(tcp[col('runMsgsPerSecBest')], '');
  const uds = rows.find((r) => r[col('mechanism')] === 'uds' && r[col('probe')] === 'throughput' && r[col('messageBytes')] === '64' && r[col('topology')] === 'same-pod')!;
  assert.equal(uds[col('runMsgsPerSecBest')], '245082');
  assert.equal(uds[col('runMsgsPerSecWorst')], '100000');
});

test('the terminal summary and recommend say when the runs behind a number disagree', () => {
  assert.ok(runSummary(split).includes('2 cases: the runs disagree by 2x or more (marked ↕ in report.md): re-run before deciding on them'), runSummary(split).join('\n'));
  assert.ok(!runSummary(agreeing).some((l) => /disagree/.test(l)));

  const tcp = recommend(split, { messageBytes: 64, pattern: 'rpc', crossPod: false, noIpcNamespace: false }, mechanisms).choices.find((c) => c.mechanism === 'tcp')!;
  assert.equal(tcp.runsDisagree?.worst, 81000);
  assert.match(tcp.basis, /its 3 runs disagree, 33\.4 µs p50 to 81\.0 µs p50 \(2\.42x\): re-run before choosing on this number/);
  const calm = recommend(agreeing, { messageBytes: 64, pattern: 'rpc', crossPod: false, noIpcNamespace: false }, mechanisms).choices.find((c) => c.mechanism === 'tcp')!;
  assert.equal(calm.runsDisagree, undefined);
  assert.doesNotMatch(calm.basis, /disagree/);
});
