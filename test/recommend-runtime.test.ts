/**
 * recommend ranks one runtime's numbers: native (the mechanism's own cost, "my sidecar is in
 * Go/Rust/C++") by default when the results measured it, node otherwise or when asked, and
 * says which it used. Cases of the other runtime never mix into the ranking, and the Node
 * probe's addon is not a pod need of the native runtime.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import type { CommandIo } from '../harness/command-io.js';
import { formatRecommendation, recommend, recommendCommand, type MechanismInfo, type RecommendRequest } from '../harness/recommend.js';

const BASE_PATH = fileURLToPath(new URL('../../test/fixtures/good/base.json', import.meta.url));
const nodeOnly: ResultFile = parseResultFile(JSON.parse(readFileSync(BASE_PATH, 'utf8')), 'base.json');

const REGISTRY: MechanismInfo[] = [
  { id: 'tcp', summary: 'TCP over loopback', requires: [] },
  { id: 'udp', summary: 'UDP over loopback', requires: [], lossy: true },
  { id: 'uds', summary: 'Unix stream socket on a shared volume', requires: ['volume-disk'] },
  { id: 'mq-posix', summary: 'POSIX message queues', requires: ['ipc-namespace', 'native-addon'] },
  { id: 'shm-posix', summary: 'POSIX shared memory', requires: ['ipc-namespace', 'shared-dev-shm', 'native-addon'] },
];

/**
 * Native copies of the uds and mq-posix cases with numbers of their own (p99 5 µs and 9 µs at
 * every size), so a ranking shows which runtime's cases it used.
 */
function withNative(results: ResultFile): ResultFile {
  const natives: CaseResult[] = results.cases
    .filter((c) => c.mechanism === 'uds' || c.mechanism === 'mq-posix')
    .map((c) => {
      const p99 = c.mechanism === 'mq-posix' ? 5000 : 9000;
      return {
        ...c,
        runtime: 'native',
        ...(c.latencyNs ? { latencyNs: { ...c.latencyNs, p50: p99 / 2, p99 } } : {}),
      };
    });
  return { ...results, cases: [...results.cases, ...natives] };
}

const req = (r: Partial<RecommendRequest>): RecommendRequest => ({ messageBytes: 64, pattern: 'rpc', crossPod: false, noIpcNamespace: false, ...r });

test('default: the native numbers when measured, saying so; only native cases are ranked', () => {
  const r = recommend(withNative(nodeOnly), req({}), REGISTRY);
  assert.equal(r.runtime, 'native');
  assert.deepEqual(r.choices.map((c) => c.mechanism), ['mq-posix', 'uds']);
  assert.deepEqual(r.choices.map((c) => c.p99Ns), [5000, 9000]);
  assert.match(r.notes[0] ?? '', /the native probe's numbers: what the mechanism itself costs.*--runtime node for a Node application/);
  assert.match(formatRecommendation(r), /, native probe\n/);
  // The addon is the Node probe's, not the pod's: no pod need for it under native.
  const mq = r.choices[0]!;
  assert.ok(!mq.podNeeds.some((n) => /native binding/.test(n)), mq.podNeeds.join(' | '));
});

test('--runtime node ranks the Node cases even when native ones exist', () => {
  const r = recommend(withNative(nodeOnly), req({ runtime: 'node' }), REGISTRY);
  assert.equal(r.runtime, 'node');
  assert.deepEqual(r.choices.map((c) => c.mechanism), recommend(nodeOnly, req({ runtime: 'node' }), REGISTRY).choices.map((c) => c.mechanism));
  assert.ok(r.choices.length > 2);
  assert.match(r.notes[0] ?? '', /\(--runtime node\)/);
  assert.ok(r.choices.find((c) => c.mechanism === 'mq-posix')!.podNeeds.some((n) => /native binding/.test(n)));
});

test('results without native cases: node by default, with the note naming --runtime native', () => {
  const r = recommend(nodeOnly, req({}), REGISTRY);
  assert.equal(r.runtime, 'node');
  assert.match(r.notes[0] ?? '', /hold no native latency cases \(run with --runtime native/);
});

test('--runtime native on results without native cases: nothing fits, naming the run that would measure it', () => {
  const r = recommend(nodeOnly, req({ runtime: 'native' }), REGISTRY);
  assert.match(r.nothingFits ?? '', /no native latency cases in one pod; run 'podipc run --runtime native'/);
});

test('podipc recommend --runtime: a bad value exits 2 naming both runtimes', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
  const code = await recommendCommand(['--results', BASE_PATH, '--size', '64', '--pattern', 'rpc', '--runtime', 'java'], io, REGISTRY);
  assert.equal(code, 2);
  assert.match(err.join(''), /--runtime java: use native .* or node/);
  const ok = await recommendCommand(['--results', BASE_PATH, '--size', '64', '--pattern', 'rpc', '--runtime', 'node'], io, REGISTRY);
  assert.equal(ok, 0);
  assert.match(out.join(''), /node probe/);
});
