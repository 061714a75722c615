/**
 * recommend reads one runtime's numbers: the native probe's when the results hold ok
 * native cases (the floor), else the Node probe's, and says which; --runtime picks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { mechanisms } from '../bench/registry.js';
import { parseResultFile, type CaseResult, type ResultFile } from '../core/results.js';
import { defaultRuntime, recommend, type RecommendRequest } from '../harness/recommend/engine.js';

const node: ResultFile = parseResultFile(JSON.parse(readFileSync(new URL('../../test/fixtures/good/base.json', import.meta.url), 'utf8')), 'base.json');
const req: RecommendRequest = { messageBytes: 64, pattern: 'rpc', crossPod: false, noIpcNamespace: false };

/** The fixture plus a native tcp latency case at 64 B, ten times faster than Node's. */
function withNative(status: CaseResult['status']): ResultFile {
  const tcp = node.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.messageBytes === 64 && c.topology === 'same-pod')!;
  const scale = (v: number): number => v / 10;
  const native: CaseResult = {
    ...tcp,
    runtime: 'native',
    status,
    ...(status === 'skipped' ? { reason: 'the native probe is not built', runs: [], latencyNs: undefined } : {}),
    ...(status === 'ok' && tcp.latencyNs ? { latencyNs: Object.fromEntries(Object.entries(tcp.latencyNs).map(([k, v]) => [k, scale(v)])) as typeof tcp.latencyNs } : {}),
  };
  return { ...node, cases: [...node.cases, native] };
}

test('Node-only results: the node probe, saying it is the only runtime', () => {
  assert.equal(defaultRuntime(node), 'node');
  const r = recommend(node, req, mechanisms);
  assert.equal(r.runtime, 'node');
  assert.match(r.notes[0] ?? '', /Numbers of the node probe on sandbox: the only runtime in these results/);
});

test('ok native cases: the native probe by default, and --runtime node goes back to Node', () => {
  const both = withNative('ok');
  const r = recommend(both, req, mechanisms);
  assert.equal(r.runtime, 'native');
  assert.deepEqual(r.choices.map((c) => c.mechanism), ['tcp'], 'only the native cases count');
  assert.match(r.notes[0] ?? '', /native probe measured these results \(--runtime node for the Node probe\)/);
  const n = recommend(both, { ...req, runtime: 'node' }, mechanisms);
  assert.equal(n.runtime, 'node');
  assert.ok(n.choices.length > 1);
  assert.equal(n.choices.find((c) => c.mechanism === 'tcp')?.p50Ns, node.cases.find((c) => c.mechanism === 'tcp' && c.probe === 'latency' && c.messageBytes === 64 && c.topology === 'same-pod')?.latencyNs?.p50);
});

test('native cases that were all skipped: Node, and the note says why', () => {
  const r = recommend(withNative('skipped'), req, mechanisms);
  assert.equal(r.runtime, 'node');
  assert.match(r.notes[0] ?? '', /native probe measured nothing ok here, so the Node probe/);
});
