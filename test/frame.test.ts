/** The frame: every message's sequence number and checksum, verified by the receiver. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocFrame, checkFrame, jsonFrame, jsonPayload, stampFrame } from '../bench/frame.js';
import { FrameKind } from '../core/frame-format.js';
import { FrameAssembler } from '../bench/stream-channel.js';

test('a stamped frame verifies and carries its kind and seq', () => {
  const f = stampFrame(allocFrame(64), FrameKind.Data, 41);
  assert.deepEqual(checkFrame(f), { ok: true, kind: FrameKind.Data, seq: 41, frameBytes: 64 });
});

test('one flipped payload bit is detected', () => {
  const f = stampFrame(allocFrame(4096), FrameKind.Data, 7);
  f[3000]! ^= 0x10;
  assert.deepEqual(checkFrame(f), { ok: false, reason: 'checksum mismatch' });
});

test('a flipped header bit is detected', () => {
  const f = stampFrame(allocFrame(64), FrameKind.Data, 7);
  f[8]! ^= 0x01; // seq
  assert.equal(checkFrame(f).ok, false);
});

test('a truncated frame is detected by its length field', () => {
  const f = stampFrame(allocFrame(128), FrameKind.Data, 1);
  const check = checkFrame(f.subarray(0, 100));
  assert.equal(check.ok, false);
  assert.match((check as { reason: string }).reason, /length field 128 but 100 bytes/);
});

test('a stale buffer resent with a new header but old payload stamp is detected', () => {
  const f = stampFrame(allocFrame(64), FrameKind.Data, 1);
  const stale = new Uint8Array(f);
  stale.set(stampFrame(allocFrame(64), FrameKind.Data, 2).subarray(0, 20)); // header of seq 2, stamp of seq 1
  assert.equal(checkFrame(stale).ok, false);
});

test('control frames round-trip JSON', () => {
  const f = jsonFrame(FrameKind.Summary, { received: 3, corrupt: 0, cpuUs: 12.5 });
  assert.equal(checkFrame(f).ok, true);
  assert.deepEqual(jsonPayload(f), { received: 3, corrupt: 0, cpuUs: 12.5 });
});

test('the stream assembler cuts frames out of arbitrary chunk boundaries', () => {
  const frames = [64, 1000, 70000, 32].map((n, i) => Buffer.from(stampFrame(allocFrame(n), FrameKind.Data, i)));
  const stream = Buffer.concat(frames);
  const a = new FrameAssembler();
  const out: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += 7) out.push(...a.push(stream.subarray(at, Math.min(at + 7, stream.length))));
  assert.equal(out.length, 4);
  out.forEach((f, i) => assert.deepEqual(checkFrame(f), { ok: true, kind: FrameKind.Data, seq: i, frameBytes: frames[i]!.length }));
});

test('the stream assembler refuses a length below the header instead of guessing', () => {
  const bad = Buffer.from(stampFrame(allocFrame(64), FrameKind.Data, 0));
  bad.writeUInt32LE(4, 12);
  assert.throws(() => new FrameAssembler().push(bad), /stream desynchronised/);
});
