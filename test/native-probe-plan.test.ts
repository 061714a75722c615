/**
 * The native probe checks its input once, at the edge, like the Node entrypoint: a plan of
 * another protocol version, an unknown mechanism, a bad field or no plan at all is refused
 * with one line naming the fix and exit code 2; fields it does not know are ignored; and
 * `--list` answers in the contract's shape with this checkout's protocol and frame versions.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { FRAME_VERSION } from '../core/frame-format.js';
import { PROTOCOL_VERSION } from '../core/protocol.js';
import { NATIVE_PROBE } from './helpers/native-pair.js';

function plan(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    protocolVersion: PROTOCOL_VERSION,
    role: 'client',
    topology: 'same-pod',
    run: 0,
    cases: [{ caseIndex: 0, mechanism: 'tcp', probe: 'latency', messageBytes: 64 }],
    budget: { warmupMs: 0, warmupRoundTrips: 0, measureMs: 10, setupTimeoutMs: 100 },
    dirs: { shared: '/nonexistent-podipc', disk: '/nonexistent-podipc' },
    net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
    ipc: { runTag: 'abcd', sysvSlot: 1 },
    ...overrides,
  };
}

function probe(planJson: unknown, args: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const env = planJson === undefined ? { ...process.env, PODIPC_PLAN: '' } : { ...process.env, PODIPC_PLAN: JSON.stringify(planJson) };
  const r = spawnSync(NATIVE_PROBE, args, { env, encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--list prints one JSON line: protocol and frame versions, and per mechanism its variants and probes', () => {
  const r = probe(undefined, ['--list']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  const list = JSON.parse(r.stdout) as { protocolVersion: number; frameVersion: number; mechanisms: Array<{ id: string; variants: string[]; probes: string[] }> };
  assert.equal(list.protocolVersion, PROTOCOL_VERSION);
  assert.equal(list.frameVersion, FRAME_VERSION);
  assert.deepEqual(list.mechanisms.find((m) => m.id === 'tcp'), { id: 'tcp', variants: [], probes: ['latency', 'throughput', 'rate'] });
  assert.deepEqual(list.mechanisms.find((m) => m.id === 'sem')?.probes, ['latency', 'rate']);
  assert.deepEqual(list.mechanisms.find((m) => m.id === 'shm-posix')?.variants, ['spin', 'futex', 'sem']);
});

test('a plan of another protocol version is refused naming both versions and the fix (exit 2)', () => {
  const r = probe(plan({ protocolVersion: PROTOCOL_VERSION + 1 }));
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`protocol version ${PROTOCOL_VERSION + 1}, this native probe speaks ${PROTOCOL_VERSION}: rebuild`));
  assert.equal(r.stdout, '');
});

test('a mechanism the native probe does not implement is refused naming --list and the node runtime (exit 2)', () => {
  const r = probe(plan({ cases: [{ caseIndex: 0, mechanism: 'ws', probe: 'latency', messageBytes: 64 }] }));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /does not implement 'ws' \(podipc_probe --list shows what it does\); run it with the node runtime/);
});

test('a bad field is refused naming the field, as the Node schema does (exit 2)', () => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ budget: { warmupMs: 0, warmupRoundTrips: 0, measureMs: 0, setupTimeoutMs: 100 } }, /budget\.measureMs: Number must be greater than 0/],
    [{ cases: [{ caseIndex: 0, mechanism: 'tcp', probe: 'latency', messageBytes: 8 }] }, /cases\.0\.messageBytes: Number must be greater than or equal to 32/],
    [{ cases: [{ caseIndex: 0, mechanism: 'tcp', probe: 'pingpong', messageBytes: 64 }] }, /cases\.0\.probe: Invalid enum value/],
    [{ cases: [{ caseIndex: 0, probe: 'latency', messageBytes: 64 }] }, /cases\.0\.mechanism: Required/],
    [{ cases: [{ caseIndex: 0, mechanism: 'tcp', probe: 'latency', messageBytes: 64, warmupRoundTrips: -1 }] }, /cases\.0\.warmupRoundTrips: Number must be greater than or equal to 0/],
    [{ cases: [{ caseIndex: 0, mechanism: 'tcp', probe: 'latency', messageBytes: 64 }, { caseIndex: 0, mechanism: 'uds', probe: 'latency', messageBytes: 64 }] }, /cases: every case needs its own caseIndex/],
    [{ role: 'both' }, /role: Invalid enum value/],
    [{ ipc: { runTag: 'NO!', sysvSlot: 1 } }, /ipc\.runTag/],
    [{ net: undefined }, /net: Required/],
  ];
  for (const [overrides, message] of bad) {
    const r = probe(plan(overrides));
    assert.equal(r.status, 2, `${JSON.stringify(overrides)}: exit ${r.status}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

test('no plan at all names both ways to pass one (exit 2)', () => {
  const r = probe(undefined);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no plan: pass --plan FILE or set PODIPC_PLAN/);
});

test('unknown plan fields are ignored: a newer harness may add some', () => {
  // The case itself fails (no server, and the shared directory does not exist), but the plan
  // was accepted: a failed line on stdout, exit 0.
  const r = probe(plan({ somethingNew: { nested: [1, 2, 3] }, budget: { warmupMs: 0, warmupRoundTrips: 5, measureMs: 10, setupTimeoutMs: 100, later: true } }));
  assert.equal(r.status, 0, r.stderr);
  const line = JSON.parse(r.stdout.replace(/^PODIPC_RESULT /, '')) as { status: string; reason: string };
  assert.equal(line.status, 'failed');
  assert.match(line.reason, /did not publish case 0/);
});
