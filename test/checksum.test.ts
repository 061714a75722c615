/**
 * CRC-32C, the frame checksum: the standard test vectors in every implementation (the
 * JavaScript slicing-by-8, the addon's selected path - SSE4.2 + PCLMULQDQ on this CPU - and
 * the addon's portable C++ path), the three agreeing on random data at random lengths and
 * offsets (crossing the 3 x 8 KiB and 3 x 256 B block sizes of the interleaved path), and
 * the frame checksum the same whichever the probe picks.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { test } from 'node:test';
import { CRC32C_INIT, crc32c, crc32cUpdate, crc32cUpdateJs, NATIVE_MIN_BYTES, useChecksum } from '../bench/checksum.js';
import { allocFrame, checksumReadsWords, frameChecksum, ReceiveFrames, stampFrame, verifyFrame, FRAME_OK } from '../bench/frame.js';
import { FrameKind } from '../core/frame-format.js';
import { native, nativeUnavailableReason } from '../bench/native/index.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The CRC-32C catalogue check value and RFC 3720 (iSCSI) appendix B.4. */
const VECTORS: Array<[string, Uint8Array, number]> = [
  ['"123456789" (CRC catalogue check)', ascii('123456789'), 0xe3069283],
  ['32 bytes of zeros (RFC 3720 B.4)', new Uint8Array(32), 0x8a9136aa],
  ['32 bytes of 0xff (RFC 3720 B.4)', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['32 incrementing bytes 00..1f (RFC 3720 B.4)', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['32 decrementing bytes 1f..00 (RFC 3720 B.4)', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  [
    'an iSCSI SCSI Read (10) command PDU (RFC 3720 B.4)',
    Uint8Array.from([
      0x01, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x18, 0x28, 0, 0, 0, 0, 0, 0,
      0, 0x02, 0, 0, 0, 0, 0, 0, 0,
    ]),
    0xd9963a56,
  ],
  ['the empty string', new Uint8Array(0), 0],
];

type Update = (state: number, bytes: Uint8Array, from: number, to: number) => number;

function implementations(): Array<[string, Update]> {
  const out: Array<[string, Update]> = [['JavaScript slicing-by-8', crc32cUpdateJs]];
  if (nativeUnavailableReason() === undefined) {
    const addon = native();
    out.push([`addon (${addon.crc32cImplementation})`, addon.crc32cUpdate], ['addon portable C++', addon.crc32cUpdatePortable]);
  }
  return out;
}

const finish = (update: Update, bytes: Uint8Array, from = 0, to = bytes.length): number => (update(CRC32C_INIT, bytes, from, to) ^ 0xffffffff) >>> 0;

test('the addon with its CRC-32C is built here (npm ci builds it; the comparisons below need it)', () => {
  assert.equal(nativeUnavailableReason(), undefined);
  assert.match(native().crc32cImplementation, /sse4\.2|portable/);
});

for (const [name, update] of implementations()) {
  test(`${name}: the standard CRC-32C test vectors`, () => {
    for (const [what, bytes, expected] of VECTORS) assert.equal(hex(finish(update, bytes)), hex(expected), what);
  });
}

test('JavaScript and both addon paths agree on random data, lengths (0 B to 300 KiB) and offsets; a state can be continued', () => {
  const data = randomBytes(400 * 1024);
  const impls = implementations();
  assert.ok(impls.length === 3, 'the addon paths must take part');
  const lengths = [0, 1, 7, 8, 9, 15, 16, 17, 255, 256, 767, 768, 769, 1023, 24575, 24576, 24577, 3 * 8192 + 768 + 5];
  for (let i = 0; i < 300; i++) lengths.push(i < 200 ? randomInt(0, 4096) : randomInt(0, 300 * 1024));
  for (const length of lengths) {
    const from = randomInt(0, 64);
    const state = randomInt(0, 0xffffffff) | 0;
    const expected = crc32cUpdateJs(state, data, from, from + length) >>> 0;
    for (const [name, update] of impls) {
      assert.equal(update(state, data, from, from + length) >>> 0, expected, `${name}: ${length} B at offset ${from}`);
    }
    // Two ranges fed one after the other equal the whole range fed at once.
    const cut = from + randomInt(0, length + 1);
    for (const [name, update] of impls) {
      assert.equal(update(update(state, data, from, cut), data, cut, from + length) >>> 0, expected, `${name}: split at ${cut}`);
    }
  }
});

test('the addon refuses a range outside the array instead of reading past it', () => {
  const addon = native();
  assert.throws(() => addon.crc32cUpdate(0, new Uint8Array(8), 0, 9), /outside the 8-byte array/);
  assert.throws(() => addon.crc32cUpdate(0, new Uint8Array(8), 5, 4), /outside/);
  assert.throws(() => addon.crc32cUpdate(0, 'not bytes' as unknown as Uint8Array, 0, 1), /Uint8Array/);
});

test('the frame checksum is the same whether the probe uses JavaScript only or the addon above the threshold', () => {
  for (const frameBytes of [32, 64, NATIVE_MIN_BYTES - 1, NATIVE_MIN_BYTES + 20, NATIVE_MIN_BYTES + 21, 4096, 1024 * 1024]) {
    const frame = stampFrame(allocFrame(frameBytes), FrameKind.Data, 77);
    useChecksum('js');
    const js = frameChecksum(frame, frameBytes);
    useChecksum('auto');
    assert.equal(frameChecksum(frame, frameBytes), js, `${frameBytes} B`);
    assert.equal(verifyFrame(frame), FRAME_OK);
    // The stored field is the CRC of [0,16) + [20,n): recompute it from the definition.
    const covered = new Uint8Array(frameBytes - 4);
    covered.set(frame.subarray(0, 16));
    covered.set(frame.subarray(20), 16);
    assert.equal(js, crc32c(covered), `${frameBytes} B: the checksum covers every byte but its own field`);
  }
  assert.equal(crc32cUpdate(CRC32C_INIT, new Uint8Array(0)) >>> 0, CRC32C_INIT);
});

test('the frame checksum covers every byte but its own field, at every size up to the addon and at any offset into a buffer', () => {
  for (let frameBytes = 20; frameBytes < NATIVE_MIN_BYTES + 24; frameBytes++) {
    for (const offset of [0, 1, 2, 4, 8]) {
      // A frame at `offset` into a bigger buffer, as a receive buffer's view can be.
      const backing = new Uint8Array(new ArrayBuffer(offset + frameBytes + 8));
      backing.set(randomBytes(backing.length));
      const frame = backing.subarray(offset, offset + frameBytes);
      const covered = new Uint8Array(frameBytes - 4);
      covered.set(frame.subarray(0, 16));
      covered.set(frame.subarray(20), 16);
      assert.equal(frameChecksum(frame, frameBytes), crc32c(covered), `${frameBytes} B at offset ${offset}`);
    }
  }
});

test('a receiver reusing its buffer (ReceiveFrames) has its frames checksummed by words, with the same checksum at every size, for two receivers at once', () => {
  const sizes = [20, 21, 22, 23, 24, 32, 63, 64, 65, 100, NATIVE_MIN_BYTES + 19, NATIVE_MIN_BYTES + 20, NATIVE_MIN_BYTES + 23, 4096 + 3];
  // Two receivers, as the calibration's loopback has (one per direction), used in turn.
  const buffers = [new Uint8Array(8192), new Uint8Array(8192)];
  const receivers = buffers.map((b) => new ReceiveFrames(b));
  for (const frameBytes of sizes) {
    for (let r = 0; r < 2; r++) {
      buffers[r]!.set(randomBytes(8192));
      const frame = receivers[r]!.of(frameBytes);
      const covered = new Uint8Array(frameBytes - 4);
      covered.set(frame.subarray(0, 16));
      covered.set(frame.subarray(20), 16);
      assert.ok(checksumReadsWords(frame), `${frameBytes} B, receiver ${r}: read by words`);
      assert.equal(frameChecksum(frame, frameBytes), crc32c(covered), `${frameBytes} B, receiver ${r}`);
    }
    // The first receiver's view is still known after the second made its own.
    assert.ok(checksumReadsWords(receivers[0]!.of(frameBytes)));
  }
  // A frame in a buffer of its own (a socket's read) takes the byte loop.
  assert.equal(checksumReadsWords(stampFrame(allocFrame(64), FrameKind.Data, 1)), false);
});

test('read by words, a flipped bit in any byte of a frame is found, the tail bytes after the last whole word included', () => {
  for (const frameBytes of [64, 67, 1024 + 2]) {
    const buffer = new Uint8Array(4096);
    const receiver = new ReceiveFrames(buffer);
    buffer.set(stampFrame(allocFrame(frameBytes), FrameKind.Data, 0x01020304));
    const frame = receiver.of(frameBytes);
    assert.ok(checksumReadsWords(frame));
    assert.equal(verifyFrame(frame), FRAME_OK, `${frameBytes} B`);
    for (let at = 0; at < frameBytes; at++) {
      if (at >= 16 && at < 20) continue; // the checksum field itself
      frame[at] = frame[at]! ^ 0x10;
      assert.notEqual(verifyFrame(frame), FRAME_OK, `${frameBytes} B: byte ${at} flipped`);
      frame[at] = frame[at]! ^ 0x10;
    }
  }
});
