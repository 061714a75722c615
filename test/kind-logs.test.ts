/**
 * From a client container's log to the pair's outcome, on real probe output: the fixtures
 * in test/fixtures/good/k8s/logs/ were printed by the probe (the image's staged contents,
 * run as uid 1000 with PODIPC_PLAN), stdout and stderr interleaved as `kubectl logs`
 * shows them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { logTail, pairOutcome, type PairEvidence } from '../harness/placements/kind/outcome.js';

const log = (name: string): string => readFileSync(fileURLToPath(new URL(`../../test/fixtures/good/k8s/logs/${name}`, import.meta.url)), 'utf8');
const TCP = log('client-tcp-same-pod.log');
const MQ = log('client-mq-posix-same-pod.log');
const NO_SERVER = log('client-tcp-no-server.log');

const finished = (exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error'): unknown => ({
  status: { phase: exitCode === 0 ? 'Succeeded' : 'Failed', containerStatuses: [{ name: 'client', state: { terminated: { exitCode, reason } } }] },
});

function evidence(e: Partial<PairEvidence>): PairEvidence {
  return { clientLog: undefined, serverLog: '', clientPod: finished(0), serverPod: undefined, stepFailure: undefined, interrupted: false, ...e };
}

test('a clean tcp pair: one ok line per case, in order, with latency and integrity', () => {
  const out = pairOutcome(evidence({ clientLog: TCP }));
  assert.equal(out.failure, undefined);
  assert.deepEqual(out.lines.map((l) => [l.caseIndex, l.mechanism, l.probe, l.messageBytes, l.status]), [
    [0, 'tcp', 'latency', 64, 'ok'],
    [1, 'tcp', 'throughput', 1024, 'ok'],
    [2, 'tcp', 'latency', 65536, 'ok'],
  ]);
  for (const l of out.lines) {
    assert.equal(l.integrity?.corrupt, 0);
    assert.equal(l.integrity?.sent, l.integrity?.received);
  }
  assert.ok(out.lines[0]!.latencyNs!.p50 > 0);
  assert.ok(out.lines[1]!.throughput!.msgsPerSec > 0);
});

test('a native-addon mechanism (mq-posix): the limits it obeyed come through', () => {
  const out = pairOutcome(evidence({ clientLog: MQ }));
  assert.equal(out.failure, undefined);
  assert.equal(out.lines.length, 3);
  assert.ok(out.lines.every((l) => l.mechanism === 'mq-posix' && l.status === 'ok'));
  assert.ok(out.lines.some((l) => l.limits && Object.keys(l.limits).length > 0), 'mq reports the kernel limits it found');
});

test('stderr between the result lines (stack traces) is ignored; failed cases keep their reasons', () => {
  const out = pairOutcome(evidence({ clientLog: NO_SERVER }));
  assert.equal(out.failure, undefined, 'the client exited 0: the failures are per case, in the lines');
  assert.deepEqual(out.lines.map((l) => l.status), ['failed', 'failed']);
  assert.match(out.lines[0]!.reason!, /the server did not publish case 0 .* within 500 ms/);
  assert.match(logTail(NO_SERVER), /probe client: case 1: Error: the server did not publish/);
  assert.doesNotMatch(logTail(NO_SERVER), /PODIPC_RESULT/);
});

test('a pair that timed out keeps the lines it got and says why, with both log tails', () => {
  const partial = TCP.split('\n').slice(0, 2).join('\n') + '\n';
  const out = pairOutcome(evidence({
    clientLog: partial + 'probe client: still waiting\n',
    serverLog: 'probe server: case 2 (latency 65536 B): Error: boom\n',
    clientPod: { status: { phase: 'Running', containerStatuses: [{ name: 'client', state: { running: {} } }] } },
    stepFailure: 'wait for tcp-sp-r0 to finish its 3 cases failed (`kubectl ...`): tcp-sp-r0/client was not terminated within 150 s',
  }));
  assert.deepEqual(out.lines.map((l) => l.caseIndex), [0, 1]);
  assert.match(out.failure!, /was not terminated within 150 s/);
  assert.match(out.failure!, /server log: probe server: case 2 .*Error: boom/);
  assert.match(out.failure!, /client log: probe client: still waiting/);
});

test('a client that exits non-zero is a pair failure naming the exit code', () => {
  const out = pairOutcome(evidence({ clientLog: 'probe: invalid probe plan: cases: Required\n', clientPod: finished(2) }));
  assert.deepEqual(out.lines, []);
  assert.match(out.failure!, /the client container ended with exit code 2 \(Error\)/);
  assert.match(out.failure!, /client log: probe: invalid probe plan/);
});

test('a server that crashed is named too (cross-pod: its own pod)', () => {
  const serverPod = { status: { containerStatuses: [{ name: 'server', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] } };
  const out = pairOutcome(evidence({ clientLog: TCP, serverPod }));
  assert.match(out.failure!, /the server container ended with exit code 137 \(OOMKilled\)/);
  assert.equal(out.lines.length, 3, 'results already printed are kept');
});

test('a marked line that does not validate is a protocol error, not a number', () => {
  const bad = TCP.replace('"status":"ok"', '"status":"great"');
  const out = pairOutcome(evidence({ clientLog: bad }));
  assert.deepEqual(out.lines, []);
  assert.match(out.failure!, /invalid probe result line: status/);
});

test('no log at all: said plainly (unless the run was interrupted)', () => {
  assert.match(pairOutcome(evidence({ clientLog: undefined })).failure!, /the client log could not be read/);
  const interrupted = pairOutcome(evidence({ clientLog: undefined, interrupted: true, clientPod: undefined }));
  assert.match(interrupted.failure!, /^interrupted\./);
  assert.doesNotMatch(interrupted.failure!, /could not be read/);
  assert.equal(pairOutcome(evidence({ clientLog: '' })).failure, undefined, 'an empty log with exit 0 is no failure; the runner marks cases without lines');
});
