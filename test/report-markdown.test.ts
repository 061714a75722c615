import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { renderMarkdown } from '../harness/report/markdown.js';
import { renderHtml } from '../harness/report/html.js';
import { buildChartSpecs } from '../harness/report/charts.js';
import { reportCommand } from '../harness/report/index.js';
import type { CommandIo } from '../harness/command-io.js';

const BASE_PATH = fileURLToPath(new URL('../../test/fixtures/good/base.json', import.meta.url));
const results: ResultFile = parseResultFile(JSON.parse(readFileSync(BASE_PATH, 'utf8')), 'base.json');
const tmp = mkdtempSync(join(tmpdir(), 'podipc-report-md-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The table under a "### heading" as rows of cells. */
function table(md: string, heading: string): string[][] {
  const start = md.indexOf(`### ${heading}\n`);
  assert.ok(start >= 0, `no table "${heading}"`);
  const lines = md.slice(start).split('\n').slice(2);
  const rows: string[][] = [];
  for (const line of lines) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(' | ').map((c) => c.trim()));
  }
  return rows.slice(2); // header and alignment rows
}

test('the environment block names kernel, CPU, cores, Node, placement, pinning and git commit', () => {
  const md = renderMarkdown(results);
  for (const row of [
    '| placements | sandbox |',
    '| kernel | 6.18.0-podipc #1 SMP PREEMPT_DYNAMIC |',
    '| CPU | Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz |',
    '| cores | 2 |',
    '| Node | v20.20.2 |',
    '| sandbox: resources | pinned to CPUs 0,1 |',
    '| git commit | 3f2a9c1d0b7e4f6a8c2d1e0f9a8b7c6d5e4f3a2b |',
    '| host | ci-runner-7 |',
  ]) {
    assert.ok(md.includes(row), `missing ${row}`);
  }
});

test('one table per probe, topology and message size, each sorted best first', () => {
  const md = renderMarkdown(results);
  for (const section of ['Round-trip latency, same pod', 'Round-trip latency, cross pod', 'Throughput, same pod', 'Throughput, cross pod']) {
    for (const size of ['64 B', '1 KiB', '64 KiB', '1 MiB']) assert.ok(md.includes(`### ${section}: ${size}\n`), `${section}: ${size}`);
  }
  const rows = table(md, 'Round-trip latency, same pod: 64 B');
  assert.deepEqual(
    rows.map((r) => r[1]),
    ['shm-posix/spin', 'shm-posix/futex', 'mq-posix', 'uds', 'udp', 'tcp'],
  );
  assert.deepEqual(rows.map((r) => r[0]), ['1', '2', '3', '4', '5', '6']);
  const tcp = results.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.topology === 'same-pod' && c.messageBytes === 64);
  const tcpRow = rows.find((r) => r[1] === 'tcp');
  // p50, p99, p99.9 in µs with three significant digits, CPU per side, integrity, runs.
  assert.equal(tcpRow?.[2], `${((tcp?.latencyNs?.p50 ?? 0) / 1e3).toPrecision(3)} µs`);
  assert.equal(tcpRow?.[3], `${((tcp?.latencyNs?.p99 ?? 0) / 1e3).toPrecision(3)} µs`);
  assert.equal(tcpRow?.[4], `${((tcp?.latencyNs?.p999 ?? 0) / 1e3).toPrecision(3)} µs`);
  assert.match(tcpRow?.[5] ?? '', /^\d+\.\d+ µs$/);
  assert.match(tcpRow?.[7] ?? '', /^✓ .* msgs$/);
  assert.equal(tcpRow?.[8], '3/3');
});

test('throughput tables: highest msgs/s first, lossy UDP after clean mechanisms, failed and skipped rows unranked with reasons', () => {
  const md = renderMarkdown(results);
  const kib = table(md, 'Throughput, same pod: 1 KiB');
  assert.equal(kib[0]?.[1], 'shm-posix/spin');
  assert.equal(kib[kib.length - 1]?.[1], 'udp');
  assert.match(kib[kib.length - 1]?.[6] ?? '', /^✗ lost \d+ \(0\.\d+ %\), corrupt 0 of/);
  const mib = table(md, 'Throughput, same pod: 1 MiB');
  const failed = mib.find((r) => r[1] === 'shm-posix/futex');
  assert.equal(failed?.[0], '');
  assert.equal(failed?.[7], '2/3');
  assert.match(failed?.[8] ?? '', /^failed: 1 of 3 runs failed: client timed out/);
  const skipped = mib.find((r) => r[1] === 'udp');
  assert.match(skipped?.[8] ?? '', /^skipped: UDP carries at most 65507 bytes/);
  assert.match(md, /## Skipped and failed cases\n\n- \*\*failed\*\* shm-posix\/futex throughput 1 MiB same pod: 1 of 3 runs failed/);
});

test('the report links every chart and the counts add up', () => {
  const md = renderMarkdown(results);
  for (const spec of buildChartSpecs(results)) assert.ok(md.includes(`](charts/${spec.id}.png)`), spec.id);
  assert.match(md, /66 cases on \*\*sandbox\*\*: 55 ok, 10 skipped, 1 failed\./);
});

test('a pipe in a reason does not break the table', () => {
  const odd: ResultFile = {
    ...results,
    cases: [{ mechanism: 'fifo', runtime: 'node', placement: 'sandbox', probe: 'latency', messageBytes: 64, topology: 'same-pod', status: 'skipped', reason: 'needs a | b', runs: [] }],
  };
  assert.ok(renderMarkdown(odd).includes('skipped: needs a \\| b |'));
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

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIo = { stdout: (t) => void (out += t), stderr: (t) => void (err += t) };
  return { code: await reportCommand(argv, io), out, err };
}

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
  assert.match(first.out, new RegExp(`wrote ${buildChartSpecs(results).length + 2} files`));
});

test('podipc report exits 2 on a missing directory, a bad file or bad usage', async () => {
  const missing = await cli(join(tmp, 'nowhere'));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nowhere does not exist. Pass the directory 'podipc run --out DIR' wrote/);
  const bad = await cli(fileURLToPath(new URL('../../test/fixtures/bad/unknown-schema-version.json', import.meta.url)), '--out', join(tmp, 'bad'));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /schemaVersion 99, but this podipc reads schemaVersion 1/);
  assert.equal(existsSync(join(tmp, 'bad')), false, 'nothing written for a bad file');
  assert.equal((await cli()).code, 2);
  assert.equal((await cli(tmp, '--outdir', 'x')).code, 2);
});
