/**
 * File hand-off through a shared volume, made measurable: the shared implementation of
 * `file-disk` and `file-tmpfs`, which differ only in the directory they are given.
 *
 * Two patterns, each the one an application would use for the workload:
 * - latency (request/response): one file per message. The writer writes `tmp/<role>.msg`
 *   and renames it to `<dir>/m-<n>`; rename(2) within one filesystem is atomic, so the
 *   reader sees either no file or the whole file, never half of one. The reader, woken by
 *   inotify (fs.watch on the direction's directory), reads the file and deletes it.
 * - throughput (stream): an append-only log tailed by the reader. The writer appends
 *   frames to `<dir>/seg-<n>`; the reader, woken by inotify 'change' events, reads the new
 *   bytes from its offset and cuts frames with FrameAssembler. Flow control and rotation
 *   are described at LogOutbox and LogSource.
 *
 * Layout of one case (the server creates it; the client removes it on close, see close()):
 *   <volume>/podipc-<runTag>-c<case>-files/
 *     c2s/ s2c/          messages or log segments, one directory per direction
 *     c2s-ack/ s2c-ack/  throughput: `acked`, the bytes of that direction the reader consumed
 *     tmp/               files being written, renamed into place only when whole
 * Directions live in separate directories so a reader's watch wakes only for its own
 * direction, and temporary files live apart so half-written files never wake anyone.
 *
 * File I/O is synchronous on purpose: the probe is a single-purpose process, these calls
 * touch only the page cache (no fsync: both containers share the node's page cache, so a
 * written page is visible to the other side at once), and the async variants would add a
 * round trip through libuv's thread pool to every message, measuring Node rather than files.
 *
 * fs.watch (inotify) can miss or coalesce events (the kernel merges identical queued
 * events; an overflowing queue drops them). So every wake-up drains everything available,
 * not one message per event, and a fallback poll every POLL_MS does the same: a missed
 * event costs at most POLL_MS of latency, never a hang.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statfsSync,
  unlinkSync,
  watch,
  writeFileSync,
  writeSync,
  type FSWatcher,
} from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CaseSkipped } from '../case-skipped.js';
import type { Channel, FrameSink, OpenContext } from '../mechanism.js';
import { FrameAssembler, FrameQueue } from '../stream-channel.js';

/** Fallback poll: the most latency a missed inotify event can cost. */
export const POLL_MS = 10;
/** The writer starts a new log segment once the current one holds this many bytes. */
export const SEGMENT_BYTES = 8 * 1024 * 1024;
/** The least un-consumed data a log writer may have outstanding (see LogOutbox). */
const MIN_WINDOW_BYTES = 4 * 1024 * 1024;
/** Largest single read from a log segment. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** statfs f_type of tmpfs (linux/magic.h TMPFS_MAGIC). */
const TMPFS_MAGIC = 0x01021994;

type Direction = 'c2s' | 's2c';

/** Paths of one case's hand-off directory; exported for tests that inspect the volume. */
export function handoffLayout(base: string) {
  return {
    base,
    dir: (d: Direction) => join(base, d),
    ackDir: (d: Direction) => join(base, `${d}-ack`),
    ackFile: (d: Direction) => join(base, `${d}-ack`, 'acked'),
    tmp: join(base, 'tmp'),
    message: (d: Direction, n: number) => join(base, d, `m-${n}`),
    segment: (d: Direction, n: number) => join(base, d, `seg-${n}`),
  };
}
type Layout = ReturnType<typeof handoffLayout>;

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Write `data` to a temporary file and rename it to `path`: readers see all or nothing. */
function publishFile(tmpPath: string, path: string, data: Uint8Array | string): void {
  writeFileSync(tmpPath, data, { mode: 0o600 });
  renameSync(tmpPath, path);
}

/**
 * Frames received, handed to the probe one `recv` at a time (a FrameQueue), plus what the
 * file transports need around it: a silence deadline (there is no EOF to tell us the peer
 * died) and accounting of consumed bytes for the log's acknowledgements. A frame counts as
 * consumed at the next `recv`, since the probe may use it until then.
 */
class Inbox {
  private readonly queue = new FrameQueue();
  /** Bytes of the frame the probe holds now. */
  private held = 0;
  private waiting: false | 'untimed' | 'timed' = false;
  private waitingSinceMs = 0;

  constructor(private readonly onConsumed: ((bytes: number) => void) | undefined) {}

  deliver(frame: Uint8Array): void {
    if (this.waiting) {
      // FrameQueue hands it straight to the pending recv.
      this.waiting = false;
      this.held = frame.byteLength;
    }
    this.queue.deliver(frame);
  }

  fail(error: Error): void {
    this.queue.fail(error);
  }

  /** A listening probe consumes each frame within its callback, so that is when it is acknowledged. */
  listen(sink: FrameSink | undefined): void {
    if (this.held > 0) {
      this.onConsumed?.(this.held);
      this.held = 0;
    }
    const onConsumed = this.onConsumed;
    if (sink === undefined || onConsumed === undefined) return this.queue.listen(sink);
    this.queue.listen({
      frame(bytes) {
        sink.frame(bytes);
        onConsumed(bytes.byteLength);
      },
      fail: (error) => sink.fail(error),
    });
  }

  recv(timeoutMs?: number): Uint8Array | null | Promise<Uint8Array | null> {
    if (this.held > 0) {
      this.onConsumed?.(this.held);
      this.held = 0;
    }
    const r = this.queue.recv(timeoutMs);
    if (!(r instanceof Promise)) {
      if (r) this.held = r.byteLength;
      return r;
    }
    if (timeoutMs === undefined) {
      this.waiting = 'untimed';
      this.waitingSinceMs = Date.now();
      return r;
    }
    this.waiting = 'timed';
    return r.then((frame) => {
      if (frame === null) this.waiting = false;
      return frame;
    });
  }

  /** A recv without timeout gives up after `silenceMs` without a frame: the peer is gone. */
  checkSilence(nowMs: number, silenceMs: number): void {
    if (this.waiting === 'untimed' && nowMs - this.waitingSinceMs > silenceMs) {
      this.waiting = false;
      this.fail(new Error(`no message from the peer for ${silenceMs} ms (the setup timeout): it has stopped or died`));
    }
  }
}

/** Outgoing side of one direction. */
interface Outbox {
  send(frame: Uint8Array): void | Promise<void>;
  /** Something changed in the ack directory (or the poll ticked). */
  onAck(): void;
  checkSilence(nowMs: number, silenceMs: number): void;
  close(): void;
}

/** Incoming side of one direction: moves whatever has arrived into the inbox. */
interface Source {
  /** Deliver what has arrived; true when more is waiting (pump again after the probe ran). */
  pump(): boolean;
  /**
   * False for a watch event that certainly brings nothing: the reader's own deletion of a
   * file it consumed. Saves a pointless read per message; anything else triggers a pump.
   */
  worthPumping(filename: string | null): boolean;
  close(): void;
}

/** The number in `<prefix><n>`, or undefined for any other name. */
function fileNumber(filename: string | null, prefix: string): number | undefined {
  if (filename === null || !filename.startsWith(prefix)) return undefined;
  const n = Number(filename.slice(prefix.length));
  return Number.isInteger(n) ? n : undefined;
}

/** Latency: one file per message, written aside and renamed into the peer's directory. */
class MessageOutbox implements Outbox {
  private next = 0;
  private readonly tmpPath: string;

  constructor(private readonly layout: Layout, private readonly dir: Direction, role: string) {
    this.tmpPath = join(layout.tmp, `${role}.msg`);
  }

  send(frame: Uint8Array): void {
    // No flow control beyond the ping-pong itself: the latency probe has one message in
    // flight per direction, and the reader deletes each file it consumes.
    publishFile(this.tmpPath, this.layout.message(this.dir, this.next++), frame);
  }

  onAck(): void {}
  checkSilence(): void {}
  close(): void {}
}

class MessageSource implements Source {
  private next = 0;

  constructor(private readonly layout: Layout, private readonly dir: Direction, private readonly inbox: Inbox) {}

  pump(): boolean {
    // Drain: messages are numbered, so the next name is known; stop at the first missing one.
    // existsSync rather than catching ENOENT from readFileSync: building that exception
    // costs tens of µs, and the check runs on every wake-up, before the probe's continuation
    // (the echo) gets to run. Only this reader removes files here, so what exists stays.
    for (;;) {
      const path = this.layout.message(this.dir, this.next);
      if (!existsSync(path)) return false;
      const data = readFileSync(path);
      unlinkSync(path);
      this.next++;
      this.inbox.deliver(data);
    }
  }

  worthPumping(filename: string | null): boolean {
    const n = fileNumber(filename, 'm-');
    return n === undefined || n >= this.next;
  }

  close(): void {}
}

/**
 * Throughput, writing side: appends frames to the current segment.
 *
 * Flow control: the writer may have at most `windowBytes` written but not yet consumed.
 * The reader acknowledges by publishing its consumed byte count to `<dir>-ack/acked`
 * (temp + rename, so the number is never torn) every `windowBytes / 4`. An out-of-band
 * file rather than an ack frame in the reverse direction keeps the probe's frames
 * untouched, and the writer reads that one small file only when its window is full.
 * No deadlock: a reader that has consumed everything has at most window/4 unacknowledged,
 * and a frame is at most window/4 (the window is at least 4 x messageBytes), so a blocked
 * writer always has data ahead of it that the reader will consume and acknowledge.
 *
 * Rotation keeps the file from growing without bound: once a segment holds SEGMENT_BYTES
 * the writer closes it and the next frame goes into `seg-<n+1>`; the reader deletes a
 * segment when it has read it all and found the next one. Truncating one file instead would
 * need the writer to stop until the reader had caught up (or the two to agree on a wrap),
 * stalling the stream on every truncation. Disk use stays below SEGMENT_BYTES + one frame
 * (the one that crossed the line) + the window.
 */
class LogOutbox implements Outbox {
  private fd: number | undefined;
  private segment = 0;
  private segmentBytes = 0;
  private writtenBytes = 0;
  private ackedBytes = 0;
  private waiter: { needBytes: number; sinceMs: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  /** The last send still waiting for room, if any. */
  private backlog: Promise<void> | undefined;

  constructor(private readonly layout: Layout, private readonly dir: Direction, private readonly windowBytes: number) {}

  private hasRoom(frameBytes: number): boolean {
    const outstanding = this.writtenBytes - this.ackedBytes;
    return outstanding === 0 || outstanding + frameBytes <= this.windowBytes;
  }

  private readAck(): void {
    let text: string;
    try {
      text = readFileSync(this.layout.ackFile(this.dir), 'utf8');
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    const acked = Number(text);
    if (Number.isFinite(acked) && acked > this.ackedBytes) this.ackedBytes = acked;
  }

  send(frame: Uint8Array): void | Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    // The common case is synchronous: room in the window, append, done.
    if (this.backlog === undefined && this.roomFor(frame.byteLength)) return this.append(frame);
    // Otherwise wait for acknowledgements; later sends queue behind, keeping frame order.
    const next = (this.backlog ?? Promise.resolve()).then(() => this.waitForRoom(frame.byteLength)).then(() => this.append(frame));
    this.backlog = next;
    const settle = (): void => {
      if (this.backlog === next) this.backlog = undefined;
    };
    next.then(settle, settle);
    return next;
  }

  /** Room for a frame, re-reading the acknowledgement only when the window looks full. */
  private roomFor(frameBytes: number): boolean {
    if (this.hasRoom(frameBytes)) return true;
    this.readAck();
    return this.hasRoom(frameBytes);
  }

  private waitForRoom(needBytes: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.roomFor(needBytes)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiter = { needBytes, sinceMs: Date.now(), resolve, reject };
    });
  }

  private append(frame: Uint8Array): void {
    if (this.fd === undefined) {
      // 'wx': O_CREAT|O_EXCL - a segment is only ever created once, by this writer.
      this.fd = openSync(this.layout.segment(this.dir, this.segment), 'wx', 0o600);
      this.segmentBytes = 0;
    }
    for (let done = 0; done < frame.byteLength; ) done += writeSync(this.fd, frame, done, frame.byteLength - done);
    this.segmentBytes += frame.byteLength;
    this.writtenBytes += frame.byteLength;
    if (this.segmentBytes >= SEGMENT_BYTES) {
      // The reader relies on this rule: a segment is complete once it holds SEGMENT_BYTES
      // and the next one exists (created by the next append, after this one's last write).
      closeSync(this.fd);
      this.fd = undefined;
      this.segment++;
    }
  }

  onAck(): void {
    const w = this.waiter;
    if (!w) return;
    try {
      this.readAck();
    } catch (err) {
      this.waiter = undefined;
      this.failure = err as Error;
      return w.reject(this.failure);
    }
    if (this.hasRoom(w.needBytes)) {
      this.waiter = undefined;
      w.resolve();
    }
  }

  checkSilence(nowMs: number, silenceMs: number): void {
    const w = this.waiter;
    if (w && nowMs - w.sinceMs > silenceMs) {
      this.waiter = undefined;
      this.failure = new Error(`the reader acknowledged nothing for ${silenceMs} ms (the setup timeout) with the ${this.windowBytes}-byte window full: it has stopped or died`);
      w.reject(this.failure);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.failure ??= new Error('channel closed');
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }
}

/** Throughput, reading side: tails the segments, acknowledges consumed bytes. */
class LogSource implements Source {
  private fd: number | undefined;
  private segment = 0;
  private offset = 0;
  private readonly assembler = new FrameAssembler();
  private readonly deliver: (frame: Uint8Array) => void;

  constructor(private readonly layout: Layout, private readonly dir: Direction, private readonly inbox: Inbox) {
    this.deliver = (frame) => inbox.deliver(frame);
  }

  pump(): boolean {
    for (;;) {
      if (this.fd === undefined) {
        const path = this.layout.segment(this.dir, this.segment);
        if (!existsSync(path)) return false; // the writer has not started this segment yet
        this.fd = openSync(path, 'r');
        this.offset = 0;
      }
      if (this.readChunk(this.fd)) return true;
      // Below SEGMENT_BYTES the writer is still on this segment; past it, the segment is
      // finished once the next exists, and one more read picks up its last bytes.
      if (this.offset < SEGMENT_BYTES || !existsSync(this.layout.segment(this.dir, this.segment + 1))) return false;
      if (this.readChunk(this.fd)) return true;
      closeSync(this.fd);
      this.fd = undefined;
      unlinkSync(this.layout.segment(this.dir, this.segment));
      this.segment++;
    }
  }

  worthPumping(filename: string | null): boolean {
    const n = fileNumber(filename, 'seg-');
    return n === undefined || n >= this.segment;
  }

  /**
   * Read at most one chunk of what the writer has appended; true when more was already
   * there. One chunk per pump, not "until the writer pauses": the frames only reach the
   * probe (and get acknowledged) after the pump returns, so reading on while the writer
   * keeps appending would turn the stream into window-sized stop-and-go bursts.
   */
  private readChunk(fd: number): boolean {
    const available = fstatSync(fd).size - this.offset;
    if (available <= 0) return false;
    // A fresh buffer per read: the assembler keeps slices of it as frames.
    const chunk = Buffer.allocUnsafe(Math.min(available, READ_CHUNK_BYTES));
    const got = readSync(fd, chunk, 0, chunk.byteLength, this.offset);
    this.offset += got;
    this.assembler.feed(chunk.subarray(0, got), this.deliver);
    return got > 0 && available > got;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Acknowledges consumed bytes of the incoming log every `everyBytes`. */
function ackWriter(layout: Layout, dir: Direction, role: string, everyBytes: number): (bytes: number) => void {
  const tmpPath = join(layout.tmp, `${role}.ack`);
  let consumedBytes = 0;
  let ackedBytes = 0;
  return (bytes) => {
    consumedBytes += bytes;
    if (consumedBytes - ackedBytes < everyBytes) return;
    publishFile(tmpPath, layout.ackFile(dir), String(consumedBytes));
    ackedBytes = consumedBytes;
  };
}

/** How many written-but-unconsumed bytes a log writer may have outstanding. */
export function logWindowBytes(messageBytes: number): number {
  return Math.max(MIN_WINDOW_BYTES, 4 * messageBytes);
}

function handoffChannel(ctx: OpenContext, layout: Layout): Channel {
  const incoming: Direction = ctx.role === 'server' ? 'c2s' : 's2c';
  const outgoing: Direction = ctx.role === 'server' ? 's2c' : 'c2s';
  const log = ctx.probe === 'throughput';
  const window = logWindowBytes(ctx.messageBytes);
  const inbox = new Inbox(log ? ackWriter(layout, incoming, ctx.role, window / 4) : undefined);
  const source: Source = log ? new LogSource(layout, incoming, inbox) : new MessageSource(layout, incoming, inbox);
  const outbox: Outbox = log ? new LogOutbox(layout, outgoing, window) : new MessageOutbox(layout, outgoing, ctx.role);

  let again: NodeJS.Immediate | undefined;
  const pump = (): void => {
    try {
      // setImmediate runs after the probe's promise continuations have consumed what this
      // pump delivered; no event may come for data already appended, so we must come back.
      if (source.pump()) again ??= setImmediate(() => {
        again = undefined;
        pump();
      });
    } catch (err) {
      inbox.fail(err as Error);
    }
  };
  const watchers: FSWatcher[] = [];
  const watchDir = (dir: string, onEvent: (filename: string | null) => void): void => {
    const w = watch(dir, { persistent: true }, (_event, filename) => onEvent(filename));
    w.on('error', (err) => inbox.fail(err));
    watchers.push(w);
  };
  watchDir(layout.dir(incoming), (filename) => {
    if (source.worthPumping(filename)) pump();
  });
  if (log) watchDir(layout.ackDir(outgoing), () => outbox.onAck());
  const poll = setInterval(() => {
    pump();
    outbox.onAck();
    const now = Date.now();
    inbox.checkSilence(now, ctx.setupTimeoutMs);
    outbox.checkSilence(now, ctx.setupTimeoutMs);
  }, POLL_MS);
  // Whatever arrived before the watch was in place.
  pump();

  let closed = false;
  return {
    send: (frame) => outbox.send(frame),
    recv: (timeoutMs) => inbox.recv(timeoutMs),
    listen: (sink) => inbox.listen(sink),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      if (again) clearImmediate(again);
      for (const w of watchers) w.close();
      source.close();
      outbox.close();
      inbox.fail(new Error('channel closed'));
      // The server's last frame (Summary) may still sit unread in the directory when the
      // server closes, so the client, which closes only after reading it, removes the case
      // directory; the server waits for that and removes it itself only when the client
      // has not done so within the silence timeout (the client died).
      if (ctx.role === 'server') await waitUntilGone(layout.base, ctx.setupTimeoutMs);
      await rm(layout.base, { recursive: true, force: true });
    },
  };
}

async function waitUntilGone(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(path) && Date.now() < deadline) await sleep(2);
}

/** Both ends of a hand-off through `volumeDir`: file-disk's and file-tmpfs's `open`. */
export async function openHandoff(ctx: OpenContext, volumeDir: string): Promise<Channel> {
  if (ctx.role === 'server') {
    const layout = handoffLayout(join(volumeDir, `podipc-${ctx.ipc.runTag}-c${ctx.caseIndex}-files`));
    // A previous pair of this run (same tag and case) that was killed may have left it.
    await rm(layout.base, { recursive: true, force: true });
    await mkdir(layout.base, { mode: 0o700 });
    for (const d of [layout.dir('c2s'), layout.dir('s2c'), layout.ackDir('c2s'), layout.ackDir('s2c'), layout.tmp]) {
      await mkdir(d, { mode: 0o700 });
    }
    const channel = handoffChannel(ctx, layout);
    await ctx.rendezvous.publish({ dir: layout.base });
    return channel;
  }
  const info = await ctx.rendezvous.wait(ctx.setupTimeoutMs);
  if (typeof info.dir !== 'string') throw new Error(`rendezvous for case ${ctx.caseIndex} carries no hand-off directory: ${JSON.stringify(info)}`);
  return handoffChannel(ctx, handoffLayout(info.dir));
}

/** Is `dir` on a tmpfs? (statfs f_type; Node's fs.statfs, no native code needed.) */
export function onTmpfs(dir: string): boolean {
  return statfsSync(dir).type === TMPFS_MAGIC;
}

/** The memory volume, checked: a missing or non-tmpfs directory would not measure memory. */
export function tmpfsVolume(ctx: OpenContext): string {
  const dir = ctx.volumes.tmpfs;
  if (dir === undefined) {
    throw new CaseSkipped('this pod has no tmpfs volume (an emptyDir with medium: Memory); the placement could not provide one');
  }
  if (!onTmpfs(dir)) {
    throw new CaseSkipped(`the memory volume ${dir} is not a tmpfs (statfs type 0x${statfsSync(dir).type.toString(16)}); file-tmpfs would measure a disk. Mount an emptyDir with medium: Memory there.`);
  }
  return dir;
}
