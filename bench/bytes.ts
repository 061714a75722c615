/**
 * Copying between byte arrays on the probes' per-message paths without allocating.
 * `dst.set(src.subarray(a, b), at)` - the obvious way - makes a view object per copy, one
 * per message; a plain loop makes none and, for the few dozen bytes of a small frame, is
 * as fast. Beyond SMALL_COPY_BYTES the view's cost is lost in the copy itself and the
 * engine's memcpy wins (BENCHMARKS.md, "Lean paths": measured crossover).
 */

/** Up to this many bytes are copied by a loop; longer copies use TypedArray#set. */
export const SMALL_COPY_BYTES = 256;

/** Copy src[from, from + n) to dst[at, at + n). */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n <= SMALL_COPY_BYTES) {
    for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
    return;
  }
  if (from === 0 && n === src.byteLength) dst.set(src, at);
  else dst.set(src.subarray(from, from + n), at);
}

/**
 * The view `bytes[0, length)`, reused while the length repeats: a receiver returning a
 * prefix of its buffer per message makes one view per distinct length, not per message.
 */
export class PrefixView {
  private view: Uint8Array;

  constructor(private bytes: Uint8Array) {
    this.view = bytes.subarray(0, 0);
  }

  /** Point at a new (grown) buffer. */
  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = bytes.subarray(0, 0);
  }

  of(length: number): Uint8Array {
    if (this.view.byteLength !== length) this.view = this.bytes.subarray(0, length);
    return this.view;
  }
}
