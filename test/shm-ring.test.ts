/**
 * The shared-memory ring in isolation, on plain ArrayBuffers (no processes, no addon):
 * full/empty conditions, wrap-around of positions and of the 32-bit indices, frames larger
 * than the ring streamed in pieces, a corrupt length; then the whole ShmChannel between
 * two threads over a SharedArrayBuffer, with the spin wake-up and with the sleeping
 * wake-up protocol (Atomics.wait/notify standing in for the futex: same semantics).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { allocFrame, checkFrame, jsonFrame, stampFrame } from '../bench/frame.js';
import { wordsOf } from '../bench/bytes.js';
import { FrameKind } from '../core/frame-format.js';
import {
  attachSegment,
  FrameReceiver,
  initSegment,
  LAYOUT,
  RingReader,
  RECORD_ALIGN,
  RingWriter,
  segmentBytes,
  ShmChannel,
  SleepingWakeUp,
  sleepingWords,
  spinWakeUp,
  type Sleeper,
} from '../bench/shm-ring.js';

function ring(capacity: number, start = 0): { writer: RingWriter; reader: RingReader; ctl: Int32Array } {
  const ctl = new Int32Array(16);
  ctl[0] = start; // head
  ctl[1] = start; // tail
  const data = new Uint8Array(capacity);
  return { writer: new RingWriter(ctl, 0, 1, data), reader: new RingReader(ctl, 0, 1, data), ctl };
}

const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

test('an empty ring has nothing to read; a full ring takes nothing more', () => {
  const { writer, reader } = ring(64);
  assert.equal(reader.readable(), 0);
  assert.equal(reader.read(new Uint8Array(8), 0, 8), 0);
  assert.equal(writer.free(), 64);
  assert.equal(writer.write(pattern(100, 1), 0), 64, 'only the capacity goes in');
  assert.equal(writer.free(), 0);
  assert.equal(writer.write(pattern(10, 2), 0), 0, 'full: nothing more');
  assert.equal(reader.readable(), 64);
  const out = new Uint8Array(64);
  assert.equal(reader.read(out, 0, 64), 64);
  assert.deepEqual(out, pattern(100, 1).subarray(0, 64));
  assert.equal(reader.readable(), 0);
  assert.equal(writer.free(), 64);
});

for (const copy of ['bytes', 'words'] as const) {
  test(`bytes come out in order across many wrap-arounds of odd-sized writes and reads (copied by ${copy})`, () => {
    const { writer, reader } = ring(64);
    const src = pattern(10_000, 3);
    const dst = new Uint8Array(src.byteLength);
    const dstWords = copy === 'words' ? wordsOf(dst) : undefined;
    let wrote = 0;
    let read = 0;
    let turn = 0;
    while (read < src.byteLength) {
      // Writes of 1..37 bytes and reads of 1..23 bytes: positions wrap at every phase, and
      // aligned and unaligned positions on both sides take turns.
      wrote += writer.write(src.subarray(0, Math.min(src.byteLength, wrote + 1 + (turn % 37))), wrote);
      read += reader.read(dst, read, 1 + ((turn * 5) % 23), dstWords);
      turn++;
    }
    assert.deepEqual(dst, src);
  });
}

test('the 32-bit indices wrap past 2^31 and 2^32 without losing or inventing bytes', () => {
  for (const start of [0x7fffffe0 | 0, 0xffffffe0 | 0]) {
    const { writer, reader, ctl } = ring(64, start);
    const src = pattern(1000, 9);
    const dst = new Uint8Array(1000);
    let wrote = 0;
    let read = 0;
    while (read < 1000) {
      wrote += writer.write(src, wrote);
      assert.ok(reader.readable() <= 64, `used ${reader.readable()} exceeds the capacity at start ${start}`);
      read += reader.read(dst, read, 29);
    }
    assert.deepEqual(dst, src);
    assert.equal((ctl[0]! - start) | 0, 1000, 'head advanced by exactly what was written');
  }
});

test('a frame four times larger than the ring streams through in pieces and reassembles intact', () => {
  const { writer, reader } = ring(256);
  const receiver = new FrameReceiver(reader);
  const frames = [stampFrame(allocFrame(1000), FrameKind.Data, 1), jsonFrame(FrameKind.End, { sent: 1 }), stampFrame(allocFrame(64), FrameKind.Data, 2)];
  const got: Uint8Array[] = [];
  for (const frame of frames) {
    let off = 0;
    let pieces = 0;
    let out: Uint8Array | undefined;
    writer.startFrame();
    while (off < frame.byteLength || out === undefined) {
      const n = writer.write(frame, off);
      if (n > 0) pieces++;
      off += n;
      out = receiver.pump();
    }
    if (frame.byteLength > 256) assert.ok(pieces >= 4, `1000 bytes through a 256-byte ring took ${pieces} pieces`);
    got.push(new Uint8Array(out)); // copy: the receiver reuses its buffer
  }
  assert.deepEqual(got, frames);
  assert.deepEqual(got.map((f) => checkFrame(f).ok), [true, true, true]);
  assert.equal(receiver.pump(), undefined, 'nothing more');
});

test('every frame starts on a cache line of the ring: the writer skips to it, the reader skips the same gap', () => {
  const { writer, reader, ctl } = ring(1024);
  const receiver = new FrameReceiver(reader);
  const frames = [stampFrame(allocFrame(100), FrameKind.Data, 1), jsonFrame(FrameKind.Ack, {}), stampFrame(allocFrame(64), FrameKind.Data, 2), stampFrame(allocFrame(33), FrameKind.Data, 3)];
  const starts: number[] = [];
  for (const frame of frames) {
    const headBefore = ctl[0]!;
    writer.startFrame();
    assert.equal(writer.write(frame, 0), frame.length);
    // The head moved past the gap and the frame: the frame's first byte is on a line.
    starts.push(ctl[0]! - frame.length);
    assert.ok(ctl[0]! - headBefore < frame.length + RECORD_ALIGN, 'the gap is less than a line');
    const out = receiver.pump();
    assert.ok(out, 'the frame came out whole');
    assert.deepEqual(new Uint8Array(out), frame);
  }
  assert.deepEqual(starts, [0, 128, 192, 256]);
  assert.equal(receiver.pump(), undefined, 'nothing more');
});

test('a header whose length is below the header size is reported, not guessed around', () => {
  const { writer, reader } = ring(64);
  const bad = stampFrame(allocFrame(32), FrameKind.Data, 0);
  new DataView(bad.buffer).setUint32(12, 5, true);
  writer.write(bad, 0);
  assert.throws(() => new FrameReceiver(reader).pump(), /desynchronised: frame length field 5/);
});

test('an attacher refuses a segment that was never initialised or is too small', () => {
  assert.throws(() => attachSegment(new Uint8Array(segmentBytes(1024)), 'test segment'), /bad magic/);
  const bytes = new Uint8Array(segmentBytes(1024));
  initSegment(bytes, 1024);
  assert.equal(attachSegment(bytes, 'test segment').ringBytes, 1024);
  assert.throws(() => attachSegment(bytes.subarray(0, segmentBytes(512)), 'test segment'), /does not fit/);
});

test('recv with a timeout returns null when nothing came; without one it gives up after the silence limit', async () => {
  const bytes = new Uint8Array(segmentBytes(1024));
  const ch = new ShmChannel({ role: 'client', segment: initSegment(bytes, 1024), wake: spinWakeUp(), silenceMs: 60, label: 'test', release: () => {} });
  assert.equal(await ch.recv(5), null);
  const t0 = Date.now();
  await assert.rejects(async () => ch.recv(), /waited \d+ ms for the peer to send/);
  assert.ok(Date.now() - t0 >= 55, 'gave up only after the silence limit');
  await ch.close();
  await ch.close(); // idempotent
});

test('a send into a full ring nobody drains fails after the silence limit instead of hanging', async () => {
  const bytes = new Uint8Array(segmentBytes(1024));
  const ch = new ShmChannel({ role: 'client', segment: initSegment(bytes, 1024), wake: spinWakeUp(), silenceMs: 60, label: 'test', release: () => {} });
  await assert.rejects(async () => ch.send(stampFrame(allocFrame(4096), FrameKind.Data, 0)), /waited \d+ ms for the peer to make room/);
  await ch.close();
});

/** The peer thread: an echo server over the same SharedArrayBuffer, until an End frame. */
const ECHO_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const ring = await import(workerData.ringUrl);
  const frame = await import(workerData.frameUrl);
  const { FrameKind } = await import(workerData.frameFormatUrl);
  const bytes = new Uint8Array(workerData.sab);
  const seg = ring.attachSegment(bytes, 'shared buffer');
  const seq = ring.LAYOUT.serverSeq;
  const peerSeq = ring.LAYOUT.clientSeq;
  const wake = workerData.wake === 'spin' ? ring.spinWakeUp() : new ring.SleepingWakeUp(seg.ctl, ring.sleepingWords('server'), {
    arm: () => Atomics.load(seg.ctl, seq),
    sleep: (armed, ms) => Atomics.wait(seg.ctl, seq, armed, ms) === 'timed-out',
    bumped: (armed) => Atomics.load(seg.ctl, seq) !== armed,
    wake: () => { Atomics.add(seg.ctl, peerSeq, 1); Atomics.notify(seg.ctl, peerSeq, 1); },
  });
  const ch = new ring.ShmChannel({ role: 'server', segment: seg, wake, silenceMs: 10000, label: 'echo', release: () => {} });
  let echoed = 0;
  for (;;) {
    const f = await ch.recv();
    const check = frame.checkFrame(f);
    if (check.ok && check.kind === FrameKind.End) break;
    await ch.send(f);
    echoed++;
  }
  await ch.close();
  parentPort.postMessage({ echoed });
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

/** Atomics.wait/notify as the futex; counts the sleeps. */
function atomicsSleeper(ctl: Int32Array, stats: { sleeps: number }): Sleeper {
  const { mySeq, peerSeq } = { mySeq: LAYOUT.clientSeq, peerSeq: LAYOUT.serverSeq };
  return {
    arm: () => Atomics.load(ctl, mySeq),
    sleep: (armed, ms) => {
      stats.sleeps++;
      return Atomics.wait(ctl, mySeq, armed, ms) === 'timed-out';
    },
    bumped: (armed) => Atomics.load(ctl, mySeq) !== armed,
    wake: () => {
      Atomics.add(ctl, peerSeq, 1);
      Atomics.notify(ctl, peerSeq, 1);
    },
  };
}

for (const wakeKind of ['spin', 'sleeping'] as const) {
  test(`ShmChannel echoes frames from 32 B to 3x the ring between two threads (${wakeKind} wake-up), then sees the peer close`, async () => {
    const ringBytes = 4096;
    const sab = new SharedArrayBuffer(segmentBytes(ringBytes));
    const seg = initSegment(new Uint8Array(sab), ringBytes);
    const worker = new Worker(ECHO_WORKER, {
      eval: true,
      workerData: {
        sab,
        wake: wakeKind === 'spin' ? 'spin' : 'sleeping',
        ringUrl: new URL('../bench/shm-ring.js', import.meta.url).href,
        frameUrl: new URL('../bench/frame.js', import.meta.url).href,
        frameFormatUrl: new URL('../core/frame-format.js', import.meta.url).href,
      },
    });
    const done = new Promise<{ echoed?: number; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    // Listen for the exit from the start: a worker that has answered may be gone before the
    // checks below are done, and a listener added after its 'exit' would wait forever.
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const stats = { sleeps: 0 };
    const wake = wakeKind === 'spin' ? spinWakeUp() : new SleepingWakeUp(seg.ctl, sleepingWords('client'), atomicsSleeper(seg.ctl, stats));
    let released = 0;
    const ch = new ShmChannel({ role: 'client', segment: seg, wake, silenceMs: 10_000, label: 'test', release: () => released++ });
    const sizes = [32, 64, 4095, 4096, 4097, 12_288, 100, 20];
    let sent = 0;
    for (let round = 0; round < 300; round++) {
      const size = sizes[round % sizes.length]!;
      const frame = size === 20 ? jsonFrame(FrameKind.Ack, {}).subarray(0, 20) : stampFrame(allocFrame(size), FrameKind.Data, round);
      if (size === 20) new DataView(frame.buffer, frame.byteOffset).setUint32(12, 20, true);
      const expected = new Uint8Array(frame);
      await ch.send(frame);
      sent++;
      const echo = await ch.recv();
      assert.ok(echo, 'an echo');
      assert.equal(echo.byteLength, size, `round ${round}: length`);
      assert.deepEqual(echo, expected, `round ${round}: bytes`);
    }
    if (wakeKind === 'sleeping') {
      // Both threads' count of wake-ups that could no longer come (SleepingWakeUp: the
      // peer took the flag and never bumped the word); sleeps that their 1 ms slice ended
      // while a slow echo was still on its way are not lost and not counted.
      assert.ok(stats.sleeps > 0, 'the client never slept: the sleeping path was not exercised');
      assert.equal(ch.lostWakeups(), 0, `lost wake-ups over ${stats.sleeps} sleeps`);
    }
    await ch.send(jsonFrame(FrameKind.End, { sent }));
    const result = await done;
    assert.equal(result.error, undefined, result.error);
    assert.equal(result.echoed, sent);
    // The worker closed: a recv now fails at once with the reason rather than after 10 s.
    const t0 = Date.now();
    await assert.rejects(async () => ch.recv(), /peer closed the channel/);
    assert.ok(Date.now() - t0 < 5000, 'peer close noticed without waiting for the silence limit');
    await ch.close();
    assert.equal(released, 1);
    // The worker ends by itself once it has answered; terminate() while it is still winding
    // down (it may be inside Atomics.wait) crashed Node 20 now and then (SIGSEGV).
    const late = setTimeout(() => void worker.terminate(), 10_000);
    await exited;
    clearTimeout(late);
  });
}
