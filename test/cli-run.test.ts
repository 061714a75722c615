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
  ['size 0', ['--sizes', '0'], /'0' is not a message size/],
  ['negative size', ['--sizes=-1'], /'-1' is not a message size/],
  ['unknown flag', ['--fast'], /Unknown option '--fast'.*podipc run --help/],
] as const) {
  test(`run with ${name}: exit 2, one line naming the fix, nothing written`, () => {
    const dir = scratch();
    const out = join(dir, 'out');
    try {
      const r = podipc(['run', ...args, '--out', out]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
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

test('a quick tcp run writes results.json and the report, exit 0', async () => {
  const dir = scratch();
  try {
    const out = join(dir, 'q');
    const r = podipc(['run', '--quick', '--placement', 'process', '--runtime', 'node', '--mechanisms', 'tcp', '--sizes', '64,4096', '--runs', '2', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /4 cases on process: 4 ok, 0 skipped, 0 failed/);
    const results = await readResultFile(join(out, 'results.json'));
    assert.equal(results.cases.length, 4);
    for (const c of results.cases) {
      assert.equal(c.status, 'ok', c.reason);
      assert.equal(c.runs.length, 2);
      assert.equal(c.integrity?.lost, 0);
      assert.equal(c.integrity?.corrupt, 0);
    }
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
