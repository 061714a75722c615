/**
 * The `podipc run` contract at the process boundary: exit codes, one clear line for bad
 * input, nothing half-written, and the files a run promises.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { placementsOf } from '../core/results.js';
import { readResultFile } from '../harness/results-file.js';
import { warmupPolicy } from '../bench/warmup-policy.js';
import { NODE_PROBE_V8_FLAGS } from '../core/node-probe.js';

const CLI = resolve(import.meta.dirname, '../harness/cli.js');

function podipc(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'podipc-cli-test-'));
}

for (const [name, args, pattern] of [
  ['unknown mechanism', ['--mechanisms', 'nope'], /unknown mechanism 'nope'\. Known:/],
  ['size 0', ['--sizes', '0'], /^podipc run: --sizes: '0' is not a size in bytes/],
  ['negative size with =', ['--sizes=-1'], /^podipc run: --sizes: '-1' is not a size in bytes/],
  ['negative size', ['--sizes', '-5'], /^podipc run: --sizes: '-5' is not a size in bytes\. Use positive whole bytes/],
  ['negative runs', ['--runs', '-2'], /^podipc run: --runs: '-2' is not a positive whole number, e\.g\. --runs 5/],
  ['unknown flag', ['--fast'], /^podipc run: unknown flag '--fast'.*'podipc run --help' lists the flags/],
] as const) {
  test(`run with ${name}: exit 2, one line naming the fix, nothing written`, () => {
    const dir = scratch();
    const out = join(dir, 'out');
    try {
      const r = podipc(['run', ...args, '--out', out]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /ambiguous|To specify an option argument/);
      assert.equal(r.stderr.trim().split('\n').length, 1, `expected one line, got:\n${r.stderr}`);
      assert.equal(existsSync(out), false, '--out was created for a run that never started');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('run with an unwritable --out: exit 2 naming the fix, nothing created', () => {
  const dir = scratch();
  try {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const r = podipc(['run', '--quick', '--placement', 'process', '--mechanisms', 'tcp', '--out', join(file, 'sub', 'out')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--out .*cannot write there \(ENOTDIR\)\. Choose a writable directory/);
    assert.equal(existsSync(join(file, 'sub')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown command: exit 2 listing the commands', () => {
  const r = podipc(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'\. Commands: run, report, compare/);
});

test('a quick tcp run writes results.json and the report, ends with a summary of the best, exit 0', async () => {
  const dir = scratch();
  try {
    const out = join(dir, 'q');
    const r = podipc(['run', '--quick', '--placement', 'process', '--runtime', 'node', '--mechanisms', 'tcp', '--sizes', '64,4096', '--runs', '2', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /4 cases on process: 4 ok, 0 skipped, 0 failed/);
    // The terminal summary: the smoke warning, then the best per probe at the smallest and largest size.
    assert.match(r.stdout, /^podipc: smoke budget \(a --quick run.*\): do not decide on these numbers$/m);
    assert.match(r.stdout, /^podipc: {3}latency, same-pod, 64 B: +tcp \d+(\.\d+)? (ns|µs|ms) p50$/m);
    assert.match(r.stdout, /^podipc: {3}latency, same-pod, 4 KiB: +tcp /m);
    assert.match(r.stdout, /^podipc: {3}throughput, same-pod, 4 KiB: +tcp \d+(\.\d+)? k? ?msg\/s$/m);
    const results = await readResultFile(join(out, 'results.json'));
    assert.equal(results.cases.length, 4);
    for (const c of results.cases) {
      assert.equal(c.status, 'ok', c.reason);
      assert.equal(c.runs.length, 2);
      assert.equal(c.integrity?.lost, 0);
      assert.equal(c.integrity?.corrupt, 0);
      // The warm-up each Node latency run had, settling included, is on the run: at least the
      // policy's fixed count for the case (the first size: a mechanism's first case, 4 KiB a
      // new size), unless its time cap ended it.
      if (c.probe !== 'latency') continue;
      const fixed = warmupPolicy({})('latency', c.messageBytes, c.messageBytes !== 64).fixed!;
      for (const run of c.runs) {
        assert.ok(run.warmup && (run.warmup.roundTrips >= fixed.roundTrips || run.warmup.ms >= fixed.capMs), `${c.messageBytes} B run ${run.run}: warm-up ${JSON.stringify(run.warmup)}, fixed part ${JSON.stringify(fixed)}`);
      }
    }
    assert.deepEqual(results.env.nodeProbeV8Flags, NODE_PROBE_V8_FLAGS);
    assert.deepEqual(placementsOf(results), ['process']);
    assert.ok(readFileSync(join(out, 'report.md'), 'utf8').includes('tcp'));
    // Not a TTY here: progress comes as plain lines, one per pair (its first case), counting
    // case runs: 4 cases x 2 runs.
    assert.match(r.stderr, /^\[1\/8\] tcp latency 64 B same-pod, run 1\/2 \(0s elapsed\)$/m);
    assert.match(r.stderr, /^\[5\/8\] tcp latency 64 B same-pod, run 2\/2 \(\d+s elapsed, ~\d+s left\)$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
