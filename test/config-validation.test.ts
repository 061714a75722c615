/** `podipc run` flag validation: one rule per test, each error naming the fix. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mechanisms } from '../bench/registry.js';
import { DEFAULT_SIZES, parseRunArgs, PROFILES } from '../harness/config.js';
import { parseBytes } from '../harness/flag-values.js';
import { UsageError } from '../harness/flags.js';

function rejects(args: string[], pattern: RegExp): void {
  assert.throws(() => parseRunArgs(args), (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected UsageError, got ${String(err)}`);
    assert.doesNotMatch(err.message, /ambiguous|To specify an option argument/, 'node:util parseArgs text leaked through');
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
  // Every mechanism of the registry, each variant on its own, nothing else.
  const expected = mechanisms.flatMap((m) => (m.variants?.length ? m.variants.map((v) => `${m.id}/${v}`) : [m.id]));
  assert.deepEqual(c.selections.map((s) => (s.variant ? `${s.mechanism}/${s.variant}` : s.mechanism)), expected);
  assert.ok(expected.length > mechanisms.length, 'the registry has mechanisms with variants, so the defaults must spell them out');
});

test('--quick uses the quick profile: its runs, budgets and sizes; explicit flags still win', () => {
  const c = parseRunArgs(['--quick'])!;
  assert.equal(c.runs, PROFILES.quick.runs);
  assert.equal(c.measureMs, PROFILES.quick.measureMs);
  assert.deepEqual(c.sizes, PROFILES.quick.sizes);
  const explicit = parseRunArgs(['--quick', '--runs', '2', '--sizes', '128'])!;
  assert.equal(explicit.runs, 2);
  assert.deepEqual(explicit.sizes, [128]);
});

test('quick has the runs a comparison needs to conclude (the exact U test needs 4 per side)', () => {
  assert.ok(PROFILES.quick.runs >= 4, `quick runs ${PROFILES.quick.runs}`);
});

test('unknown mechanism names the known ones', () => rejects(['--mechanisms', 'tcp,carrier-pigeon'], /unknown mechanism 'carrier-pigeon'\. Known: .*tcp/));

test('unknown variant names the real variants', () => rejects(['--mechanisms', 'tcp/spin'], /tcp has no variant 'spin' \(it has no variants\)/));

test('size 0 is rejected with an example', () => rejects(['--sizes', '64,0'], /--sizes: '0' is not a size in bytes.*e\.g\. --sizes 64,4096,1MiB/));

test('negative size is rejected by podipc, with or without =', () => {
  rejects(['--sizes=-64'], /--sizes: '-64' is not a size in bytes/);
  rejects(['--sizes', '-5'], /--sizes: '-5' is not a size in bytes\. Use positive whole bytes/);
});

test('a negative count or duration gets podipc\'s message too', () => {
  rejects(['--runs', '-3'], /--runs: '-3' is not a positive whole number, e\.g\. --runs 5/);
  rejects(['--budget-ms', '-1'], /--budget-ms: '-1' is not a duration > 0/);
});

test('a value flag followed by another flag says the value is missing', () => rejects(['--sizes', '--quick'], /--sizes needs a value: --sizes LIST/));

test('durations take ms or s', () => {
  assert.equal(parseRunArgs(['--budget-ms', '2s'])!.measureMs, 2000);
  assert.equal(parseRunArgs(['--budget-ms', '250ms'])!.measureMs, 250);
});

test('size below the frame minimum is rejected naming the minimum', () => rejects(['--sizes', '16'], /below the 32-byte minimum/));

test('a fractional byte count is rejected', () => rejects(['--sizes', '100.5'], /'100.5' is not a size in bytes/));

test('sizes accept k/KiB/MiB/GiB suffixes and are de-duplicated and sorted', () => {
  assert.deepEqual(parseRunArgs(['--sizes', '1MiB,64,1k,1024'])!.sizes, [64, 1024, 1024 * 1024]);
  assert.deepEqual(parseRunArgs(['--sizes', '2GiB'])!.sizes, [2 * 1024 ** 3]);
  assert.equal(parseBytes('16KiB'), 16384);
  assert.equal(parseBytes('2 gallons'), undefined);
});

test('unknown flag says how to see the flags, and suggests the near one', () => {
  rejects(['--speed', 'fast'], /unknown flag '--speed'.*'podipc run --help' lists the flags/);
  rejects(['--size', '64'], /unknown flag '--size' \(did you mean --sizes\?\)/);
});

test('unknown placement lists the placements', () => rejects(['--placement', 'cloud'], /--placement: 'cloud' is not one of process, sandbox, podman, kind, k8s/));

test('--runs must be a positive whole number', () => rejects(['--runs', '0'], /--runs: '0' is not a positive whole number, e\.g\. --runs 5/));

test('--probes must be latency or throughput', () => rejects(['--probes', 'latency,jitter'], /'jitter' is not one of latency, throughput/));

test('--runtime and --topology are checked against the vocabulary', () => {
  rejects(['--runtime', 'python'], /--runtime: 'python' is not one of node, native/);
  rejects(['--topology', 'same-node'], /--topology: 'same-node' is not one of same-pod, cross-pod/);
});

test('--pin must be CPU numbers', () => rejects(['--pin', '0,x'], /--pin: 'x' is not a CPU number/));

test('--pin must name CPUs that exist', () => rejects(['--pin', '0,4096'], /--pin: CPU 4096 does not exist here \(CPUs 0-\d+\)/));

test('--memory needs at least 16MiB', () => rejects(['--memory', '1k'], /at least 16MiB/));

test('a mechanism without /variant selects all of its variants; with /variant just that one', () => {
  const shm = mechanisms.find((m) => m.id === 'shm-posix');
  assert.ok(shm?.variants && shm.variants.length > 1, 'shm-posix has variants');
  const c = parseRunArgs(['--mechanisms', 'shm-posix'])!;
  assert.deepEqual(c.selections, shm.variants.map((variant) => ({ mechanism: 'shm-posix', variant })));
  assert.deepEqual(parseRunArgs(['--mechanisms', 'shm-posix/futex'])!.selections, [{ mechanism: 'shm-posix', variant: 'futex' }]);
  assert.deepEqual(parseRunArgs(['--mechanisms', 'tcp'])!.selections, [{ mechanism: 'tcp', variant: undefined }]);
});

test('--help and --version return no config, whatever else is given', () => {
  assert.equal(parseRunArgs(['--help']), undefined);
  assert.equal(parseRunArgs(['--version', '--sizes', '-5']), undefined);
});
