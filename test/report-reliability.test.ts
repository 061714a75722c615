/**
 * What a report says about how far to trust its numbers: a banner when the budgets are too
 * small to decide on (quick, fewer than 3 runs, under 200 ms measured) or the run was
 * interrupted, and percentiles marked when too few round trips back them (p99 needs 1,000,
 * p99.9 10,000).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import { smokeBudget } from '../harness/findings.js';
import { renderMarkdown } from '../harness/report/markdown.js';
import { buildReportModel } from '../harness/report/tables.js';

const base: ResultFile = parseResultFile(JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8')), 'base.json');

/** The fixture with every run's round-trip count set to `samples`. */
function withSamples(samples: number): ResultFile {
  return { ...base, cases: base.cases.map((c): CaseResult => ({ ...c, runs: c.runs.map((r) => (r.latencyNs ? { ...r, samples } : r)) })) };
}

test('the smoke rule: quick, fewer than 3 runs, or under 200 ms measured', () => {
  assert.equal(smokeBudget(base.config), undefined);
  assert.match(smokeBudget({ ...base.config, quick: true }) ?? '', /a --quick run/);
  assert.match(smokeBudget({ ...base.config, runs: 2 }) ?? '', /2 runs per case \(fewer than 3\)/);
  assert.match(smokeBudget({ ...base.config, measureMs: 40 }) ?? '', /40 ms measured per case and run \(under 200 ms\)/);
});

test('a quick run opens with the smoke banner, naming the sizes it measured', () => {
  const quick = { ...base, config: { ...base.config, quick: true, measureMs: 40, runs: 5, sizesBytes: [64, 16384, 1 << 20] } };
  const md = renderMarkdown(quick);
  assert.match(md, /^# .*\n\n> \[!WARNING\]\n> Smoke budget - do not decide on these numbers: a --quick run, 40 ms measured per case and run \(under 200 ms\)\..*measured 64 B, 16 KiB, 1 MiB only/);
  assert.doesNotMatch(renderMarkdown(base), /Smoke budget/);
});

test('an interrupted run says so in a banner', () => {
  const md = renderMarkdown({ ...base, interrupted: true });
  assert.match(md, /> \[!WARNING\]\n> Interrupted \(Ctrl-C\): these are the \d+ cases measured before the run stopped/);
  assert.doesNotMatch(renderMarkdown(base), /Interrupted/);
});

test('p99 from fewer than 1,000 round trips is marked, from 1,000 or more it is a plain number', () => {
  const cell = (r: ResultFile): string => {
    const section = buildReportModel(r).sections.find((s) => s.id === 'latency-same-pod')!;
    return section.tables[0]!.rows.find((row) => row[0] === 'tcp')![1]!;
  };
  assert.match(cell(withSamples(500)), / †$/);
  assert.doesNotMatch(cell(withSamples(1000)), /†/);
  const model = buildReportModel(withSamples(500));
  const c = model.sections.find((s) => s.id === 'latency-same-pod')!.tables[0]!.cells.find((r) => r[0]!.text === 'tcp')![1]!;
  assert.equal(c.flag, 'unreliable');
  assert.match(c.note ?? '', /p99 from 500 round trips; p99 needs 1,000/);
});

test('p99.9 is marked below 10,000 round trips in the detail tables', () => {
  const p999 = (r: ResultFile): { text: string; flag?: string } => {
    const detail = buildReportModel(r).details.find((s) => s.id === 'detail-latency-same-pod')!;
    return detail.tables[0]!.cells.find((row) => row[1]!.text === 'tcp')![4]!;
  };
  assert.equal(p999(withSamples(9_999)).flag, 'unreliable');
  assert.equal(p999(withSamples(10_000)).flag, undefined);
});

test('a latency near the probe\'s own cost is marked ≈ with the overhead it is near, and the environment prints the overhead', () => {
  // shm-posix/spin's 64 B p50 in the fixture is 579 ns: within 3x of a 250 ns probe overhead; tcp's is not.
  const probeOverhead = [{ runtime: 'node' as const, method: 'in-process loopback (test)', perSize: [{ messageBytes: 64, roundTripNs: 250, samples: 1000 }] }];
  const near: ResultFile = { ...base, env: { ...base.env, probeOverhead } };
  const model = buildReportModel(near);
  const p50 = model.sections.find((s) => s.id === 'latency-same-pod')!.tables[0]!;
  const row = (label: string): number => p50.cells.findIndex((r) => r[0]!.text === label);
  const shm = p50.cells[row('shm-posix/spin')]![1]!;
  assert.equal(shm.flag, 'nearResolution');
  assert.match(shm.note ?? '', /p50 within 3x of the probe's own 250 ns per round trip at this size/);
  assert.match(p50.rows[row('shm-posix/spin')]![1]!, / ≈$/);
  assert.notEqual(p50.cells[row('tcp')]![1]!.flag, 'nearResolution');
  assert.ok(p50.footnotes.some((f) => f.startsWith('≈ the p50 is within 3x of what the probe itself costs')), p50.footnotes.join('\n'));
  // Sizes without a recorded overhead are not judged.
  assert.notEqual(p50.cells[row('shm-posix/spin')]![2]!.flag, 'nearResolution');
  const detail = model.details.find((s) => s.id === 'detail-latency-same-pod')!.tables[0]!;
  assert.equal(detail.cells.find((r) => r[1]!.text === 'shm-posix/spin')![2]!.flag, 'nearResolution');
  assert.deepEqual(model.env.find(([k]) => k === 'probe overhead (node)'), ['probe overhead (node)', '250 ns per round trip at 64 B (in-process, no kernel; latencies within 3x are marked ≈)']);
  assert.match(renderMarkdown(near), /≈ the p50 is within 3x/);
  // Without a recorded overhead nothing is judged near.
  assert.ok(!buildReportModel(base).sections.some((s) => s.tables.some((t) => t.cells.flat().some((c) => c.flag === 'nearResolution'))));
});
