/**
 * CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final xor
 * 0xFFFFFFFF), the checksum of frame version 2. Chosen over zlib's CRC-32 because x86 has
 * an instruction for it (SSE4.2 `crc32`), which the native probe uses; this portable
 * slicing-by-8 version (Kounavis & Berry, "A Systematic Approach to Building High
 * Performance Software-based CRC Generators", ISCC 2005) processes 8 bytes per step with
 * eight 256-entry tables and needs no native call per frame.
 *
 * `crc32cUpdate(state, bytes)` works on the un-finalised state so a frame's two ranges
 * (header without its checksum field, then the payload) are checksummed as one stream.
 */

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

/** Feed bytes[from..to) into an un-finalised CRC-32C state and return the new state. */
export function crc32cUpdate(state: number, bytes: Uint8Array, from = 0, to = bytes.length): number {
  const t = TABLES;
  let c = state | 0;
  let i = from;
  const end8 = to - ((to - i) & 7);
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
  while (i < to) c = (c >>> 8) ^ t[(c ^ bytes[i++]!) & 0xff]!;
  return c;
}

/** The finished CRC-32C of bytes[from..to), as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array, from = 0, to = bytes.length): number {
  return (crc32cUpdate(CRC32C_INIT, bytes, from, to) ^ 0xffffffff) >>> 0;
}
