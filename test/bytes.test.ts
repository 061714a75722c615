/**
 * The probes' copies (bench/bytes.ts): every path - a whole array, a byte loop, a view for
 * long pieces, words when both offsets are aligned - must move exactly the bytes asked for
 * and touch nothing else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyBytes, copyWords, SMALL_COPY_BYTES, wordsOf } from '../bench/bytes.js';

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 37 + seed) & 0xff;
  return b;
}

/** What a copy of src[from, from + n) to dst[at..] must leave in dst. */
function expected(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): Uint8Array {
  const out = dst.slice();
  for (let i = 0; i < n; i++) out[at + i] = src[from + i]!;
  return out;
}

test('copyWords and copyBytes move exactly the bytes asked for, at every alignment and length', () => {
  const src = pattern(1024, 5);
  const srcWords = wordsOf(src);
  let cases = 0;
  for (const n of [0, 1, 3, 4, 5, 7, 8, 12, 63, 64, 65, 255, SMALL_COPY_BYTES, SMALL_COPY_BYTES + 4, 600]) {
    for (let from = 0; from < 8; from++) {
      for (let at = 0; at < 8; at++) {
        const base = pattern(1024, 200);
        const want = expected(base, at, src, from, n);
        const viaWords = base.slice();
        copyWords(viaWords, wordsOf(viaWords), at, src, srcWords, from, n);
        assert.deepEqual(viaWords, want, `copyWords n=${n} from=${from} at=${at}`);
        const viaBytes = base.slice();
        copyBytes(viaBytes, at, src, from, n);
        assert.deepEqual(viaBytes, want, `copyBytes n=${n} from=${from} at=${at}`);
        cases++;
      }
    }
  }
  assert.equal(cases, 15 * 64);
});

test('copyBytes of a whole array lands at the offset asked for', () => {
  const dst = new Uint8Array(100);
  const src = pattern(64, 9);
  copyBytes(dst, 30, src, 0, 64);
  assert.deepEqual(dst, expected(new Uint8Array(100), 30, src, 0, 64));
});

test('wordsOf refuses bytes that do not start on a word boundary, naming the offset', () => {
  const bytes = new Uint8Array(16);
  assert.throws(() => wordsOf(bytes.subarray(2)), /4-byte aligned bytes \(offset 2\)/);
  assert.equal(wordsOf(bytes.subarray(4, 15)).length, 2);
});
