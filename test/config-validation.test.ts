/** `podipc run` flag validation: one rule per test, each error naming the fix. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SIZES, parseBytes, parseRunArgs, PROFILES, UsageError } from '../harness/config.js';

function rejects(args: string[], pattern: RegExp): void {
  assert.throws(() => parseRunArgs(args), (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected UsageError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('defaults: every registered mechanism, the five default sizes, both probes, full profile', () => {
  const c = parseRunArgs([])!;
  assert.deepEqual(c.sizes, DEFAULT_SIZES);
  assert.deepEqual(c.probes, ['latency', 'throughput']);
  assert.equal(c.runs, PROFILES.full.runs);
  assert.equal(c.placements, 'auto');
  assert.deepEqual(c.runtimes, ['node', 'native']);
  assert.ok(c.selections.some((s) => s.mechanism === 'tcp'));
});

test('--quick uses the quick profile: fewer runs, shorter budgets', () => {
  const c = parseRunArgs(['--quick'])!;
  assert.equal(c.runs, PROFILES.quick.runs);
  assert.equal(c.measureMs, PROFILES.quick.measureMs);
});

test('unknown mechanism names the known ones', () => rejects(['--mechanisms', 'tcp,carrier-pigeon'], /unknown mechanism 'carrier-pigeon'\. Known: .*tcp/));

test('unknown variant names the real variants', () => rejects(['--mechanisms', 'tcp/spin'], /tcp has no variant 'spin' \(it has no variants\)/));

test('size 0 is rejected with an example', () => rejects(['--sizes', '64,0'], /'0' is not a message size.*e\.g\. --sizes 64,4096,1MiB/));

test('negative size is rejected', () => rejects(['--sizes=-64'], /'-64' is not a message size/));

test('size below the frame minimum is rejected naming the minimum', () => rejects(['--sizes', '16'], /below the 32-byte minimum/));

test('a fractional byte count is rejected', () => rejects(['--sizes', '100.5'], /'100.5' is not a message size/));

test('sizes accept k/KiB/MiB suffixes and are de-duplicated and sorted', () => {
  assert.deepEqual(parseRunArgs(['--sizes', '1MiB,64,1k,1024'])!.sizes, [64, 1024, 1024 * 1024]);
  assert.equal(parseBytes('16KiB'), 16384);
  assert.equal(parseBytes('2 gallons'), undefined);
});

test('unknown flag says how to see the flags', () => rejects(['--speed', 'fast'], /Unknown option '--speed'.*podipc run --help/));

test('unknown placement lists the placements', () => rejects(['--placement', 'cloud'], /--placement: 'cloud' is not one of process, sandbox, podman, kind, k8s/));

test('--runs must be a positive whole number', () => rejects(['--runs', '0'], /--runs: '0' is not a positive whole number, e\.g\. --runs 5/));

test('--probes must be latency or throughput', () => rejects(['--probes', 'latency,jitter'], /'jitter' is not one of latency, throughput/));

test('--pin must be CPU numbers', () => rejects(['--pin', '0,x'], /--pin: 'x' is not a CPU number/));

test('--pin must name CPUs that exist', () => rejects(['--pin', '0,4096'], /--pin: CPU 4096 does not exist here \(CPUs 0-\d+\)/));

test('--memory needs at least 16MiB', () => rejects(['--memory', '1k'], /at least 16MiB/));

test('a mechanism without /variant selects all of its variants', () => {
  const c = parseRunArgs(['--mechanisms', 'tcp'])!;
  assert.deepEqual(c.selections, [{ mechanism: 'tcp', variant: undefined }]);
});

test('--help returns no config', () => assert.equal(parseRunArgs(['--help']), undefined));
