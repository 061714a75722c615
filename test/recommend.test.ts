import { capture } from './helpers/cli.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { mechanisms } from '../bench/registry.js';
import { recommend, type MechanismInfo, type RecommendRequest } from '../harness/recommend/engine.js';
import { formatRecommendation } from '../harness/recommend/format-text.js';
import { recommendCommand } from '../harness/commands/recommend.js';

const BASE_PATH = fileURLToPath(new URL('../../test/fixtures/good/base.json', import.meta.url));
const results: ResultFile = parseResultFile(JSON.parse(readFileSync(BASE_PATH, 'utf8')), 'base.json');

/** The real registry: what recommend says about a mechanism is what the mechanism declares. */
const REGISTRY: readonly MechanismInfo[] = mechanisms;

const req = (r: Partial<RecommendRequest>): RecommendRequest => ({ messageBytes: 64, pattern: 'rpc', crossPod: false, noIpcNamespace: false, ...r });

test('rpc at 64 B: ranked by p99, spinning shared memory first, pod needs from the registry', () => {
  const r = recommend(results, req({}), REGISTRY);
  assert.equal(r.nothingFits, undefined);
  assert.equal(r.sizeUsed, 64);
  assert.deepEqual(
    r.choices.map((c) => c.mechanism),
    ['shm-posix/spin', 'shm-posix/futex', 'mq-posix', 'uds', 'udp', 'tcp'],
  );
  const p99s = r.choices.map((c) => c.p99Ns ?? Infinity);
  assert.deepEqual(p99s, [...p99s].sort((a, b) => a - b));
  const spin = r.choices[0];
  assert.equal(spin?.busyPolls, true);
  assert.ok(spin?.podNeeds.some((n) => /IPC namespace/.test(n)));
  assert.ok(spin?.podNeeds.some((n) => /medium: Memory at \/dev\/shm/.test(n)));
  assert.ok(spin?.podSpecYaml.some((y) => /mountPath: \/dev\/shm/.test(y)));
  // The printed advice warns that a poller needs a core of its own per side.
  assert.match(formatRecommendation(r), /busy-polls: .*each side needs its own core/);
  assert.equal(r.choices.find((c) => c.mechanism === 'tcp')?.podNeeds[0], 'nothing beyond a default pod (containers of a pod share the network namespace)');
  assert.ok(r.choices.find((c) => c.mechanism === 'uds')?.podSpecYaml.some((y) => /emptyDir: \{\}/.test(y)));
});

test('pod needs follow the registry declaration, not the mechanism name', () => {
  const odd: MechanismInfo[] = REGISTRY.map((m) => (m.id === 'tcp' ? { ...m, requires: ['volume-tmpfs' as const] } : m));
  const tcp = recommend(results, req({}), odd).choices.find((c) => c.mechanism === 'tcp');
  assert.match(tcp?.podNeeds.join(' ') ?? '', /emptyDir with medium: Memory/);
  const unknown = recommend(results, req({}), []).choices.find((c) => c.mechanism === 'tcp');
  assert.match(unknown?.podNeeds[0] ?? '', /not in this podipc's mechanism registry/);
});

test('requirements are per variant: shm-posix/futex needs the addon for the Node probe, spin does not', () => {
  const r = recommend(results, req({}), REGISTRY);
  const addon = /native binding/;
  const spin = r.choices.find((c) => c.mechanism === 'shm-posix/spin');
  const futex = r.choices.find((c) => c.mechanism === 'shm-posix/futex');
  assert.ok(spin && futex);
  assert.ok(!spin.podNeeds.some((n) => addon.test(n)), spin.podNeeds.join('\n'));
  assert.ok(futex.podNeeds.some((n) => addon.test(n)), futex.podNeeds.join('\n'));
});

test('the nearest measured size >= requested is used and named', () => {
  const r = recommend(results, req({ messageBytes: 4000 }), REGISTRY);
  assert.equal(r.sizeUsed, 65536);
  assert.match(r.notes.join(' '), /No case measured 4000 B; using the nearest measured size above it, 64 KiB/);
  // UDP cannot carry 64 KiB: its skipped case excludes it, with the case's own reason.
  const udp = r.excluded.find((e) => e.mechanism === 'udp');
  assert.equal(udp?.constraint, 'skipped');
  assert.match(udp?.reason ?? '', /65507 bytes/);
});

test('chunked queue messages suggest the unsafe sysctl the kubelet must allow', () => {
  const r = recommend(results, req({ messageBytes: 65536 }), REGISTRY);
  const mq = r.choices.find((c) => c.mechanism === 'mq-posix');
  assert.ok(mq);
  assert.equal(mq.sysctlAdvice.length, 1);
  assert.match(mq.sysctlAdvice[0] ?? '', /fs\.mqueue\.msgsize_max=8192/);
  assert.match(mq.sysctlAdvice[0] ?? '', /allowedUnsafeSysctls/);
  assert.match(mq.sysctlAdvice[0] ?? '', /value: "65536"/);
  // 64 B fits in 8 KiB: no advice.
  assert.deepEqual(recommend(results, req({}), REGISTRY).choices.find((c) => c.mechanism === 'mq-posix')?.sysctlAdvice, []);
});

test('stream: UDP that lost messages is excluded; ranking is CPU per byte', () => {
  const r = recommend(results, req({ pattern: 'stream', messageBytes: 1024 }), REGISTRY);
  const udp = r.excluded.find((e) => e.mechanism === 'udp');
  assert.equal(udp?.constraint, 'integrity');
  assert.match(udp?.reason ?? '', /lost \d+ .* a stream must deliver every message/);
  assert.ok(!r.choices.some((c) => c.mechanism === 'udp'));
  const perByte = r.choices.map((c) => c.cpuUsPerByte ?? Infinity);
  assert.deepEqual(perByte, [...perByte].sort((a, b) => a - b));
  assert.equal(r.choices[0]?.mechanism, 'shm-posix/spin', 'at full rate the poller is the cheapest per byte');
});

test('stream at a requested rate: a busy-polling mechanism costs a core per side, so it drops down', () => {
  const r = recommend(results, req({ pattern: 'stream', messageBytes: 1024, rateMsgsPerSec: 50_000 }), REGISTRY);
  const spin = r.choices.find((c) => c.mechanism === 'shm-posix/spin');
  assert.ok(spin && (spin.coresAtRate ?? 0) >= 2, `spin costs ${spin?.coresAtRate} cores`);
  assert.equal(r.choices[0]?.mechanism, 'shm-posix/futex');
  assert.equal(r.choices[r.choices.length - 1]?.mechanism, 'shm-posix/spin');
  // The futex side: 50 000 msg/s × (client + server µs per message) / 1e6.
  const futex = r.choices[0];
  const expected = (50_000 * ((futex?.cpu?.clientUsPerMsg ?? 0) + (futex?.cpu?.serverUsPerMsg ?? 0))) / 1e6;
  assert.ok(Math.abs((futex?.coresAtRate ?? 0) - expected) < 1e-9);
  // A rate beyond a mechanism's measured maximum excludes it with the rate constraint.
  const fast = recommend(results, req({ pattern: 'stream', messageBytes: 1024, rateMsgsPerSec: 250_000 }), REGISTRY);
  assert.equal(fast.excluded.find((e) => e.mechanism === 'tcp')?.constraint, 'rate');
});

test('--cross-pod keeps only what separate pods can use, and says tcp crosses the pod network, not the loopback', () => {
  const cross = recommend(results, req({ crossPod: true }), REGISTRY);
  const tcp = cross.choices.find((c) => c.mechanism === 'tcp');
  assert.match(tcp?.summary ?? '', /pod network/);
  assert.doesNotMatch(tcp?.summary ?? '', /loopback/);
  assert.doesNotMatch(formatRecommendation(cross), /loopback/);
  assert.match(recommend(results, req({}), REGISTRY).choices.find((c) => c.mechanism === 'tcp')?.summary ?? '', /loopback/, 'in one pod it is the loopback');
  assert.equal(cross.topology, 'cross-pod');
  assert.deepEqual(cross.choices.map((c) => c.mechanism).sort(), ['tcp', 'udp']);
  const mq = cross.excluded.find((e) => e.mechanism === 'mq-posix');
  assert.equal(mq?.constraint, 'topology');
  assert.match(mq?.reason ?? '', /needs ipc-namespace, which separate pods do not share/);
  assert.equal(cross.excluded.find((e) => e.mechanism === 'uds')?.constraint, 'topology');

  const noIpc = recommend(results, req({ noIpcNamespace: true }), REGISTRY);
  assert.deepEqual(noIpc.choices.map((c) => c.mechanism).sort(), ['tcp', 'udp', 'uds']);
  assert.equal(noIpc.excluded.find((e) => e.mechanism === 'shm-posix/futex')?.constraint, 'ipc-namespace');
});

test('when nothing fits, the answer says which constraint excluded what', () => {
  const r = recommend(results, req({ crossPod: true, p99UsMax: 0.1 }), REGISTRY);
  assert.equal(r.choices.length, 0);
  assert.match(r.nothingFits ?? '', /--p99-us excluded tcp, udp/);
  assert.match(r.nothingFits ?? '', /--cross-pod excluded .*mq-posix/);
  const text = formatRecommendation(r);
  assert.match(text, /Nothing fits:/);
  assert.match(text, /tcp \(--p99-us\): p99 round trip .* is over the 0\.1 µs budget/);

  const huge = recommend(results, req({ messageBytes: 4 * 1024 * 1024 }), REGISTRY);
  assert.match(huge.nothingFits ?? '', /no measured size is >= 4 MiB \(the largest is 1 MiB\); run 'podipc run --sizes 4194304'/);
});

const cli = (...argv: string[]): ReturnType<typeof capture> => capture(recommendCommand, ...argv);

test('recommendCommand: 0 with choices, 1 when nothing fits, 2 on bad usage or a bad file', async () => {
  const ok = await cli('--results', BASE_PATH, '--size', '1KiB', '--pattern', 'rpc', '--p99-us', '60');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /Ranked by p99 round trip/);
  assert.match(ok.out, /^1\. shm-posix\/spin/m);
  assert.match(ok.out, /pod needs: /);

  const none = await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'rpc', '--p99-us', '0.1');
  assert.equal(none.code, 1);
  assert.match(none.out, /Nothing fits/);

  const json = await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'stream', '--format', 'json');
  assert.equal(json.code, 0);
  assert.equal((JSON.parse(json.out) as { sizeUsed: number }).sizeUsed, 64);

  assert.match((await cli('--size', '64', '--pattern', 'rpc')).err, /--results FILE is required/);
  assert.match((await cli('--results', BASE_PATH, '--size', 'big', '--pattern', 'rpc')).err, /--size: 'big' is not a size in bytes/);
  assert.match((await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'pubsub')).err, /--pattern: 'pubsub' is not one of rpc, stream/);
  for (const negative of [['--p99-us=-3'], ['--p99-us', '-3']]) {
    const r = await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'rpc', ...negative);
    assert.equal(r.code, 2);
    assert.equal(r.err, "podipc recommend: --p99-us: '-3' is not a positive number of microseconds, e.g. --p99-us 100\n");
  }
  const unknownFlag = await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'rpc', '--crosspod');
  assert.equal(unknownFlag.code, 2);
  assert.match(unknownFlag.err, /unknown flag '--crosspod' \(did you mean --cross-pod\?\)/);
  assert.equal(unknownFlag.err.trim().split('\n').length, 1, 'one line');
  const badFile = await cli('--results', fileURLToPath(new URL('../../test/fixtures/bad/unknown-schema-version.json', import.meta.url)), '--size', '64', '--pattern', 'rpc');
  assert.equal(badFile.code, 2);
  assert.match(badFile.err, /schemaVersion 99, but this podipc reads schemaVersion 1/);
});

test('--size reads sizes as run --sizes does: bytes and binary units up to GiB', async () => {
  for (const [text, bytes] of [['4096', 4096], ['4KiB', 4096], ['1m', 1048576], ['2GiB', 2 * 1024 ** 3]] as const) {
    const r = await cli('--results', BASE_PATH, '--size', text, '--pattern', 'rpc', '--format', 'json');
    assert.ok(r.code === 0 || r.code === 1, r.err);
    assert.equal((JSON.parse(r.out) as { request: { messageBytes: number } }).request.messageBytes, bytes);
  }
  assert.match((await cli('--results', BASE_PATH, '--size', '0', '--pattern', 'rpc')).err, /--size: '0' is not a size in bytes/);
  assert.match((await cli('--results', BASE_PATH, '--size', '-5', '--pattern', 'rpc')).err, /--size: '-5' is not a size in bytes/);
});

test('results from a quick run carry a warning before the ranking', () => {
  const quick: ResultFile = { ...results, config: { ...results.config, quick: true, runs: 5, measureMs: 40 } };
  const r = recommend(quick, req({}), REGISTRY);
  assert.match(r.warnings.join(' '), /smoke run \(a --quick run, 40 ms measured per case and run/);
  const text = formatRecommendation(r);
  assert.ok(text.indexOf('warning: these results come from a smoke run') < text.indexOf('Ranked by'), text);
  assert.deepEqual(recommend(results, req({}), REGISTRY).warnings, [], 'a full run carries no warning');
});
