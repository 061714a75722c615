/**
 * CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final xor
 * 0xFFFFFFFF), the checksum of frame version 2. Chosen over zlib's CRC-32 because x86 has
 * an instruction for it (SSE4.2 `crc32`).
 *
 * Two implementations, picked per call by the length of the range:
 * - below NATIVE_MIN_BYTES, this file's portable slicing-by-8 (Kounavis & Berry, "A
 *   Systematic Approach to Building High Performance Software-based CRC Generators", ISCC
 *   2005): 8 bytes per step with eight 256-entry tables, and no native call, whose fixed
 *   cost would dominate a 64-byte frame;
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
  if (nativeCrc === null) return 'CRC-32C, JavaScript slicing-by-8 at every size';
  return `CRC-32C, JavaScript slicing-by-8 below ${NATIVE_MIN_BYTES} B, native (${native().crc32cImplementation}) from ${NATIVE_MIN_BYTES} B`;
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
