/** The frame: every message's sequence number and checksum, verified by the receiver. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocFrame, checkFrame, DataFrame, jsonFrame, jsonPayload, stampFrame } from '../bench/frame.js';
import { randomInt } from 'node:crypto';
import { FrameKind } from '../core/frame-format.js';
import { FrameAssembler } from '../bench/stream-channel.js';

test('a stamped frame verifies and carries its kind and seq', () => {
  const f = stampFrame(allocFrame(64), FrameKind.Data, 41);
  assert.deepEqual(checkFrame(f), { ok: true, kind: FrameKind.Data, seq: 41, frameBytes: 64 });
});

const checksumOf = (f: Uint8Array): number => Buffer.from(f.buffer, f.byteOffset, f.length).readUInt32LE(16);

test('a DataFrame stamps the bytes and the checksum stampFrame writes, for every seq byte and size (its checksum comes from tables)', () => {
  const seqs = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xffffffff];
  for (let i = 0; i < 20; i++) seqs.push(randomInt(0, 2 ** 32));
  for (const frameBytes of [24, 32, 33, 63, 64, 65, 255, 256, 257, 1024, 4099, 65536, 1048576]) {
    const frame = new DataFrame(frameBytes);
    for (const seq of seqs) {
      const stamped = frame.stamp(seq);
      const expected = stampFrame(allocFrame(frameBytes), FrameKind.Data, seq);
      assert.equal(stamped.length, frameBytes);
      // The checksum field first, as a number, for a readable failure.
      assert.equal(checksumOf(stamped), checksumOf(expected), `${frameBytes} B, seq ${seq}: checksum`);
      assert.ok(Buffer.from(stamped).equals(Buffer.from(expected)), `${frameBytes} B, seq ${seq}: bytes`);
      assert.deepEqual(checkFrame(stamped), { ok: true, kind: FrameKind.Data, seq, frameBytes });
    }
  }
  assert.throws(() => new DataFrame(23), /no room for its payload stamp/);
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
