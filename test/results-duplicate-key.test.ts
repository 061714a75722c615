/**
 * A results file whose cases repeat a key (same mechanism, variant, runtime, probe, size,
 * topology and placement) is rejected on read, naming the first duplicate; cases that
 * differ in any one of those are not duplicates. The CLI says so and exits 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parseResultFile, ResultFileError, type CaseResult, type ResultFile } from '../core/results.js';

const CLI = resolve(import.meta.dirname, '../harness/cli.js');
const v1: unknown = JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8'));
const good: ResultFile = parseResultFile(v1, 'base.json');
const tcp = good.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.messageBytes === 1024 && c.topology === 'same-pod')!;

const withCases = (cases: CaseResult[]): unknown => JSON.parse(JSON.stringify({ ...good, cases }));

test('a repeated case is rejected, naming the first duplicate and the fix', () => {
  const dup = withCases([...good.cases, { ...tcp }]);
  assert.throws(() => parseResultFile(dup, 'dup.json'), (err: unknown) => {
    assert.ok(err instanceof ResultFileError);
    assert.equal(
      err.message,
      "dup.json lists the case 'tcp latency 1024B same-pod @sandbox' twice: each mechanism, variant, runtime, probe, size, rate, topology and placement appears once. Re-run, or fix the file by hand.",
    );
    return true;
  });
  // Schema 1 files are checked after the upgrade too.
  const v1dup = structuredClone(v1) as { cases: unknown[] };
  v1dup.cases.push(v1dup.cases[0]);
  assert.throws(() => parseResultFile(v1dup, 'old.json'), /old\.json lists the case 'shm-posix\/spin latency 64B same-pod @sandbox' twice/);
});

test('cases that differ in runtime, placement, variant, size, probe or topology are distinct', () => {
  for (const other of [
    { ...tcp, runtime: 'native' as const },
    { ...tcp, placement: 'process' as const },
    { ...tcp, messageBytes: 2048 },
    { ...tcp, probe: 'throughput' as const, messageBytes: 4096 },
    { ...tcp, topology: 'cross-pod' as const, messageBytes: 4096 },
    { ...tcp, mechanism: 'shm-posix', variant: 'sem' },
  ]) {
    const file = withCases([...good.cases, other]);
    assert.doesNotThrow(() => parseResultFile(file, 'x.json'), JSON.stringify({ ...other, runs: undefined }));
  }
});

test('podipc report and compare reject such a file with exit 2 and one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podipc-dup-test-'));
  try {
    const path = join(dir, 'results.json');
    writeFileSync(path, JSON.stringify(withCases([...good.cases, { ...tcp }])));
    for (const args of [['report', dir], ['compare', path, path]]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /lists the case 'tcp latency 1024B same-pod @sandbox' twice/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
