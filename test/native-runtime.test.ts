/**
 * The native runtime (harness/runtimes/native.ts) learns what the probe implements from
 * `podipc_probe --list`: it is available when the probe is built and speaks this harness's
 * protocol and frame, and the matrix's skip reasons name what is missing. Checked against
 * the real binary and against hand-written --list answers for the refusals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FRAME_VERSION } from '../core/frame-format.js';
import { PROTOCOL_VERSION } from '../core/protocol.js';
import { buildMatrix } from '../harness/matrix.js';
import { processPlacement } from '../harness/placements/process.js';
import { checkNativeList, implementsFromList, NATIVE_PROBE, nativeRuntime } from '../harness/runtimes/native.js';

const list = (mechanisms: unknown[], protocolVersion = PROTOCOL_VERSION, frameVersion = FRAME_VERSION): string =>
  JSON.stringify({ protocolVersion, frameVersion, mechanisms });

test('the built native probe is available and implements what its --list says', () => {
  assert.deepEqual(nativeRuntime.availability(), { ok: true });
  assert.deepEqual(nativeRuntime.implements('tcp', undefined, 'latency'), { ok: true });
  assert.deepEqual(nativeRuntime.implements('shm-posix', 'futex', 'throughput'), { ok: true });
  assert.match((nativeRuntime.implements('ws', undefined, 'latency') as { reason: string }).reason, /^the native probe does not implement ws/);
  assert.match((nativeRuntime.implements('file-tmpfs', undefined, 'throughput') as { reason: string }).reason, /^the native probe does not implement file-tmpfs/);
  // sem has no stream in either runtime: the mechanism's own reason, not the runtime's.
  assert.match((nativeRuntime.implements('sem', undefined, 'throughput') as { reason: string }).reason, /sem is a wake-up primitive/);
  assert.deepEqual(nativeRuntime.hostCommand('/x/plan.json'), { command: NATIVE_PROBE, args: ['--plan', '/x/plan.json'] });
});

test('a probe of another protocol or frame version, or one that prints no list, is unavailable naming the rebuild', () => {
  const older = checkNativeList(list([], PROTOCOL_VERSION - 1));
  assert.equal(older.ok, false);
  assert.match((older as { reason: string }).reason, new RegExp(`speaks protocol ${PROTOCOL_VERSION - 1} / frame ${FRAME_VERSION}, this harness ${PROTOCOL_VERSION} / ${FRAME_VERSION}.*npm run build:native`));
  assert.match((checkNativeList(list([], PROTOCOL_VERSION, 1)) as { reason: string }).reason, /frame 1/);
  assert.match((checkNativeList('probe: oops') as { reason: string }).reason, /did not print JSON/);
  assert.match((checkNativeList('{"mechanisms":3}') as { reason: string }).reason, /unexpected shape/);
});

test('implements() refuses unlisted mechanisms, variants and probes in the contract wording', () => {
  const parsed = checkNativeList(list([{ id: 'shm-posix', variants: ['spin'], probes: ['latency'] }]));
  assert.ok(parsed.ok);
  const l = parsed.list;
  assert.deepEqual(implementsFromList(l, 'shm-posix', 'spin', 'latency'), { ok: true });
  assert.match((implementsFromList(l, 'tcp', undefined, 'latency') as { reason: string }).reason, /^the native probe does not implement tcp/);
  assert.match((implementsFromList(l, 'shm-posix', 'futex', 'latency') as { reason: string }).reason, /^the native probe does not implement shm-posix\/futex \(its variants: spin\)/);
  assert.match((implementsFromList(l, 'shm-posix', 'spin', 'throughput') as { reason: string }).reason, /^the native probe does not implement shm-posix\/spin throughput/);
});

test('the matrix runs native cases the probe implements and skips the rest with the runtime reason', () => {
  const matrix = buildMatrix(
    {
      selections: [{ mechanism: 'tcp', variant: undefined }, { mechanism: 'ws', variant: undefined }],
      probes: ['latency'],
      sizes: [64],
      topologies: ['same-pod'],
      runtimes: ['node', 'native'],
    },
    [{ id: 'process', capabilities: processPlacement.capabilities, lacks: () => new Map(), runtimeAvailability: (r) => r.availability() }],
  );
  const byKey = new Map(matrix.cases.map((c) => [`${c.runtime} ${c.mechanism}`, c]));
  assert.equal(byKey.get('native tcp')?.skip, undefined);
  assert.equal(byKey.get('node ws')?.skip, undefined);
  assert.match(byKey.get('native ws')?.skip ?? '', /^the native probe does not implement ws/);
  assert.equal(matrix.groups.filter((g) => g.runtime === 'native').length, 1);
});
