/**
 * Copying between byte arrays on the probes' per-message paths without allocating.
 * `dst.set(src.subarray(a, b), at)` - the obvious way - makes a view object per copy, one
 * per message. Three paths: TypedArray#set of a whole array makes no view and is the engine's
 * memcpy (23 ns for 64 B, bench:checksum); a loop over Int32 words, where both sides have a
 * word view and both offsets are aligned, moves a quarter of the elements; a byte loop,
 * several times slower than either for a 64-byte frame in an ad-hoc timing, is left for
 * unaligned pieces of a small frame (a ring's wrap, a misaligned position).
 *
 * One rule for every per-message path: read a byte array's size as `.length`, never
 * `.byteLength`. For a Uint8Array (or Buffer) they are the same number, but Node 20's V8
 * compiles `.length` to a field load and leaves `.byteLength` (and `.byteOffset`) a generic
 * property lookup that calls the getter: 18-33 ns against 1.4-2.3 ns per read (BENCHMARKS.md,
 * "The small-frame path"), and a shared-memory round trip read about fifteen of them.
 */

/** Up to this many bytes, a piece that is not a whole array is copied by a loop; longer ones by TypedArray#set of a view. */
export const SMALL_COPY_BYTES = 256;

/** Copy src[from, from + n) to dst[at, at + n). */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (from === 0 && n === src.length) dst.set(src, at);
  else if (n <= SMALL_COPY_BYTES) for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
  else dst.set(src.subarray(from, from + n), at);
}

/**
 * An Int32Array over the same bytes (the whole words of them), for copyWords. The bytes must
 * start on a 4-byte boundary: every buffer the probes allocate does, and so do mapped
 * segments and the rings in them.
 */
export function wordsOf(bytes: Uint8Array): Int32Array {
  if (bytes.byteOffset % 4 !== 0) throw new Error(`a word view needs 4-byte aligned bytes (offset ${bytes.byteOffset})`);
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
}

/**
 * copyBytes between two arrays that have word views (wordsOf): four bytes per step when
 * both offsets are aligned, the byte loop (or TypedArray#set) otherwise.
 */
export function copyWords(dst: Uint8Array, dstWords: Int32Array, at: number, src: Uint8Array, srcWords: Int32Array, from: number, n: number): void {
  if (((at | from) & 3) !== 0 || n > SMALL_COPY_BYTES) return copyBytes(dst, at, src, from, n);
  const words = n >>> 2;
  const d = at >>> 2;
  const s = from >>> 2;
  for (let i = 0; i < words; i++) dstWords[d + i] = srcWords[s + i]!;
  for (let i = words << 2; i < n; i++) dst[at + i] = src[from + i]!;
}
