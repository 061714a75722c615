/**
 * recommend at a call rate: rpc is ranked by what the rate costs in CPU (a busy-polling
 * mechanism burns a core per side even at 100 calls/s), then by p99; --cpu-cores excludes
 * what does not fit the budget, naming the cost. On the committed fixture, real registry.
 */
import assert from 'node:assert/strict';
import { capture } from './helpers/cli.js';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mechanisms } from '../bench/registry.js';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { recommendCommand } from '../harness/commands/recommend.js';
import { recommend, type RecommendRequest } from '../harness/recommend/engine.js';

const BASE_PATH = fileURLToPath(new URL('../../test/fixtures/good/base.json', import.meta.url));
const results: ResultFile = parseResultFile(JSON.parse(readFileSync(BASE_PATH, 'utf8')), 'base.json');
const rpc = (r: Partial<RecommendRequest>): RecommendRequest => ({ messageBytes: 64, pattern: 'rpc', crossPod: false, noIpcNamespace: false, ...r });

test('rpc without a rate ranks by p99: the spinning mechanism first', () => {
  assert.equal(recommend(results, rpc({}), mechanisms).choices[0]?.mechanism, 'shm-posix/spin');
});

test('rpc at 100 calls/s: the poller costs two cores and drops to last; the rest rank by p99', () => {
  const r = recommend(results, rpc({ rateMsgsPerSec: 100 }), mechanisms);
  const names = r.choices.map((c) => c.mechanism);
  assert.equal(names[names.length - 1], 'shm-posix/spin', names.join(', '));
  const spin = r.choices.find((c) => c.mechanism === 'shm-posix/spin')!;
  assert.ok(spin.busyPolls);
  assert.ok((spin.coresAtRate ?? 0) >= 2, `spin costs ${spin.coresAtRate} cores`);
  // Everyone else costs well under a tenth of a core at 100/s: p99 decides among them.
  const rest = r.choices.slice(0, -1);
  const p99s = rest.map((c) => c.p99Ns ?? Infinity);
  assert.deepEqual(p99s, [...p99s].sort((a, b) => a - b));
  assert.equal(names[0], 'shm-posix/futex');
  assert.match(r.rankedBy, /CPU cores at 100 msg\/s .*then p99/);
});

test('--cpu-cores excludes what the rate costs beyond the budget, and says why', () => {
  const r = recommend(results, rpc({ rateMsgsPerSec: 100, cpuCoresMax: 1 }), mechanisms);
  assert.ok(!r.choices.some((c) => c.mechanism === 'shm-posix/spin'));
  const spin = r.excluded.find((e) => e.mechanism === 'shm-posix/spin');
  assert.equal(spin?.constraint, 'cpu');
  assert.match(spin?.reason ?? '', /costs ≈ 2\.0* cores at 100 msg\/s \(it busy-polls: a whole core per side at any rate\), over the --cpu-cores 1 budget/);
  for (const c of r.choices) assert.ok((c.coresAtRate ?? Infinity) <= 1, `${c.mechanism}: ${c.coresAtRate}`);
});

const cli = (...argv: string[]): ReturnType<typeof capture> => capture(recommendCommand, ...argv);

test('the command: --cpu-cores needs --rate; with both, the text ranks by cost', async () => {
  const alone = await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'rpc', '--cpu-cores', '1');
  assert.equal(alone.code, 2);
  assert.match(alone.err, /--cpu-cores needs --rate/);
  const both = await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'rpc', '--rate', '100', '--cpu-cores', '1');
  assert.equal(both.code, 0, both.err);
  assert.match(both.out, /Ranked by CPU cores at 100 msg\/s/);
  assert.match(both.out, /^1\. shm-posix\/futex/m);
  assert.match(both.out, /shm-posix\/spin \(--cpu-cores\): costs/);
  assert.match((await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'rpc', '--rate', '100', '--cpu-cores', '-1')).err, /--cpu-cores: '-1' is not a positive number of cores/);
});
