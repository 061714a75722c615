/**
 * Writing and checking frames (layout: core/frame-format.ts). The receiver recomputes the
 * checksum, so a mechanism that corrupts or drops data shows it in `integrity` instead of
 * silently looking fast. Hot-path functions read and write bytes directly: no DataView,
 * no allocation per message.
 */
import { FRAME_HEADER_BYTES, FRAME_MAGIC, FRAME_VERSION, FrameKind, patternByte } from '../core/frame-format.js';
import { CRC32C_INIT, crc32cU32Deltas, crc32cUpdateGap, crc32cUpdateGapWords, WORDS_ARE_LITTLE_ENDIAN } from './checksum.js';
import { wordsOf } from './bytes.js';

export interface FrameHeader {
  kind: FrameKind;
  seq: number;
  frameBytes: number;
}

export type FrameCheck = ({ ok: true } & FrameHeader) | { ok: false; reason: string };

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/**
 * The same four bytes as a signed 32-bit integer. Hot paths compare these: an unsigned value
 * of 2^31 or more is not a small integer to V8, and returning one from a function that is
 * not inlined allocates a heap number (16 bytes, measured) - half of all checksums.
 */
function i32(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

/**
 * A zeroed byte array whose bytes live outside the JavaScript heap, whatever its size. V8
 * keeps a `new Uint8Array(n)` of up to 64 bytes inside its heap, where every element access
 * pays for an address computation the optimiser cannot hoist (a GC may move it): a byte loop
 * over 64 such bytes was slower than over 64 bytes off the heap (an ad-hoc timing). An
 * ArrayBuffer's bytes are never on the heap.
 */
export function offHeapBytes(n: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(n));
}

/** CRC-32C of the header's first 16 bytes and the payload: every byte but the checksum field. */
export function frameChecksum(frame: Uint8Array, frameBytes: number): number {
  return frameChecksumI32(frame, frameBytes) >>> 0;
}

/** frameChecksum as a signed 32-bit integer (the same bits): what the per-message paths use. */
function frameChecksumI32(frame: Uint8Array, frameBytes: number): number {
  const words = frame === latestView ? latestWords : frame === earlierView ? earlierWords : undefined;
  // `| 0`: CRC32C_INIT (0xffffffff) is a double, and passed as one it is boxed, 16 bytes a call.
  if (words !== undefined) return crc32cUpdateGapWords(CRC32C_INIT | 0, frame, words, 16, 4, frameBytes) ^ -1;
  return crc32cUpdateGap(CRC32C_INIT | 0, frame, 16, 4, frameBytes) ^ -1;
}

/**
 * The two views ReceiveFrames made last, with their buffers' word views: one per direction
 * when both sides run in one process (the calibration's loopback, tests), and a probe's own
 * receive buffer otherwise. Two identity checks per checksum find them; any other frame (a
 * socket's read, a frame being stamped) takes the byte walk.
 */
let latestView: Uint8Array | undefined;
let latestWords: Int32Array | undefined;
let earlierView: Uint8Array | undefined;
let earlierWords: Int32Array | undefined;

/** Whether frameChecksum reads this frame by words: a view ReceiveFrames made last or the one before. */
export function checksumReadsWords(frame: Uint8Array): boolean {
  return frame === latestView || frame === earlierView;
}

function rememberWords(view: Uint8Array, words: Int32Array): void {
  earlierView = latestView;
  earlierWords = latestWords;
  latestView = view;
  latestWords = words;
}

/**
 * The frames a receiver hands out from one reused buffer (a shared-memory ring's reader, a
 * message queue's reassembly buffer, the calibration's loopback): the view bytes[0, length),
 * reused while the length repeats, so a steady ping-pong allocates nothing per message.
 *
 * The buffer's bytes stay where they are while its views are in use, so the checksum of such
 * a view can read them four at a time through an Int32Array over the same memory
 * (crc32cUpdateGapWords): each view made is remembered for frameChecksum with the buffer's
 * word view. Not on a big-endian host, or for a buffer that does not start on a word.
 */
export class ReceiveFrames {
  private view!: Uint8Array;
  private words: Int32Array | undefined;

  constructor(private bytes: Uint8Array) {
    this.reset(bytes);
  }

  /** Point at a new (grown) buffer. */
  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.words = WORDS_ARE_LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 ? wordsOf(bytes) : undefined;
    this.view = bytes.subarray(0, 0);
  }

  of(length: number): Uint8Array {
    if (this.view.length !== length) {
      this.view = this.bytes.subarray(0, length);
      if (this.words !== undefined) rememberWords(this.view, this.words);
    }
    return this.view;
  }
}

/**
 * Fill a reusable buffer once with the payload pattern; `stampFrame` then only rewrites the
 * header and the per-message stamp, so the sender does not regenerate a megabyte per message.
 */
export function allocFrame(frameBytes: number): Uint8Array {
  const frame = offHeapBytes(frameBytes);
  for (let i = FRAME_HEADER_BYTES; i < frameBytes; i++) frame[i] = patternByte(i);
  return frame;
}

/**
 * Write header, for data frames the payload stamp (seq repeated), and the checksum, computed
 * over every byte (control frames, tests; a sender's repeated data frame is a DataFrame).
 */
export function stampFrame(frame: Uint8Array, kind: FrameKind, seq: number, frameBytes = frame.length): Uint8Array {
  putU32(frame, 0, FRAME_MAGIC);
  frame[4] = FRAME_VERSION & 0xff;
  frame[5] = FRAME_VERSION >>> 8;
  frame[6] = kind & 0xff;
  frame[7] = kind >>> 8;
  putU32(frame, 8, seq >>> 0);
  putU32(frame, 12, frameBytes);
  if (kind === FrameKind.Data && frameBytes >= FRAME_HEADER_BYTES + 4) putU32(frame, 20, seq >>> 0);
  putU32(frame, 16, frameChecksumI32(frame, frameBytes));
  return frame.length === frameBytes ? frame : frame.subarray(0, frameBytes);
}

/**
 * A data frame that a sender stamps again and again with a new seq (the latency, rate and
 * throughput probes' requests). Only the seq changes between messages - in the header and in
 * the payload stamp, the same u32 twice - and the CRC-32C is linear, so the checksum is the
 * frame's checksum at seq 0 XOR four table lookups by the seq's bytes (crc32cU32Deltas),
 * computed once for the frame's length: a 64-byte frame costs four lookups instead of 60 bytes
 * of CRC, a 1 MiB frame no pass over its megabyte. The frame is still the exact bytes, with
 * the exact checksum, that stampFrame writes (test/frame.test.ts compares them), and every
 * receiver still recomputes the checksum over every byte it got: the integrity check is the
 * receiver's, and it is unchanged. The pattern is written once here and never again, so what
 * the checksum was computed from is what the sender sends.
 */
export class DataFrame {
  private readonly frame: Uint8Array;
  private readonly checksumAtSeq0: number;
  private readonly deltas: Int32Array;

  constructor(readonly frameBytes: number) {
    if (frameBytes < FRAME_HEADER_BYTES + 4) throw new Error(`a data frame of ${frameBytes} bytes has no room for its payload stamp`);
    this.frame = stampFrame(allocFrame(frameBytes), FrameKind.Data, 0);
    this.checksumAtSeq0 = i32(this.frame, 16);
    // The checksummed stream leaves out the checksum field [16, 20): the header's seq (frame
    // byte 8) is stream byte 8, the payload stamp (frame byte 20) stream byte 16.
    this.deltas = crc32cU32Deltas(frameBytes - 4, [8, 16]);
  }

  /** The frame stamped with `seq`: valid until the next stamp. */
  stamp(seq: number): Uint8Array {
    const f = this.frame;
    const t = this.deltas;
    putU32(f, 8, seq);
    putU32(f, 20, seq);
    putU32(f, 16, this.checksumAtSeq0 ^ t[seq & 0xff]! ^ t[256 + ((seq >>> 8) & 0xff)]! ^ t[512 + ((seq >>> 16) & 0xff)]! ^ t[768 + (seq >>> 24)]!);
    return f;
  }
}

/**
 * A control frame carrying a small JSON payload. With `frameBytes` (and room for the JSON)
 * the frame has that length, the JSON followed by spaces: Begin and its Ack travel at the
 * case's message size, so between warm-up and the measured phase no receive path sees a
 * frame length the warm-up never did (a new length took branches V8 had no feedback for,
 * and it deoptimised the receive path at the start of the measured phase: --trace-deopt).
 */
export function jsonFrame(kind: FrameKind, body: unknown, frameBytes?: number): Uint8Array {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  const natural = FRAME_HEADER_BYTES + payload.length;
  const frame = offHeapBytes(frameBytes !== undefined && frameBytes > natural ? frameBytes : natural);
  frame.fill(0x20, natural);
  frame.set(payload, FRAME_HEADER_BYTES);
  return stampFrame(frame, kind, 0);
}

export function jsonPayload(frame: Uint8Array): unknown {
  const frameBytes = u32(frame, 12);
  return JSON.parse(Buffer.from(frame.buffer, frame.byteOffset + FRAME_HEADER_BYTES, frameBytes - FRAME_HEADER_BYTES).toString('utf8'));
}

/** The length field, without verifying: stream readers use it to find frame boundaries. */
export function frameLength(frame: Uint8Array): number {
  return u32(frame, 12);
}

/** The length field of the frame starting at `offset` of `bytes` (no view needed). */
export function frameLengthAt(bytes: Uint8Array, offset: number): number {
  return u32(bytes, offset + 12);
}

/** Read the header without verifying. */
export function readHeader(frame: Uint8Array): FrameHeader & { magic: number; version: number } {
  return {
    magic: u32(frame, 0),
    version: frame[4]! | (frame[5]! << 8),
    kind: (frame[6]! | (frame[7]! << 8)) as FrameKind,
    seq: u32(frame, 8),
    frameBytes: u32(frame, 12),
  };
}

/** What verifyFrame found: FRAME_OK, or which check failed first (the contract's order). */
export const FRAME_OK = 0;
export const FRAME_SHORT = 1;
export const FRAME_BAD_MAGIC = 2;
export const FRAME_BAD_VERSION = 3;
export const FRAME_BAD_LENGTH = 4;
export const FRAME_BAD_CHECKSUM = 5;
export const FRAME_BAD_STAMP = 6;

/**
 * Verify length, magic, version, length field, checksum and (data frames) the payload stamp,
 * in the order the frame contract fixes. Returns a number, not an object: the probes call
 * it on every message and must not allocate there; `checkFrame` explains a failure.
 */
export function verifyFrame(frame: Uint8Array): number {
  const n = frame.length;
  if (n < FRAME_HEADER_BYTES) return FRAME_SHORT;
  if (i32(frame, 0) !== FRAME_MAGIC) return FRAME_BAD_MAGIC;
  if ((frame[4]! | (frame[5]! << 8)) !== FRAME_VERSION) return FRAME_BAD_VERSION;
  if (i32(frame, 12) !== n) return FRAME_BAD_LENGTH;
  if (frameChecksumI32(frame, n) !== i32(frame, 16)) return FRAME_BAD_CHECKSUM;
  if ((frame[6]! | (frame[7]! << 8)) === FrameKind.Data && n >= FRAME_HEADER_BYTES + 4 && i32(frame, 20) !== i32(frame, 8)) return FRAME_BAD_STAMP;
  return FRAME_OK;
}

/** The kind field, unverified (read it after verifyFrame said FRAME_OK). */
export function frameKindOf(frame: Uint8Array): FrameKind {
  return (frame[6]! | (frame[7]! << 8)) as FrameKind;
}

/** The seq field, unverified. */
export function frameSeqOf(frame: Uint8Array): number {
  return u32(frame, 8);
}

/** Verify magic, version, length, checksum and stamp. Never throws: a bad frame is data for `integrity`. */
export function checkFrame(frame: Uint8Array): FrameCheck {
  const status = verifyFrame(frame);
  if (status === FRAME_OK) return { ok: true, kind: frameKindOf(frame), seq: frameSeqOf(frame), frameBytes: frame.byteLength };
  const h = frame.byteLength >= FRAME_HEADER_BYTES ? readHeader(frame) : undefined;
  switch (status) {
    case FRAME_SHORT:
      return { ok: false, reason: `short frame (${frame.byteLength} bytes)` };
    case FRAME_BAD_MAGIC:
      return { ok: false, reason: `bad magic 0x${h!.magic.toString(16)}` };
    case FRAME_BAD_VERSION:
      return { ok: false, reason: `frame version ${h!.version}, this probe speaks ${FRAME_VERSION}: run the same podipc build on both sides` };
    case FRAME_BAD_LENGTH:
      return { ok: false, reason: `length field ${h!.frameBytes} but ${frame.byteLength} bytes received` };
    case FRAME_BAD_CHECKSUM:
      return { ok: false, reason: 'checksum mismatch' };
    default:
      return { ok: false, reason: 'payload stamp does not match seq' };
  }
}
