/** The probe protocol: plans and result lines are validated where they are read. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractProbeLines, formatProbeLine, parsePlan, PROTOCOL_VERSION, type ProbeLine } from '../core/protocol.js';

const line: ProbeLine = {
  protocolVersion: PROTOCOL_VERSION,
  caseIndex: 0,
  mechanism: 'tcp',
  probe: 'latency',
  messageBytes: 64,
  status: 'ok',
  latencyNs: { p50: 20000, p90: 25000, p99: 40000, p999: 90000, max: 120000, mean: 21000, stddev: 3000 },
  samples: 100,
  cpu: { clientUsPerMsg: 20, serverUsPerMsg: 18 },
  integrity: { sent: 100, received: 100, corrupt: 0, lost: 0 },
};

test('result lines are found among other log output (container logs)', () => {
  const logs = `starting\n2026-11-27T10:00:00Z ${formatProbeLine(line)}\nnoise\n${formatProbeLine({ ...line, caseIndex: 1 })}\n`;
  assert.deepEqual(extractProbeLines(logs).map((l) => l.caseIndex), [0, 1]);
});

test('a marked line that is not JSON is an error, not a silent skip', () => {
  assert.throws(() => extractProbeLines('PODIPC_RESULT {oops'), /not JSON/);
});

test('a result line with a negative count is rejected naming the field', () => {
  const bad = formatProbeLine({ ...line, integrity: { sent: 1, received: 1, corrupt: 0, lost: -1 } });
  assert.throws(() => extractProbeLines(bad), /integrity\.lost/);
});

test('a result line of another protocol version is rejected', () => {
  assert.throws(() => extractProbeLines(formatProbeLine({ ...line, protocolVersion: 1 } as unknown as ProbeLine)), /protocolVersion/);
});

test('a plan missing its budget is rejected naming the field', () => {
  assert.throws(
    () => parsePlan({ protocolVersion: PROTOCOL_VERSION, role: 'client', topology: 'same-pod', run: 0, cases: [{ caseIndex: 0, mechanism: 'tcp', probe: 'latency', messageBytes: 64 }] }),
    /invalid probe plan: budget/,
  );
});

test('a plan with a message below the frame minimum is rejected', () => {
  assert.throws(
    () =>
      parsePlan({
        protocolVersion: 1, role: 'client', mechanism: 'tcp', topology: 'same-pod', run: 0,
        cases: [{ caseIndex: 0, probe: 'latency', messageBytes: 8 }],
        budget: { warmupMs: 1, warmupRoundTrips: 0, measureMs: 1, setupTimeoutMs: 1 },
        dirs: { shared: '/x', disk: '/y' },
        net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
        ipc: { runTag: 'abcd', sysvSlot: 1 },
      }),
    /cases\.0\.messageBytes/,
  );
});
