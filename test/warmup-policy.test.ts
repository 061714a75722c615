/**
 * The Node probe's warm-up policy (bench/warmup-policy.ts): what a case warms up beyond the
 * plan's minimum, by probe, size and whether its mechanism already ran in the process, and
 * which V8 flags the probe sets on itself. The probes' warming itself runs for real in
 * settle-warmup.test.ts and cli-run.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { NODE_PROBE_COMMAND_LINE_FLAGS, NODE_PROBE_V8_FLAGS, NODE_PROBE_V8_FLAGS_SETTABLE_LATER, nodeProbeV8FlagsText } from '../core/node-probe.js';
import { NODE_ENTRYPOINT, nodeRuntime } from '../harness/runtimes/node.js';
import { LATENCY_FIRST_CASE_WARMUP, NEW_SIZE_WARMUP, PROCESS_WARMUP, SETTLE_CAP_MS, v8FlagsToSet, warmupPolicy } from '../bench/warmup-policy.js';

test('a first latency case warms up its fixed count; a later one a new size\'s count, fewer round trips for large messages', () => {
  const policy = warmupPolicy({});
  assert.deepEqual(policy('latency', 64, false), { fixed: LATENCY_FIRST_CASE_WARMUP, settleCapMs: SETTLE_CAP_MS.firstCase });
  assert.deepEqual(policy('latency', 1024, true), { fixed: { roundTrips: NEW_SIZE_WARMUP.roundTrips, capMs: NEW_SIZE_WARMUP.capMs }, settleCapMs: SETTLE_CAP_MS.laterCase });
  // 4 MiB of messages: 16 round trips at 256 KiB, 4 at 1 MiB, never none.
  assert.equal(policy('latency', 256 * 1024, true).fixed?.roundTrips, 16);
  assert.equal(policy('latency', 1024 * 1024, true).fixed?.roundTrips, 4);
  assert.equal(policy('latency', 64 * 1024 * 1024, true).fixed?.roundTrips, 1);
  // Throughput and rate: the process warm-up on a mechanism's first case, nothing fixed later.
  assert.deepEqual(policy('throughput', 64, false).fixed, PROCESS_WARMUP);
  assert.equal(policy('rate', 64, true).fixed, undefined);
});

test('the benchmarks\' overrides: the plan\'s warm-up alone, or a settling cap; a malformed one names the fix', () => {
  assert.deepEqual(warmupPolicy({ PODIPC_PLAN_WARMUP_ONLY: '1' })('latency', 64, false), { fixed: undefined, settleCapMs: 0 });
  assert.equal(warmupPolicy({ PODIPC_SETTLE_CAP_MS: '0' })('latency', 64, false).settleCapMs, 0);
  assert.deepEqual(warmupPolicy({ PODIPC_SETTLE_CAP_MS: '40' })('latency', 64, true).fixed?.roundTrips, NEW_SIZE_WARMUP.roundTrips);
  assert.throws(() => warmupPolicy({ PODIPC_PLAN_WARMUP_ONLY: 'yes' }), /PODIPC_PLAN_WARMUP_ONLY='yes': give 1 \(the plan's warm-up alone\) or 0, or unset it/);
  assert.throws(() => warmupPolicy({ PODIPC_SETTLE_CAP_MS: '-1' }), /PODIPC_SETTLE_CAP_MS='-1': give a number of ms >= 0/);
});

test('the probe sets its V8 flags unless the command line gives the same flag', () => {
  assert.deepEqual(v8FlagsToSet(['--interrupt-budget=8448'], []), ['--interrupt-budget=8448']);
  assert.deepEqual(v8FlagsToSet(['--interrupt-budget=8448'], ['--interrupt-budget=67584', '--max-old-space-size=64']), []);
  assert.deepEqual(v8FlagsToSet(['--interrupt-budget=8448'], ['--interrupt-budget-for-feedback-allocation=940']), ['--interrupt-budget=8448']);
  assert.ok(NODE_PROBE_V8_FLAGS.length > 0);
  // As reports and compare show them; a file from before the flags ran on V8's defaults.
  assert.equal(nodeProbeV8FlagsText(['--interrupt-budget=8448', '--max-lazy']), '--interrupt-budget=8448 --max-lazy');
  assert.equal(nodeProbeV8FlagsText(undefined), 'V8 defaults');
  assert.equal(nodeProbeV8FlagsText([]), 'V8 defaults');
});

test('a V8 flag the probe sets is one this Node knows (V8 would ignore a misspelt one)', () => {
  // --v8-options lists every flag the embedded V8 accepts; an unknown flag given to
  // setFlagsFromString is dropped without an error, so the list is checked here.
  const options = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
  // --v8-options names a boolean flag without its "no-".
  for (const flag of NODE_PROBE_V8_FLAGS) assert.ok(options.includes(`  ${flag.split('=')[0]!.replace(/^--no-/, '--')} `), `${flag} is not among node --v8-options`);
});

test('the runtime starts the Node probe with the flags V8 reads only at start on its command line; the probe sets the others on itself', () => {
  assert.deepEqual(nodeRuntime.hostCommand('/x/plan.json').args, [...NODE_PROBE_COMMAND_LINE_FLAGS, NODE_ENTRYPOINT, '--plan', '/x/plan.json']);
  assert.deepEqual(nodeRuntime.imageCommand, ['node', ...NODE_PROBE_COMMAND_LINE_FLAGS, '/app/dist/bench/entrypoint.js']);
  assert.deepEqual(NODE_PROBE_COMMAND_LINE_FLAGS, ['--no-concurrent-recompilation']);
  // No flag reaches V8 both ways.
  assert.ok(NODE_PROBE_COMMAND_LINE_FLAGS.every((f) => !NODE_PROBE_V8_FLAGS_SETTABLE_LATER.includes(f)));
});

/** How a Node process optimised a hot function: the compile modes --trace-opt printed. */
function compileModes(args: string[]): string[] {
  const hot = 'let s = 0; function f(i) { return (i * 7) ^ (i >>> 3); } for (let i = 0; i < 5e6; i++) s += f(i); if (s === 0.5) console.log(s);';
  const out = spawnSync(process.execPath, [...args, '--trace-opt', '-e', hot], { encoding: 'utf8' }).stdout;
  return [...new Set([...out.matchAll(/compiling method .*mode: ConcurrencyMode::(k\w+)/g)].map((m) => m[1]!))];
}

test('V8 compiles on the main thread with --no-concurrent-recompilation on the command line, and not when it is set after start', () => {
  // Why the flag is on every command line, not set by the probe on itself (BENCHMARKS.md,
  // "The compiler thread"): the last case is what the probe did before, and it changed nothing.
  assert.deepEqual(compileModes(['--no-concurrent-recompilation']), ['kSynchronous']);
  assert.deepEqual(compileModes([]), ['kConcurrent']);
  const setLater = compileModes(['--import', `data:text/javascript,import v8 from 'node:v8'; v8.setFlagsFromString('--no-concurrent-recompilation');`]);
  assert.deepEqual(setLater, ['kConcurrent']);
});
