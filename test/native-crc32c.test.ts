/**
 * The native probe's CRC-32C (SSE4.2 instruction with three-way interleave, and the portable
 * slicing-by-8 table) equals the TypeScript frame checksum byte for byte, on the standard
 * check value and on random buffers whose lengths hit every code path: below 8 bytes, the
 * 4- and 1-byte tails, the 768-byte and 24 KiB interleave blocks and their remainders.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32c, crc32cUpdate, CRC32C_INIT } from '../bench/checksum.js';
import { NATIVE_PROBE } from './helpers/native-pair.js';

function nativeCrc(bytes: Uint8Array): Record<string, string | number> {
  const dir = mkdtempSync(join(tmpdir(), 'podipc-crc-'));
  try {
    writeFileSync(join(dir, 'data'), bytes);
    return JSON.parse(execFileSync(NATIVE_PROBE, ['--crc32c', join(dir, 'data')], { encoding: 'utf8' })) as Record<string, string | number>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hex = (n: number): string => n.toString(16).padStart(8, '0');

test('CRC-32C of "123456789" is the standard check value 0xe3069283 in both runtimes', () => {
  const bytes = Buffer.from('123456789');
  assert.equal(hex(crc32c(bytes)), 'e3069283');
  const native = nativeCrc(bytes);
  assert.equal(native.table, 'e3069283');
  if (native['sse4.2'] !== undefined) assert.equal(native['sse4.2'], 'e3069283');
});

test('native CRC-32C (every implementation) equals the TypeScript one on random buffers of awkward lengths', () => {
  const lengths = [0, 1, 7, 8, 15, 16, 44, 63, 64, 767, 768, 769, 1000, 24575, 24576, 24577, 65536 + 13, 1048576, 1048576 + 5];
  for (const length of lengths) {
    const bytes = randomBytes(length);
    const expected = hex(crc32c(bytes));
    const native = nativeCrc(bytes);
    assert.equal(native.table, expected, `table, ${length} B`);
    if (native['sse4.2'] !== undefined) assert.equal(native['sse4.2'], expected, `sse4.2, ${length} B`);
  }
});

test('CRC-32C continues across ranges as the frame checksum uses it (header, then payload)', () => {
  const bytes = randomBytes(100);
  assert.equal((crc32cUpdate(crc32cUpdate(CRC32C_INIT, bytes, 0, 40), bytes, 40) ^ 0xffffffff) >>> 0, crc32c(bytes));
});
