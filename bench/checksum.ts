/**
 * CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final xor
 * 0xFFFFFFFF), the checksum of frame version 2. Chosen over zlib's CRC-32 because x86 has
 * an instruction for it (SSE4.2 `crc32`).
 *
 * Two implementations, picked per call by the length of the range:
 * - below NATIVE_MIN_BYTES, this file's portable slicing-by-8 (Kounavis & Berry, "A
 *   Systematic Approach to Building High Performance Software-based CRC Generators", ISCC
 *   2005): 8 bytes per step with eight 256-entry tables, and no native call, whose fixed
 *   cost would dominate a 64-byte frame. It reads a frame four bytes per load where the
 *   receiver keeps a word view of its buffer (crc32cUpdateGapWords), one byte otherwise;
 * - from NATIVE_MIN_BYTES on, the addon's `crc32cUpdate` (bench/native/crc32c.cc): the
 *   SSE4.2 instruction on three interleaved streams joined with PCLMULQDQ, chosen by CPU
 *   detection, with a portable C++ fallback. Without the addon (not built) everything
 *   stays in JavaScript, correct and slower.
 * The threshold and both speeds are measured by bench/reference/checksum-bench.ts
 * (BENCHMARKS.md, "The checksum").
 *
 * `crc32cUpdate(state, bytes)` works on the un-finalised state so a frame's two ranges
 * (header without its checksum field, then the payload) are checksummed as one stream.
 */
import { native, nativeAvailable } from './native/index.js';

const POLY = 0x82f63b78;

/** T[k][b]: the CRC state after feeding byte b followed by k zero bytes. */
const TABLES: Int32Array = (() => {
  const t = new Int32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + b]!;
      t[k * 256 + b] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
})();

export const CRC32C_INIT = 0xffffffff;

/**
 * Ranges at least this long go to the addon. Measured (BENCHMARKS.md, "The checksum"): the
 * native call costs about as much as JavaScript spends on ~200 bytes, and from 512 B on the
 * addon is faster on every run; 1 KiB frames then pay the call, 64 B frames never do.
 */
export const NATIVE_MIN_BYTES = 256;

type NativeCrc = (state: number, bytes: Uint8Array, from: number, to: number) => number;
/** undefined: not looked up yet; null: no addon here, JavaScript only. */
let nativeCrc: NativeCrc | null | undefined;
let forcedPortable = false;

function lookUpNative(): NativeCrc | null {
  if (forcedPortable || !nativeAvailable()) return null;
  const addon = native();
  return typeof addon.crc32cUpdate === 'function' ? addon.crc32cUpdate : null;
}

/**
 * `js`: never call the addon (benchmarks and tests compare the two); `auto`: the addon from
 * NATIVE_MIN_BYTES on, when it is built.
 */
export function useChecksum(mode: 'auto' | 'js'): void {
  forcedPortable = mode === 'js';
  nativeCrc = undefined;
}

/** What the probes use, in words, for results and benchmarks. */
export function checksumImplementation(): string {
  nativeCrc ??= lookUpNative();
  const walk = 'JavaScript slicing-by-8 (by words for a reused receive buffer, by bytes otherwise)';
  if (nativeCrc === null) return `CRC-32C, ${walk} at every size`;
  return `CRC-32C, ${walk} below ${NATIVE_MIN_BYTES} B, native (${native().crc32cImplementation}) from ${NATIVE_MIN_BYTES} B`;
}

/** Feed bytes[from..to) into an un-finalised CRC-32C state and return the new state. */
export function crc32cUpdate(state: number, bytes: Uint8Array, from = 0, to = bytes.length): number {
  if (to - from >= NATIVE_MIN_BYTES) {
    nativeCrc ??= lookUpNative();
    if (nativeCrc !== null) return nativeCrc(state, bytes, from, to);
  }
  return crc32cUpdateJs(state, bytes, from, to);
}

/** The JavaScript slicing-by-8 alone, whatever the length. */
export function crc32cUpdateJs(state: number, bytes: Uint8Array, from = 0, to = bytes.length): number {
  return walk(state, bytes, from, to, to, to);
}

/**
 * The CRC-32C state after feeding bytes[0..gapAt) and then bytes[gapAt + gapBytes..to): one
 * stream with a hole (a frame without its checksum field), with one size check for the
 * frame; a payload long enough for the addon goes there (the head is fed first).
 */
export function crc32cUpdateGap(state: number, bytes: Uint8Array, gapAt: number, gapBytes: number, to: number): number {
  if (to - gapAt - gapBytes >= NATIVE_MIN_BYTES) return crc32cUpdate(walk(state, bytes, 0, gapAt, gapAt, gapAt), bytes, gapAt + gapBytes, to);
  return walk(state, bytes, 0, gapAt, gapAt + gapBytes, to);
}

/**
 * crc32cUpdateGap for bytes that have a word view: `words`, an Int32Array over the same
 * memory from the bytes' first byte (ReceiveFrames in frame.ts keeps one). The head and the
 * payload up to its last whole word are read four bytes per load instead of one: a 64-byte
 * frame takes about three quarters of the byte walk's time (BENCHMARKS.md, "A receiver's
 * checksum by words"). `gapAt` and `gapBytes` must be whole words; a little-endian host only
 * (WORDS_ARE_LITTLE_ENDIAN), since a word holds the stream's bytes in memory order.
 */
export function crc32cUpdateGapWords(state: number, bytes: Uint8Array, words: Int32Array, gapAt: number, gapBytes: number, to: number): number {
  const payloadAt = gapAt + gapBytes;
  const head = walkWords(state | 0, words, 0, gapAt >>> 2);
  if (to - payloadAt >= NATIVE_MIN_BYTES) return crc32cUpdate(head, bytes, payloadAt, to);
  const wholeWords = to >>> 2;
  let c = walkWords(head, words, payloadAt >>> 2, wholeWords);
  // The last 1-3 bytes here, not by a call to walk: sharing walk with the byte path made
  // both paths slower (by 7-8 ns at 64 B, an ad-hoc timing), as V8 then optimises one walk for two callers.
  for (let i = wholeWords << 2; i < to; i++) c = (c >>> 8) ^ TABLES[(c ^ bytes[i]!) & 0xff]!;
  return c;
}

/** True where an Int32Array reads bytes b0..b3 as b0 | b1 << 8 | b2 << 16 | b3 << 24 (x86, arm64). */
export const WORDS_ARE_LITTLE_ENDIAN = new Uint8Array(Int32Array.of(1).buffer)[0] === 1;

/** Slicing-by-8 over words[from..to), two words per step, and a last word alone (slicing-by-4). */
function walkWords(state: number, w: Int32Array, from: number, to: number): number {
  const t = TABLES;
  let c = state;
  let i = from;
  for (; i + 1 < to; i += 2) {
    const lo = c ^ w[i]!;
    const hi = w[i + 1]!;
    c =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + (hi & 0xff)]! ^
      t[2 * 256 + ((hi >>> 8) & 0xff)]! ^
      t[1 * 256 + ((hi >>> 16) & 0xff)]! ^
      t[hi >>> 24]!;
  }
  if (i < to) {
    const lo = c ^ w[i]!;
    c = t[3 * 256 + (lo & 0xff)]! ^ t[2 * 256 + ((lo >>> 8) & 0xff)]! ^ t[1 * 256 + ((lo >>> 16) & 0xff)]! ^ t[lo >>> 24]!;
  }
  return c;
}

/** Slicing-by-8 over bytes[from..firstEnd) and then bytes[secondFrom..to). */
function walk(state: number, bytes: Uint8Array, from: number, firstEnd: number, secondFrom: number, to: number): number {
  const t = TABLES;
  let c = state | 0;
  let i = from;
  let end = firstEnd;
  for (;;) {
    const end8 = end - ((end - i) & 7);
    while (i < end8) {
      const lo = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
      c =
        t[7 * 256 + (lo & 0xff)]! ^
        t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
        t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
        t[4 * 256 + (lo >>> 24)]! ^
        t[3 * 256 + bytes[i + 4]!]! ^
        t[2 * 256 + bytes[i + 5]!]! ^
        t[1 * 256 + bytes[i + 6]!]! ^
        t[bytes[i + 7]!]!;
      i += 8;
    }
    while (i < end) c = (c >>> 8) ^ t[(c ^ bytes[i++]!) & 0xff]!;
    if (end === to) return c;
    i = secondFrom;
    end = to;
  }
}

/** The finished CRC-32C of bytes[from..to), as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array, from = 0, to = bytes.length): number {
  return (crc32cUpdate(CRC32C_INIT, bytes, from, to) ^ 0xffffffff) >>> 0;
}

/**
 * The CRC-32C register is linear over GF(2): feeding k zero bytes maps a state s to Z^k(s),
 * a 32x32 bit matrix, and feeding data from state s gives Z^|data|(s) XOR (data fed from 0).
 * So a byte changed at one place of a frame changes its checksum by a value that depends
 * only on the byte and its distance from the end, and a frame whose other bytes never
 * change needs only those values (crc32cU32Deltas below) - the zlib crc32_combine idea.
 *
 * A matrix is its 32 columns: the images of the states with one bit set.
 */
type Gf2Matrix = Int32Array;

function applyMatrix(m: Gf2Matrix, v: number): number {
  let out = 0;
  for (let i = 0; v !== 0; i++, v >>>= 1) if (v & 1) out ^= m[i]!;
  return out;
}

/** a after b: the columns of b mapped by a. */
function compose(a: Gf2Matrix, b: Gf2Matrix): Gf2Matrix {
  return Int32Array.from(b, (column) => applyMatrix(a, column));
}

/** Z: one zero byte, c -> (c >>> 8) ^ T[c & 0xff], column by column. */
const ONE_ZERO_BYTE: Gf2Matrix = Int32Array.from({ length: 32 }, (_, i) => (i < 8 ? TABLES[1 << i]! : (1 << i) >>> 8));

/** Z^k: feeding k zero bytes to the register, by squaring. */
function zeroBytesMatrix(k: number): Gf2Matrix {
  let power = ONE_ZERO_BYTE;
  let result: Gf2Matrix = Int32Array.from({ length: 32 }, (_, i) => 1 << i);
  for (let n = k; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) result = compose(power, result);
    if (n > 1) power = compose(power, power);
  }
  return result;
}

/**
 * For a stream of `streamBytes` bytes in which the same u32 is written little-endian at
 * stream positions `at[0]`, `at[1]`, ...: four 256-entry tables whose
 * `t[0 * 256 + (v & 0xff)] ^ t[1 * 256 + ((v >>> 8) & 0xff)] ^ t[2 * 256 + ...] ^ t[3 * 256 + (v >>> 24)]`
 * is how much the stream's CRC-32C differs from the CRC with that u32 zero.
 */
export function crc32cU32Deltas(streamBytes: number, at: readonly number[]): Int32Array {
  const t = new Int32Array(4 * 256);
  for (const q of at) {
    if (q < 0 || q + 4 > streamBytes) throw new Error(`a u32 at stream byte ${q} is outside a ${streamBytes}-byte stream`);
    // The byte at q + j is followed by streamBytes - (q + j) - 1 bytes.
    let shift = zeroBytesMatrix(streamBytes - q - 4);
    for (let j = 3; j >= 0; j--) {
      for (let b = 0; b < 256; b++) t[j * 256 + b] = t[j * 256 + b]! ^ applyMatrix(shift, TABLES[b]!);
      shift = compose(ONE_ZERO_BYTE, shift);
    }
  }
  return t;
}
