/**
 * report.md's layout on the committed fixture: the answer first, then one compact table
 * per probe and topology (mechanisms as rows, sizes as columns, best first), one matrix of
 * what cannot run where with each reason once, failures by name, the environment as
 * readable rows; a pure function of results.json; `podipc report` re-renders it.
 */
import { capture } from './helpers/cli.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { mechanismLabel } from '../core/vocabulary.js';
import { renderMarkdown } from '../harness/report/markdown.js';
import { renderHtml } from '../harness/report/html.js';
import { buildChartSpecs } from '../harness/report/charts.js';
import { reportCommand } from '../harness/commands/report.js';

const BASE_PATH = fileURLToPath(new URL('../../test/fixtures/good/base.json', import.meta.url));
const results: ResultFile = parseResultFile(JSON.parse(readFileSync(BASE_PATH, 'utf8')), 'base.json');
const tmp = mkdtempSync(join(tmpdir(), 'podipc-report-md-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The table under a "### heading" as rows of cells (header and alignment rows dropped). */
function table(md: string, heading: string): string[][] {
  const start = md.indexOf(`### ${heading}\n`);
  assert.ok(start >= 0, `no table "${heading}"`);
  const lines = md.slice(start).split('\n').slice(1);
  const rows: string[][] = [];
  for (const line of lines) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  return rows.slice(2);
}

test('the environment is readable rows: kernel, CPU and cores, Node, placement, pinning, commit; no JSON', () => {
  const md = renderMarkdown(results);
  for (const row of [
    '| placements | sandbox |',
    '| kernel | 6.18.0-podipc #1 SMP PREEMPT_DYNAMIC |',
    '| CPU | Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz, 2 cores |',
    '| Node | v20.20.2 |',
    '| sandbox: resources | pinned to CPUs 0,1 |',
    '| git commit | 3f2a9c1d0b7e4f6a8c2d1e0f9a8b7c6d5e4f3a2b |',
    '| host | ci-runner-7 |',
  ]) {
    assert.ok(md.includes(row), `missing ${row}`);
  }
  const env = md.slice(md.indexOf('## Environment'));
  assert.doesNotMatch(env, /[{}[\]"]/, 'a JSON blob in the environment table');
});

test('the report opens with the answer, before the charts and the tables', () => {
  const md = renderMarkdown(results);
  const headings = md.split('\n').filter((l) => l.startsWith('## '));
  assert.equal(headings[0], '## The answer');
  assert.ok(headings.indexOf('## Charts') > 0 && headings.indexOf('## Charts') < headings.indexOf('## Round-trip latency, same pod'));
  assert.equal(headings[headings.length - 1], '## Environment');
});

test('one compact table per probe and topology: sizes as columns, best first at the smallest size, no skipped rows', () => {
  const md = renderMarkdown(results);
  for (const section of ['Round-trip latency, same pod', 'Round-trip latency, cross pod', 'Throughput, same pod', 'Throughput, cross pod']) {
    assert.ok(md.includes(`## ${section}\n`), section);
  }
  const rows = table(md, 'Round-trip latency, same pod: p50 / p99 round trip');
  assert.deepEqual(rows.map((r) => r[0]), ['shm-posix/spin', 'shm-posix/futex', 'mq-posix', 'uds', 'udp', 'tcp']);
  const tcp = results.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.topology === 'same-pod' && c.messageBytes === 64)!;
  const us = (ns: number): string => `${(ns / 1e3).toPrecision(3)} µs`;
  assert.equal(rows.find((r) => r[0] === 'tcp')?.[1], `${us(tcp.latencyNs!.p50)} / ${us(tcp.latencyNs!.p99)}`);
  // udp cannot carry 64 KiB: a dash in its row, not a row of its own.
  assert.equal(rows.find((r) => r[0] === 'udp')?.[3], '—');
  const cpu = table(md, 'Round-trip latency, same pod: CPU per round trip, client + server');
  assert.equal(cpu.find((r) => r[0] === 'tcp')?.[1], `${tcp.cpu!.clientUsPerMsg.toPrecision(3)} µs + ${tcp.cpu!.serverUsPerMsg.toPrecision(3)} µs`);
  // Cross pod: only what separate pods can share ran; shm-posix/spin is not a row there.
  assert.deepEqual(table(md, 'Round-trip latency, cross pod: p50 / p99 round trip').map((r) => r[0]).sort(), ['tcp', 'udp']);
});

test('throughput: lossy UDP is marked and ranked after clean mechanisms; a failed case is marked, its reason listed once', () => {
  const md = renderMarkdown(results);
  const rows = table(md, 'Throughput, same pod: messages/s (bytes/s)');
  assert.equal(rows[0]?.[0], 'shm-posix/spin');
  assert.match(rows.find((r) => r[0] === 'udp')?.[2] ?? '', / ✗$/);
  assert.match(rows.find((r) => r[0] === 'shm-posix/futex')?.[4] ?? '', / ‼$/);
  assert.match(md, /## Failed cases\n\n.*\n\n- \*\*shm-posix\/futex throughput 1 MiB same pod\*\*: 1 of 3 runs failed: client timed out/);
  assert.match(md, /<sub>✗ lost or corrupted messages/);
});

test('what cannot run where is one matrix: a row per mechanism, each reason once as a numbered footnote', () => {
  const md = renderMarkdown(results);
  const rows = table(md, 'What cannot run where: mechanism × where: skipped cases');
  assert.deepEqual(rows.map((r) => r[0]), ['shm-posix/spin', 'udp']);
  assert.deepEqual(rows.find((r) => r[0] === 'udp'), ['udp', '✓ but ≥ 64 KiB [2]', '✓ but ≥ 64 KiB [2]']);
  assert.deepEqual(rows.find((r) => r[0] === 'shm-posix/spin'), ['shm-posix/spin', '✓ runs', 'skipped [1]']);
  for (const c of results.cases.filter((x) => x.status === 'skipped')) {
    const occurrences = md.split(c.reason!).length - 1;
    assert.equal(occurrences, 1, `the reason of ${mechanismLabel(c)} appears ${occurrences} times`);
  }
  assert.match(md, /^- \[2\] UDP carries at most 65507 bytes/m);
});

test('the report links every chart and the counts add up', () => {
  const md = renderMarkdown(results);
  for (const spec of buildChartSpecs(results)) assert.ok(md.includes(`](charts/${spec.id}.png)`), spec.id);
  assert.match(md, /66 cases on \*\*sandbox\*\* \(node probe\): 55 ok, 10 cannot run here, 1 failed\./);
});

test('every table row has as many cells as its header, even with a pipe in a reason', () => {
  const odd: ResultFile = {
    ...results,
    cases: [
      ...results.cases.filter((c) => c.mechanism === 'tcp'),
      { mechanism: 'fifo', runtime: 'node', placement: 'sandbox', probe: 'latency', messageBytes: 64, topology: 'same-pod', status: 'skipped', reason: 'needs a | b', runs: [] },
      { mechanism: 'uds', runtime: 'node', placement: 'sandbox', probe: 'latency', messageBytes: 64, topology: 'same-pod', status: 'failed', reason: 'it | broke', runs: [] },
    ],
  };
  const md = renderMarkdown(odd);
  assert.ok(md.includes('needs a | b') && md.includes('it | broke'));
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('|') || lines[i - 1]?.startsWith('|')) continue;
    const cells = (l: string): number => l.split(/(?<!\\)\|/).length;
    for (let j = i; lines[j]?.startsWith('|'); j++) assert.equal(cells(lines[j]!), cells(lines[i]!), `line ${j + 1}: ${lines[j]}`);
  }
});

test('the report is a pure function of results.json: no clock reads, identical on re-render', () => {
  const RealDate = Date;
  class NoNowDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) throw new Error('the report read the current time');
      super(...(args as [string]));
    }
    static override now(): number {
      throw new Error('the report read the current time');
    }
  }
  globalThis.Date = NoNowDate as DateConstructor;
  try {
    const a = renderMarkdown(results);
    const b = renderMarkdown(JSON.parse(JSON.stringify(results)) as ResultFile);
    assert.equal(a, b);
    assert.equal(renderHtml(results, '/* chart.js */'), renderHtml(results, '/* chart.js */'));
  } finally {
    globalThis.Date = RealDate;
  }
});

const cli = (...argv: string[]): ReturnType<typeof capture> => capture(reportCommand, ...argv);

test('podipc report DIR re-renders an old results.json byte for byte', async () => {
  const dir = join(tmp, 'run');
  mkdirSync(dir);
  copyFileSync(BASE_PATH, join(dir, 'results.json'));
  const first = await cli(dir);
  assert.equal(first.code, 0, first.err);
  const md1 = readFileSync(join(dir, 'report.md'), 'utf8');
  const html1 = readFileSync(join(dir, 'report.html'), 'utf8');
  const png1 = readFileSync(join(dir, 'charts', 'latency-same-pod.png'));
  const again = join(tmp, 'again');
  const second = await cli(join(dir, 'results.json'), '--out', again);
  assert.equal(second.code, 0, second.err);
  assert.equal(readFileSync(join(again, 'report.md'), 'utf8'), md1);
  assert.equal(readFileSync(join(again, 'report.html'), 'utf8'), html1);
  assert.ok(readFileSync(join(again, 'charts', 'latency-same-pod.png')).equals(png1), 'PNG renders are deterministic');
  assert.match(first.out, new RegExp(`wrote ${3 + buildChartSpecs(results).length} files from results\\.json into .*: report\\.md, report\\.html, report\\.csv, \\d+ charts in charts/`));
});

test('podipc report --format picks the formats: csv and json alone write just those', async () => {
  const dir = join(tmp, 'formats');
  const r = await cli(BASE_PATH, '--out', dir, '--format', 'csv,json');
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(join(dir, 'report.csv')) && existsSync(join(dir, 'report.json')));
  assert.ok(!existsSync(join(dir, 'report.md')) && !existsSync(join(dir, 'charts')));
  const model = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { sections: Array<{ kind: string }> };
  assert.equal(model.sections[0]?.kind, 'answer');
  assert.match((await cli(BASE_PATH, '--format', 'pdf')).err, /--format: 'pdf' is not one of md, html, png, csv, json/);
});

test('podipc report exits 2 on a missing directory, a bad file or bad usage', async () => {
  const missing = await cli(join(tmp, 'nowhere'));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nowhere does not exist. Pass the directory 'podipc run --out DIR' wrote/);
  const bad = await cli(fileURLToPath(new URL('../../test/fixtures/bad/unknown-schema-version.json', import.meta.url)), '--out', join(tmp, 'bad'));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /schemaVersion 99, but this podipc reads schemaVersion 1/);
  assert.equal(existsSync(join(tmp, 'bad')), false, 'nothing written for a bad file');
  assert.match((await cli()).err, /expected one results directory .* got none/);
  assert.match((await cli(tmp, '--outdir', 'x')).err, /unknown flag '--outdir' \(did you mean --out\?\)/);
});
