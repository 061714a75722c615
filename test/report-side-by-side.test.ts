/**
 * When a run has both runtimes, the report has "Native floor vs Node": per size, the native
 * probe's p50 round trip, Node's, and what Node adds; when it has several placements, the
 * same case on each placement side by side with the difference to the first. Built from
 * the committed fixture with a native (or second placement) copy of some of its cases.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import { renderMarkdown } from '../harness/report/markdown.js';
import { buildReportModel, primaryRuntime } from '../harness/report/tables.js';

const base: ResultFile = parseResultFile(JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8')), 'base.json');
const latency = (c: CaseResult): boolean => c.probe === 'latency' && c.status === 'ok' && (c.mechanism === 'tcp' || c.mechanism === 'uds');

/** A copy of the tcp and uds latency cases with every latency less by `lessNs`. */
function faster(cases: CaseResult[], lessNs: number, change: Partial<CaseResult>): CaseResult[] {
  return cases.filter(latency).map((c) => ({
    ...c,
    ...change,
    latencyNs: Object.fromEntries(Object.entries(c.latencyNs!).map(([k, v]) => [k, k === 'stddev' ? v : v - lessNs])) as NonNullable<CaseResult['latencyNs']>,
  }));
}

test('both runtimes: what Node adds per round trip, per mechanism and size; the main tables stay Node', () => {
  const both: ResultFile = { ...base, cases: [...base.cases, ...faster(base.cases, 11_200, { runtime: 'native' })] };
  assert.equal(primaryRuntime(both), 'node');
  const model = buildReportModel(both);
  const section = model.sections.find((s) => s.kind === 'runtimes')!;
  assert.ok(section, 'no runtime comparison');
  const same = section.tables.find((t) => t.id === 'runtimes-same-pod')!;
  assert.deepEqual(same.header, ['mechanism', '64 B', '1 KiB', '64 KiB', '1 MiB']);
  const tcp = same.cells.find((r) => r[0]!.text === 'tcp')!;
  const node64 = base.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.messageBytes === 64 && c.topology === 'same-pod')!.latencyNs!.p50;
  assert.equal(tcp[1]!.value, 11_200);
  assert.equal(tcp[1]!.text, `+11.2 µs (${((node64 - 11_200) / 1e3).toPrecision(3)} µs → ${(node64 / 1e3).toPrecision(3)} µs)`);
  assert.match(section.intro, /same pod, 64 B: Node adds 11\.2 µs per round trip on tcp, uds\./);
  // The tables by size show the Node probe only (the native numbers are in this section and the details).
  const main = model.sections.find((s) => s.id === 'latency-same-pod')!;
  assert.match(main.heading, /\(node probe\)$/);
  assert.ok(!main.tables[0]!.rows.some((r) => /native/.test(r[0]!)));
  assert.match(renderMarkdown(both), /## Native floor vs Node\n/);
  assert.equal(buildReportModel(base).sections.find((s) => s.kind === 'runtimes'), undefined, 'one runtime: no such section');
});

test('several placements: the same case on each, and the difference to the first', () => {
  const two: ResultFile = {
    ...base,
    env: { ...base.env, placements: { process: { isolation: 'none: two host processes', resources: {} }, ...base.env.placements } },
    cases: [...base.cases, ...faster(base.cases, 5_000, { placement: 'process' })],
  };
  const section = buildReportModel(two).sections.find((s) => s.kind === 'placements')!;
  assert.ok(section, 'no placement comparison');
  assert.match(section.intro, /Isolation - process: none: two host processes; sandbox: /);
  const t = section.tables.find((x) => x.id === 'placements-same-pod-64')!;
  assert.deepEqual(t.header, ['mechanism', 'process', 'sandbox']);
  const tcp = t.cells.find((r) => r[0]!.text === 'tcp')!;
  assert.match(tcp[2]!.text, /\(\+5\.00 µs\)$/);
  assert.ok(section.tables.some((x) => x.id === 'placements-same-pod-1048576'), 'the largest size too');
});
