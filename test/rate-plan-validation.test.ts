/**
 * A rate case is validated once at each probe's edge, the same way in both runtimes: it
 * needs exactly one of a fixed rate and a search; rate fields on another probe are refused;
 * the refusal names the field (exit 2, nothing on stdout).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { parsePlan, PROTOCOL_VERSION } from '../core/protocol.js';
import { NATIVE_PROBE, NODE_ENTRYPOINT } from './helpers/native-pair.js';

function plan(c: Record<string, unknown>): Record<string, unknown> {
  return {
    protocolVersion: PROTOCOL_VERSION,
    role: 'client',
    topology: 'same-pod',
    run: 0,
    cases: [{ caseIndex: 0, mechanism: 'tcp', messageBytes: 64, ...c }],
    budget: { warmupMs: 0, warmupRoundTrips: 0, measureMs: 10, setupTimeoutMs: 100 },
    dirs: { shared: '/nonexistent-podipc', disk: '/nonexistent-podipc' },
    net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
    ipc: { runTag: 'abcd', sysvSlot: 1 },
  };
}

const SEARCH = { p99BudgetNs: 100_000, startRatePerSec: 1000, maxRatePerSec: 100_000 };
const BAD: Array<{ what: string; c: Record<string, unknown>; message: RegExp }> = [
  { what: 'a rate case with neither a rate nor a search', c: { probe: 'rate' }, message: /ratePerSec: a 'rate' case needs exactly one of ratePerSec and search/ },
  { what: 'a rate case with both', c: { probe: 'rate', ratePerSec: 1000, search: SEARCH }, message: /ratePerSec: a 'rate' case needs exactly one of ratePerSec and search/ },
  { what: 'a rate on a latency case', c: { probe: 'latency', ratePerSec: 1000 }, message: /probe: ratePerSec, burst and search belong to 'rate' cases, not 'latency'/ },
  { what: 'a zero rate', c: { probe: 'rate', ratePerSec: 0 }, message: /ratePerSec: Number must be greater than 0/ },
];

for (const { what, c, message } of BAD) {
  test(`refused in every runtime: ${what}`, () => {
    assert.throws(() => parsePlan(plan(c)), message, 'core/protocol.ts');
    for (const [runtime, command, args] of [
      ['node', process.execPath, [NODE_ENTRYPOINT]],
      ['native', NATIVE_PROBE, []],
    ] as const) {
      const r = spawnSync(command, args, { env: { ...process.env, PODIPC_PLAN: JSON.stringify(plan(c)) }, encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 2, `${runtime}: exit ${r.status}: ${r.stderr}`);
      assert.match(r.stderr, message, `${runtime}: ${r.stderr}`);
      assert.equal(r.stdout, '', `${runtime}: printed a result`);
    }
  });
}

test('fixed-rate, burst, search and stall cases parse', () => {
  for (const c of [
    { probe: 'rate', ratePerSec: 1000 },
    { probe: 'rate', ratePerSec: 1000, burst: 8 },
    { probe: 'rate', search: SEARCH },
    { probe: 'rate', ratePerSec: 1000, stall: { everyMs: 100, pauseMs: 5 } },
  ]) {
    assert.deepEqual(parsePlan(plan(c)).cases[0], { caseIndex: 0, mechanism: 'tcp', messageBytes: 64, ...c });
  }
});
