#!/usr/bin/env node
/**
 * `npm run bench:checksum`: what the frame checksum costs as the probes call it
 * (frameChecksum: CRC-32C of the header's first 16 bytes and the payload; what every receiver
 * computes over what it got), per frame size, for both kinds of receiver: one that reuses its
 * buffer (ReceiveFrames: shared memory, message queues, semaphores, read by words) and one
 * whose frame comes in a buffer of its own (a socket's read, read byte by byte); what a sender's stamp costs (DataFrame.stamp:
 * the seq and a checksum from tables), next to the JavaScript slicing-by-8 alone, the addon's
 * CRC-32C alone, zlib's CRC-32 (what frame version 1 used) and a plain copy of the same bytes (TypedArray#set, the memcpy
 * every mechanism pays at least once; and up to SMALL_COPY_BYTES, copyWords, a word at a time,
 * as the shared-memory ring's reader copies a small frame out of the ring).
 *
 * tinybench is the timing loop here, and it fits: each task iteration runs a batch of calls
 * over 256 KiB of bytes in all (4096 calls of 64 B, one of 1 MiB), so tinybench's
 * per-iteration cost (~0.2 µs, bench:timing-loop) is well under 1 % of it; per-call times are
 * the p50 over iterations divided by the batch size.
 *
 *   npm run bench:checksum -- [--ms 300] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { Bench } from 'tinybench';
import { crc32cUpdateJs, NATIVE_MIN_BYTES, checksumImplementation } from '../checksum.js';
import { allocFrame, checksumReadsWords, DataFrame, frameChecksum, offHeapBytes, ReceiveFrames, stampFrame } from '../frame.js';
import { FrameKind } from '../../core/frame-format.js';
import { native, nativeAvailable } from '../native/index.js';
import { copyWords, SMALL_COPY_BYTES, wordsOf } from '../bytes.js';

const SIZES = [32, 64, 128, 256, 384, 512, 768, 1024, 4096, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024];

interface Row {
  frameBytes: number;
  /** ns per call, p50 over tinybench iterations. */
  probeNs: number;
  /** The same frame in a reused receive buffer (ReceiveFrames), read by words. */
  reusedNs: number;
  stampNs: number;
  jsNs: number;
  nativeNs: number | undefined;
  zlibCrc32Ns: number | undefined;
  copyNs: number;
  copyWordsNs: number | undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { ms: { type: 'string', default: '300' }, json: { type: 'string' } } });
  const ms = Number(values.ms);
  const addon = nativeAvailable() ? native() : undefined;
  const zlibCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  const rows: Row[] = [];
  let sink = 0;
  for (const frameBytes of SIZES) {
    const frame = stampFrame(allocFrame(frameBytes), FrameKind.Data, 1);
    const copyTarget = new Uint8Array(frameBytes);
    const batch = Math.max(1, Math.ceil((256 * 1024) / frameBytes));
    const bench = new Bench({ time: ms, iterations: 16, warmupTime: 50, warmupIterations: 16, timestampProvider: 'hrtimeNow', retainSamples: false, throws: true });
    const task = (name: string, once: () => void): void => {
      bench.add(name, () => {
        for (let i = 0; i < batch; i++) once();
      });
    };
    task('probe', () => (sink ^= frameChecksum(frame, frameBytes)));
    // Off the heap, as every receiver's buffer is (the smallest is 4 KiB): a 64-byte
    // `new Uint8Array` would live on V8's heap, where element access costs more.
    const receiveBuffer = offHeapBytes(frameBytes);
    receiveBuffer.set(frame);
    const reused = new ReceiveFrames(receiveBuffer).of(frameBytes);
    if (!checksumReadsWords(reused)) throw new Error('a ReceiveFrames view is not read by words: this benchmark would measure the byte loop twice');
    task('reused', () => (sink ^= frameChecksum(reused, frameBytes)));
    const sender = new DataFrame(frameBytes);
    let seq = 0;
    task('stamp', () => (sink ^= sender.stamp(seq++)[16]!));
    task('js', () => (sink ^= crc32cUpdateJs(crc32cUpdateJs(-1, frame, 0, 16), frame, 20, frameBytes)));
    if (addon) task('native', () => (sink ^= addon.crc32cUpdate(crc32cUpdateJs(-1, frame, 0, 16), frame, 20, frameBytes)));
    if (zlibCrc32) task('zlib', () => (sink ^= zlibCrc32(frame)));
    task('copy', () => copyTarget.set(frame));
    if (frameBytes <= SMALL_COPY_BYTES) {
      const frameWords = wordsOf(frame);
      const targetWords = wordsOf(copyTarget);
      task('words', () => copyWords(copyTarget, targetWords, 0, frame, frameWords, 0, frameBytes));
    }
    bench.runSync();
    const perCall = (name: string): number | undefined => {
      const r = bench.tasks.find((t) => t.name === name)?.result;
      return r && 'latency' in r ? (r.latency.p50 * 1e6) / batch : undefined;
    };
    rows.push({ frameBytes, probeNs: perCall('probe')!, reusedNs: perCall('reused')!, stampNs: perCall('stamp')!, jsNs: perCall('js')!, nativeNs: perCall('native'), zlibCrc32Ns: perCall('zlib'), copyNs: perCall('copy')!, copyWordsNs: perCall('words') });
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const gbps = (bytes: number, ns: number | undefined): string => (ns === undefined ? '-' : (bytes / ns).toFixed(2));
  const ns = (v: number | undefined): string => (v === undefined ? '-' : v < 100 ? v.toFixed(1) : v.toFixed(0));
  console.log(`checksum per frame (${checksumImplementation()}); addon: ${addon?.crc32cImplementation ?? 'not built'}; ${ms} ms per task`);
  console.log('| frame | a receiver, reused buffer (shm, mq, sem) | GB/s | a receiver, buffer per frame (sockets) | GB/s | a sender\'s stamp | JS slicing-by-8 | addon CRC-32C | zlib CRC-32 (frame v1) | copy (TypedArray#set) | copy GB/s | copy by words |');
  console.log('|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    console.log(
      `| ${r.frameBytes} B | ${ns(r.reusedNs)} ns | ${gbps(r.frameBytes, r.reusedNs)} | ${ns(r.probeNs)} ns | ${gbps(r.frameBytes, r.probeNs)} | ${ns(r.stampNs)} ns | ${ns(r.jsNs)} ns | ${ns(r.nativeNs)} ns | ${ns(r.zlibCrc32Ns)} ns | ${ns(r.copyNs)} ns | ${gbps(r.frameBytes, r.copyNs)} | ${r.copyWordsNs === undefined ? '-' : `${ns(r.copyWordsNs)} ns`} |`,
    );
  }
  const crossover = rows.find((r) => r.nativeNs !== undefined && r.nativeNs < r.jsNs)?.frameBytes;
  console.log(`addon faster than JavaScript from ${crossover ?? '(never)'} B on in this run; the probes switch at NATIVE_MIN_BYTES = ${NATIVE_MIN_BYTES} B`);
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
  if (sink === 0.5) console.log(sink); // keep the results alive
}

main().catch((err: Error) => {
  console.error(`bench:checksum: ${err.message}`);
  process.exit(2);
});
