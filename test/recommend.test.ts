import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseResultFile, type ResultFile } from '../core/results.js';
import { formatRecommendation, parseSize, recommend, recommendCommand, type MechanismInfo, type RecommendRequest } from '../harness/recommend.js';
import type { CommandIo } from '../harness/command-io.js';

const BASE_PATH = fileURLToPath(new URL('../../test/fixtures/good/base.json', import.meta.url));
const results: ResultFile = parseResultFile(JSON.parse(readFileSync(BASE_PATH, 'utf8')), 'base.json');

/** The fixture's mechanisms as DESIGN.md's table declares them (the real registry is still growing). */
const REGISTRY: MechanismInfo[] = [
  { id: 'tcp', summary: 'TCP over loopback', requires: [] },
  { id: 'udp', summary: 'UDP over loopback', requires: [], lossy: true },
  { id: 'uds', summary: 'Unix stream socket on a shared volume', requires: ['volume-disk'] },
  { id: 'mq-posix', summary: 'POSIX message queues', requires: ['ipc-namespace', 'native-addon'] },
  { id: 'shm-posix', summary: 'POSIX shared memory', requires: ['ipc-namespace', 'shared-dev-shm', 'native-addon'] },
];

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
  const odd: MechanismInfo[] = REGISTRY.map((m) => (m.id === 'tcp' ? { ...m, requires: ['volume-tmpfs'] } : m));
  const tcp = recommend(results, req({}), odd).choices.find((c) => c.mechanism === 'tcp');
  assert.match(tcp?.podNeeds.join(' ') ?? '', /emptyDir with medium: Memory/);
  const unknown = recommend(results, req({}), []).choices.find((c) => c.mechanism === 'tcp');
  assert.match(unknown?.podNeeds[0] ?? '', /not in this podipc's mechanism registry/);
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

test('--cross-pod keeps only what separate pods can use; --no-ipc-namespace drops IPC mechanisms', () => {
  const cross = recommend(results, req({ crossPod: true }), REGISTRY);
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

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIo = { stdout: (t) => void (out += t), stderr: (t) => void (err += t) };
  const code = await recommendCommand(argv, io, REGISTRY);
  return { code, out, err };
}

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
  assert.match((await cli('--results', BASE_PATH, '--size', 'big', '--pattern', 'rpc')).err, /--size big is not a size/);
  assert.match((await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'pubsub')).err, /--pattern pubsub: use --pattern rpc/);
  assert.match((await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'rpc', '--p99-us=-3')).err, /--p99-us -3 must be a positive number/);
  const unknownFlag = await cli('--results', BASE_PATH, '--size', '64', '--pattern', 'rpc', '--crosspod');
  assert.equal(unknownFlag.code, 2);
  assert.match(unknownFlag.err, /--crosspod/);
  const badFile = await cli('--results', fileURLToPath(new URL('../../test/fixtures/bad/unknown-schema-version.json', import.meta.url)), '--size', '64', '--pattern', 'rpc');
  assert.equal(badFile.code, 2);
  assert.match(badFile.err, /schemaVersion 99, but this podipc reads schemaVersion 1/);
});

test('parseSize accepts bytes and binary units', () => {
  assert.equal(parseSize('4096'), 4096);
  assert.equal(parseSize('4KiB'), 4096);
  assert.equal(parseSize('1m'), 1048576);
  assert.equal(parseSize('0'), undefined);
  assert.equal(parseSize('4 GB'), undefined);
});
