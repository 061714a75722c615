/**
 * A framed, bidirectional channel over one shared-memory segment: two single-producer,
 * single-consumer byte rings (client->server, server->client) plus a small control block.
 * Pure TypeScript over an Int32Array (control words) and a Uint8Array (ring bytes), so it
 * runs the same on a SysV segment, a POSIX shm object or a plain (Shared)ArrayBuffer in a
 * test. How a waiting side sleeps and is woken is a `WakeUp` (spin, futex, semaphore); the
 * native ones are built in bench/mechanisms/shm-common.ts, this file makes no system call.
 *
 * Frames are the same framed, checksummed messages every mechanism carries. A frame
 * larger than the ring streams through it in pieces: the sender writes what fits and waits
 * for space, the receiver copies out what is there and reassembles by the header's
 * frameBytes, exactly as a stream socket reader does.
 *
 * Every frame starts on a cache line of its ring (RECORD_ALIGN): the writer skips to the
 * next line before a frame's first byte, and the reader, between frames, skips the same gap
 * once bytes of the next frame are there. A 64-byte frame at an arbitrary position straddles
 * two lines, and each line is a transfer between the cores on the critical path: measured,
 * aligned 64-byte round trips took 0.84-0.86 µs against 1.11-1.40 µs (BENCHMARKS.md, "The
 * small-frame path"). Shared-memory queues built for latency align their records the same way (Aeron's
 * log buffers align frames to 32 bytes). Layout version 3: version 2 had one "asleep" flag value
 * for both things a side may wait for (see WAITING_FOR), version 1 packed frames back to back.
 *
 * Memory ordering: the producer copies bytes into the ring and then publishes the new head
 * with Atomics.store; the consumer reads the head with Atomics.load before copying out, and
 * publishes its tail the same way. V8 compiles Atomics.store to a sequentially consistent
 * store (xchg on x86, a full barrier) and Atomics.load to an acquire load, also on the
 * non-shared ArrayBuffers shm-typed-array hands out; both processes map the same physical
 * pages, so this is release/acquire ordering across processes (ECMA-262 §29, "Memory
 * Model": Atomics operations are sequentially consistent).
 */
import { FRAME_HEADER_BYTES } from '../core/frame-format.js';
import type { Channel } from './mechanism.js';
import type { Role } from '../core/vocabulary.js';
import { copyBytes, copyWords, wordsOf } from './bytes.js';
import { ReceiveFrames } from './frame.js';
import { nowNs } from './clock.js';

/**
 * Bytes per direction. 256 KiB: the size of a typical socket buffer on Linux
 * (net.core.rmem_default is 208 KiB), so shm is compared with UDS/TCP at similar buffering
 * rather than winning by hoarding memory; thousands of small frames fit in flight for the
 * throughput probe; both rings (512 KiB) stay within L2-sized working sets; the two rings
 * cost 0.8% of the 64 MiB /dev/shm containerd gives a pod. 1 MiB frames then stream through
 * in four or more pieces, which is the path an application with large messages exercises.
 * Must be a power of two (the indices are free-running 32-bit counters masked into it).
 */
export const RING_BYTES = 256 * 1024;

/** A corrupt length field must not make the receiver allocate gigabytes. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Int32 words per 64-byte cache line: words written by different sides live on different lines. */
const LINE_WORDS = 16;

/**
 * The control block, in Int32 words. Each side writes only its own lines (the producer its
 * head, the consumer its tail), so the two cores do not fight over a cache line per message.
 */
export const LAYOUT = {
  /** 'PSHM': written last by the creator, checked by the attacher. */
  magic: 0,
  version: 1,
  ringBytes: 2,
  /** Bit per side (CLOSED_BIT): set by close(), so a waiting peer stops waiting at once. */
  closed: 3,
  c2sHead: 1 * LINE_WORDS,
  c2sTail: 2 * LINE_WORDS,
  s2cHead: 3 * LINE_WORDS,
  s2cTail: 4 * LINE_WORDS,
  /** "The server may be asleep" flag and the server's futex sequence word. */
  serverSleeping: 5 * LINE_WORDS,
  serverSeq: 5 * LINE_WORDS + 1,
  /** The server's lost wake-ups (SleepingWakeUp counts them); written by the server only. */
  serverLostWakeups: 5 * LINE_WORDS + 2,
  clientSleeping: 6 * LINE_WORDS,
  clientSeq: 6 * LINE_WORDS + 1,
  clientLostWakeups: 6 * LINE_WORDS + 2,
} as const;

export const SHM_MAGIC = 0x4d485350; // 'PSHM' little-endian
export const SHM_LAYOUT_VERSION = 3;
/** Frames start at a multiple of this many bytes into the ring: one cache line. */
export const RECORD_ALIGN = 64;
const ALIGN_MASK = RECORD_ALIGN - 1;
/** The control block, padded to a whole number of cache lines; the rings follow it. */
export const CONTROL_BYTES = 8 * LINE_WORDS * 4;
const CONTROL_WORDS = CONTROL_BYTES / 4;
const CLOSED_BIT: Record<Role, number> = { server: 1, client: 2 };

export function segmentBytes(ringBytes = RING_BYTES): number {
  return CONTROL_BYTES + 2 * ringBytes;
}

/** The views one side needs over a segment of `segmentBytes(ringBytes)` bytes. */
export interface SegmentViews {
  ctl: Int32Array;
  c2s: Uint8Array;
  s2c: Uint8Array;
  ringBytes: number;
}

function views(bytes: Uint8Array, ringBytes: number): SegmentViews {
  return {
    ctl: new Int32Array(bytes.buffer, bytes.byteOffset, CONTROL_WORDS),
    c2s: bytes.subarray(CONTROL_BYTES, CONTROL_BYTES + ringBytes),
    s2c: bytes.subarray(CONTROL_BYTES + ringBytes, CONTROL_BYTES + 2 * ringBytes),
    ringBytes,
  };
}

/** Creator: lay out a fresh (zeroed or reused) segment; the magic goes last. */
export function initSegment(bytes: Uint8Array, ringBytes = RING_BYTES): SegmentViews {
  if (!Number.isInteger(Math.log2(ringBytes)) || ringBytes < 64) throw new Error(`ring size ${ringBytes} must be a power of two >= 64`);
  if (bytes.byteLength < segmentBytes(ringBytes)) throw new Error(`segment of ${bytes.byteLength} bytes is smaller than the ${segmentBytes(ringBytes)} the rings need`);
  if (bytes.byteOffset % 8 !== 0) throw new Error('segment is not 8-byte aligned');
  const v = views(bytes, ringBytes);
  v.ctl.fill(0);
  Atomics.store(v.ctl, LAYOUT.version, SHM_LAYOUT_VERSION);
  Atomics.store(v.ctl, LAYOUT.ringBytes, ringBytes);
  Atomics.store(v.ctl, LAYOUT.magic, SHM_MAGIC);
  return v;
}

/** Attacher: check the creator's layout and size before trusting any index in it. */
export function attachSegment(bytes: Uint8Array, where: string): SegmentViews {
  if (bytes.byteLength < CONTROL_BYTES) throw new Error(`${where} is ${bytes.byteLength} bytes, too small for podipc's ring header`);
  const ctl = new Int32Array(bytes.buffer, bytes.byteOffset, CONTROL_WORDS);
  if (Atomics.load(ctl, LAYOUT.magic) !== SHM_MAGIC) throw new Error(`${where} is not an initialised podipc ring segment (bad magic)`);
  const version = Atomics.load(ctl, LAYOUT.version);
  if (version !== SHM_LAYOUT_VERSION) throw new Error(`${where} has ring layout version ${version}, this probe speaks ${SHM_LAYOUT_VERSION}: run the same podipc build on both sides`);
  const ringBytes = Atomics.load(ctl, LAYOUT.ringBytes);
  if (!Number.isInteger(Math.log2(ringBytes)) || bytes.byteLength < segmentBytes(ringBytes)) {
    throw new Error(`${where}: ring size ${ringBytes} does not fit the ${bytes.byteLength}-byte segment`);
  }
  return views(bytes, ringBytes);
}

/**
 * The producer end of one ring. Indices are free-running 32-bit byte counters (wrapping
 * at 2^32, which a power-of-two ring size divides): used = head - tail, position = index &
 * mask. The producer keeps its head locally, and the consumer's tail as it last saw it: the
 * tail's cache line is written by the other core after every read, so loading it on every
 * write would fetch that line once per message, on the critical path of a ping-pong. A stale
 * tail only under-states the room; the real one is loaded when the stale one says "too
 * little" or "half used".
 */
export class RingWriter {
  private head: number;
  private tailSeen: number;
  /** Bytes to skip before the next byte written: the gap to the line a new frame starts on. */
  private pad = 0;
  private readonly mask: number;

  constructor(
    private readonly ctl: Int32Array,
    private readonly headWord: number,
    private readonly tailWord: number,
    private readonly data: Uint8Array,
  ) {
    this.mask = data.length - 1;
    this.head = Atomics.load(ctl, headWord);
    this.tailSeen = Atomics.load(ctl, tailWord);
  }

  /**
   * The next byte written starts a frame: put it at the start of the next cache line. The
   * skipped bytes are published with that first byte (a reader between frames that sees the
   * head move knows the new frame starts on a line).
   */
  startFrame(): void {
    this.pad = -this.head & ALIGN_MASK;
  }

  /** Bytes that can be written now (loads the consumer's tail); a pending gap is not counted. */
  free(): number {
    this.tailSeen = Atomics.load(this.ctl, this.tailWord);
    return this.data.length - ((this.head - this.tailSeen) | 0) - this.pad;
  }

  /** Copy as much of `src[from..]` as fits, publish it, and return how many bytes went in. */
  write(src: Uint8Array, from: number): number {
    const want = src.length - from;
    let room = this.data.length - ((this.head - this.tailSeen) | 0) - this.pad;
    // Refresh the consumer's tail once the stale view says the ring is half used, not only
    // when it says "too little": every half ring of traffic takes this branch, warm-up too
    // (a branch first taken in the measured phase deoptimises the loop there).
    if (room < want || room < this.data.length >>> 1) room = this.free();
    const n = Math.min(room, want);
    if (n <= 0) return 0;
    this.head = (this.head + this.pad) | 0;
    this.pad = 0;
    const pos = this.head & this.mask;
    const first = Math.min(n, this.data.length - pos);
    copyBytes(this.data, pos, src, from, first);
    if (n > first) copyBytes(this.data, 0, src, from + first, n - first);
    this.head = (this.head + n) | 0;
    // Release: the bytes above are visible before the consumer can see the new head.
    Atomics.store(this.ctl, this.headWord, this.head);
    return n;
  }
}

/**
 * The consumer end of one ring: keeps its tail locally and only loads the producer's head,
 * once per look. Atomics.load is a call into a V8 builtin on Node 20, not an inlined load
 * (perf shows Builtins_AtomicsLoad), so what one look at the head found serves the copies
 * that follow it; the head is loaded again only when those need more bytes than it showed.
 */
export class RingReader {
  private tail: number;
  /** The producer's head as last loaded (never ahead of the real one). */
  private headSeen: number;
  private readonly mask: number;
  private readonly words: Int32Array;

  constructor(
    private readonly ctl: Int32Array,
    private readonly headWord: number,
    private readonly tailWord: number,
    private readonly data: Uint8Array,
  ) {
    this.mask = data.length - 1;
    this.words = wordsOf(data);
    this.tail = Atomics.load(ctl, tailWord);
    this.headSeen = this.tail;
  }

  /** Bytes consumed so far (mod 2^32): changes exactly when read() returned bytes. */
  get position(): number {
    return this.tail;
  }

  /**
   * Between frames, once readable() > 0: move the tail to the line the next frame starts on
   * (the writer's startFrame put it there). Published with the next read.
   */
  skipToLine(): void {
    this.tail = (this.tail + (-this.tail & ALIGN_MASK)) | 0;
  }

  /** Bytes waiting to be read (loads the producer's head). */
  readable(): number {
    this.headSeen = Atomics.load(this.ctl, this.headWord);
    return (this.headSeen - this.tail) | 0;
  }

  /** Bytes the last readable() showed that are not read yet: no load. */
  seen(): number {
    return (this.headSeen - this.tail) | 0;
  }

  /** The little-endian u32 `offset` bytes past the tail, without consuming (needs readable() >= offset + 4). */
  peekUint32(offset: number): number {
    const d = this.data;
    const m = this.mask;
    const p = this.tail + offset;
    return (d[p & m]! | (d[(p + 1) & m]! << 8) | (d[(p + 2) & m]! << 16) | (d[(p + 3) & m]! << 24)) >>> 0;
  }

  /**
   * Copy up to `max` waiting bytes into `dst[at..]`, free their space, return the count.
   * With `dstWords` (wordsOf(dst)) aligned pieces move a word at a time.
   */
  read(dst: Uint8Array, at: number, max: number, dstWords?: Int32Array): number {
    let waiting = this.seen();
    if (waiting < max) waiting = this.readable();
    const n = Math.min(waiting, max);
    if (n <= 0) return 0;
    const pos = this.tail & this.mask;
    const first = Math.min(n, this.data.length - pos);
    if (dstWords === undefined) {
      copyBytes(dst, at, this.data, pos, first);
      if (n > first) copyBytes(dst, at + first, this.data, 0, n - first);
    } else {
      copyWords(dst, dstWords, at, this.data, this.words, pos, first);
      if (n > first) copyWords(dst, dstWords, at + first, this.data, this.words, 0, n - first);
    }
    this.tail = (this.tail + n) | 0;
    // The bytes are copied out before the producer may overwrite them.
    Atomics.store(this.ctl, this.tailWord, this.tail);
    return n;
  }
}

/**
 * Reassembles frames from a ring: first the header, then the rest up to its frameBytes.
 * `pump()` never blocks; it returns a whole frame, or undefined when more bytes must come.
 * The returned bytes live in a reused buffer, valid until the next pump.
 */
export class FrameReceiver {
  private buf = new Uint8Array(64 * 1024);
  private bufWords = wordsOf(this.buf);
  /** The frame handed out: a view of `buf`, reused while frames keep their length. */
  private readonly frame = new ReceiveFrames(this.buf);
  private have = 0;
  private need = FRAME_HEADER_BYTES;
  private headerSeen = false;

  constructor(private readonly ring: RingReader) {}

  /** Bytes of a frame received so far (0 between frames). */
  get partialBytes(): number {
    return this.have;
  }

  pump(): Uint8Array | undefined {
    if (!this.headerSeen) {
      // Between frames: learn the length from the header in place, so that a frame already
      // in the ring comes out with one copy instead of header first and payload second.
      let readable = this.ring.readable();
      if (this.have === 0) {
        if (readable === 0) return undefined;
        this.ring.skipToLine();
        readable = this.ring.seen();
      }
      if (this.have === 0 && readable >= FRAME_HEADER_BYTES) this.expect(this.ring.peekUint32(12));
      else {
        this.have += this.ring.read(this.buf, this.have, FRAME_HEADER_BYTES - this.have, this.bufWords);
        if (this.have < FRAME_HEADER_BYTES) return undefined;
        const b = this.buf;
        this.expect((b[12]! | (b[13]! << 8) | (b[14]! << 16) | (b[15]! << 24)) >>> 0);
      }
    }
    this.have += this.ring.read(this.buf, this.have, this.need - this.have, this.bufWords);
    if (this.have < this.need) return undefined;
    const frame = this.frame.of(this.need);
    this.have = 0;
    this.need = FRAME_HEADER_BYTES;
    this.headerSeen = false;
    return frame;
  }

  private expect(frameBytes: number): void {
    if (frameBytes < FRAME_HEADER_BYTES || frameBytes > MAX_FRAME_BYTES) {
      // A corrupt length would desynchronise the ring for good: surface it, do not guess.
      throw new Error(`shared-memory ring desynchronised: frame length field ${frameBytes} is outside ${FRAME_HEADER_BYTES}..${MAX_FRAME_BYTES}`);
    }
    if (frameBytes > this.buf.length) {
      const bigger = new Uint8Array(Math.max(frameBytes, 2 * this.buf.length));
      bigger.set(this.buf.subarray(0, this.have));
      this.buf = bigger;
      this.bufWords = wordsOf(bigger);
      this.frame.reset(bigger);
    }
    this.headerSeen = true;
    this.need = frameBytes;
  }
}

/**
 * What a sleeping side waits for, as the value it puts in its sleeping flag: the peer's
 * bytes (its head to move) or room in its own ring (the peer's tail to move). A side that
 * made one wakes its peer only when the peer waits for that one. (Layout version 2 had one
 * "asleep" value, so a server taking a request woke the client waiting for the answer
 * before there was one: a system call on the server's path to its answer, and a client
 * that woke early - in time for a fast echo, so the round trip hid its own wake-up - or
 * woke for nothing and slept again.)
 */
export const WAITING_FOR = { data: 1, room: 3 } as const;
export type WaitingFor = (typeof WAITING_FOR)[keyof typeof WAITING_FOR];

/**
 * How a side waits for its peer, and how it wakes a peer that waits. Each side blocks on
 * one thing at a time (data to read, or room to write), so one flag per side suffices; its
 * value says which of the two.
 */
export interface WakeUp {
  /**
   * Return true as soon as `until.ready()` is true; false only after `sliceMs` passed without
   * it (spurious wake-ups are absorbed here, so `false` always means a whole slice of time).
   */
  wait(until: Readiness, sliceMs: number): boolean;
  /** Called after publishing progress - `made` data (our head moved) or room (our tail moved): wake the peer if it sleeps waiting for that. */
  wakePeer(made: WaitingFor): void;
  /** Both sides' lost wake-ups so far (SleepingWakeUp over a futex); undefined when none can be lost. */
  lostWakeups?(): number | undefined;
}

/**
 * What a side waits for. A method on a class, not a closure: the wait loops below are hot,
 * and a closure made per channel is a new call target for each case, so the optimised loop
 * was thrown away (deoptimised: "wrong call target", measured with --trace-deopt) at the
 * start of every case and warmed up again inside its measured phase.
 */
export interface Readiness {
  ready(): boolean;
  readonly waitingFor: WaitingFor;
}

/** ready() calls between clock reads while spinning (~10 µs of polling; a clock read costs ~50 ns). */
const SPIN_CLOCK_EVERY = 1024;

/**
 * The clock for wait slices: the probes' allocation-free one (bench/clock.ts), since a
 * futex or semaphore wait reads it on every message.
 */
const sliceClockMs = (): number => nowNs() / 1e6;

/**
 * Busy polling: no system call on either path, lowest latency, and a whole core burnt per
 * waiting side (the report's CPU µs per message shows it). No yield or pause: on a starved
 * host that is exactly the cost this variant is there to show.
 */
export function spinWakeUp(): WakeUp {
  return new SpinWakeUp();
}

class SpinWakeUp implements WakeUp {
  wait(until: Readiness, sliceMs: number): boolean {
    let deadline = 0;
    for (;;) {
      for (let i = 0; i < SPIN_CLOCK_EVERY; i++) if (until.ready()) return true;
      // The clock is read only after a first burst, so a quick answer never pays for it.
      const now = sliceClockMs();
      if (deadline === 0) deadline = now + sliceMs;
      else if (now >= deadline) return false;
    }
  }

  wakePeer(_made: WaitingFor): void {}
}

/** The kernel primitive behind a sleeping wake-up: a futex word or a semaphore. */
export interface Sleeper {
  /** Taken BEFORE announcing "asleep" and the last ready() check (futex: the sequence word; see SleepingWakeUp). */
  arm(): number;
  /**
   * Sleep until woken or `timeoutMs`; may return early. True when the sleep ended by its
   * timer (not a wake, a changed word or a signal). May throw when the primitive is gone
   * (the peer closed and removed it): the caller re-checks and rethrows only if idle.
   */
  sleep(armed: number, timeoutMs: number): boolean;
  /** Wake the peer's sleeper. */
  wake(): void;
  /**
   * Futex only (a semaphore post is a count and is never lost, so a semaphore has none):
   * has the peer bumped our word past `armed`? The evidence SleepingWakeUp weighs after a
   * sleep its timer ended with the ring ready.
   */
  bumped?(armed: number): boolean;
  /**
   * Semaphore only: take one count without waiting, if there is one - the post of a wake-up
   * this side did not sleep for (SleepingWakeUp `awake`). A futex wake-up with no sleeper
   * leaves nothing behind, so a futex has none.
   */
  drain?(): void;
}

/**
 * How long a side that finds its flag taken waits for the peer's post to finish before it
 * drains it: one system call's time, bounded in case the peer died inside it.
 */
const DRAIN_WAIT_NS = 1e6;

/**
 * No kernel sleep lasts longer than this: the safety net under the protocol below. A futex
 * sleep that its timer ends while the ring is ready is examined: if the peer took our flag
 * (it committed to waking us) but does not bump our word past what we armed with, that
 * wake-up can no longer come - the signature of the race described below - and it is counted
 * (in the side's own control word, LAYOUT.*LostWakeups) and reported in the result line's
 * integrity.lostWakeups, an integrity failure instead of a 1 ms bump hidden in the latency
 * tail. A timer that merely beat a wake-up on its way (the flag still what we stored, or 2:
 * the waker holds it at WAKING until its wake-up call returned) is late, not lost: not
 * counted.
 */
export const SLEEP_SLICE_MS = 1;

/** The sleeping flag: 0 awake, WAITING_FOR.data or .room asleep (the waiter's), 2 a wake-up under way (the waker's). */
const WAKING = 2;

/**
 * Sleep in the kernel, wake the peer only when it may be asleep.
 *
 * Protocol (a Dekker-style handshake on two words; all Atomics are sequentially consistent),
 * with K the thing waited for (WAITING_FOR.data or .room):
 *   waiter:   armed = arm(); store mySleeping=K; if ready() -> done; else sleep(armed)
 *   notifier: publish head (K = data) or tail (K = room);  if cas(peerSleeping, K -> 2): wake(); cas(peerSleeping, 2 -> 0)
 * Either the notifier's CAS comes after the waiter's store and it sees K and wakes, or
 * it comes before, and then the notifier's publish also precedes the waiter's ready() check,
 * which sees the progress and does not sleep. Progress of the other kind leaves the flag
 * alone: it is not what the waiter waits for. The remaining gap - the notifier wakes
 * between the waiter's check and its sleep - is closed by the primitive: a futex waiter
 * passes the sequence word it read in arm(), the waker bumps that word before FUTEX_WAKE,
 * so FUTEX_WAIT returns at once (EAGAIN) instead of sleeping through it; a semaphore keeps
 * the post as a count, so the later wait consumes it at once. The CAS (not a plain
 * load) means one wake per sleep, not one system call per message while the peer sleeps.
 * A leftover semaphore count only causes a spurious return, which the loop re-checks.
 *
 * arm() BEFORE the store is what makes the futex form correct: a notifier whose exchange
 * takes the flag bumps the word after the waiter read it, so the waiter cannot sleep
 * through that wake. In the other order (store, then arm) a notifier of an earlier
 * progress could take the fresh flag and bump the word between the store and the read: the
 * waiter armed with the bumped value, found nothing to read and slept with its flag down,
 * and the wake-up for the data it waited for was skipped (test/shm-wakeup-race.test.ts
 * replays it; with layout version 2 the unrelated progress of the peer's tail did this).
 *
 * No spinning before sleeping: these variants are there to measure the kernel's wake-up
 * (the cost every blocking mechanism pays); polling first would blur them into `spin`.
 */
export class SleepingWakeUp implements WakeUp {
  constructor(
    private readonly ctl: Int32Array,
    private readonly words: { mySleeping: number; peerSleeping: number; myLostWakeups: number },
    private readonly sleeper: Sleeper,
  ) {}

  wait(until: Readiness, sliceMs: number): boolean {
    if (until.ready()) return true;
    const { ctl, words } = this;
    const deadline = sliceClockMs() + sliceMs;
    /** The last sleep ended by a post, which it took: no wake-up of ours is left to drain. */
    let woken = false;
    for (;;) {
      // Arm first, then announce (see above).
      const armed = this.sleeper.arm();
      Atomics.store(ctl, words.mySleeping, until.waitingFor);
      woken = false;
      if (until.ready()) break;
      // A whole number of ms: the sleeper is not inlined, and a double argument would be boxed.
      const leftMs = Math.ceil(deadline - sliceClockMs());
      if (leftMs <= 0) {
        this.awake(until.waitingFor, false);
        return false;
      }
      let timedOut = false;
      try {
        timedOut = this.sleeper.sleep(armed, Math.min(leftMs, SLEEP_SLICE_MS));
      } catch (err) {
        if (!until.ready()) {
          Atomics.store(ctl, words.mySleeping, 0);
          throw err;
        }
      }
      woken = !timedOut;
      if (until.ready()) {
        // The timer, not the peer, ended a sleep whose progress had come: a lost wake-up.
        if (timedOut && this.wakeupLost(armed)) Atomics.add(ctl, words.myLostWakeups, 1);
        break;
      }
    }
    this.awake(until.waitingFor, woken);
    return true;
  }

  /**
   * Awake: lower the flag, sparing the peer a wake-up system call until we sleep again. A
   * peer that took the flag first has posted, or is posting, a wake-up; unless a sleep took
   * it, a semaphore keeps it as a count. Counts left that way piled up - a side that raised
   * its flag and then found its data, thousands of times at 10 M msg/s - until semop failed
   * with ERANGE at SEMVMX (32767), and every later sleep returned at once, a poll. So the
   * side waits for that post to finish (the peer holds the flag at WAKING until then) and
   * drains it.
   */
  private awake(flag: WaitingFor, woken: boolean): void {
    const { ctl } = this;
    const word = this.words.mySleeping;
    if (Atomics.compareExchange(ctl, word, flag, 0) === flag) return;
    const drain = this.sleeper.drain;
    if (woken || drain === undefined) {
      Atomics.store(ctl, word, 0);
      return;
    }
    const untilNs = nowNs() + DRAIN_WAIT_NS;
    while (Atomics.load(ctl, word) === WAKING && nowNs() < untilNs) {
      /* the peer's post is under way */
    }
    Atomics.store(ctl, word, 0);
    try {
      drain.call(this.sleeper);
    } catch {
      /* the peer closed and removed its semaphores: its post went with them */
    }
  }

  /** After a sleep its timer ended with the ring ready: was the wake-up lost, or on its way? */
  private wakeupLost(armed: number): boolean {
    const bumped = this.sleeper.bumped;
    if (!bumped) return false;
    // Still asleep (the peer would wake us; taking the flag back spares it the system call)
    // or waking (its wake-up is under way): late, not lost.
    if (Atomics.exchange(this.ctl, this.words.mySleeping, 0) !== 0) return false;
    // Taken and done: a word still at `armed` means the bump came before our arm() - the
    // race of the old order - and the wake-up will never come.
    return !bumped.call(this.sleeper, armed);
  }

  wakePeer(made: WaitingFor): void {
    // The plain load keeps the common case (peer busy, or waiting for the other thing) free
    // of a locked RMW.
    const { ctl } = this;
    const word = this.words.peerSleeping;
    if (Atomics.load(ctl, word) !== made) return;
    // Take the flag (one wake per sleep), marked as a wake-up under way until it is done, so
    // a peer whose timer ends meanwhile tells a late wake-up from a lost one; a peer that
    // raised its flag again meanwhile (a new sleep) keeps the last CAS from clearing it.
    if (Atomics.compareExchange(ctl, word, made, WAKING) !== made) return;
    this.sleeper.wake();
    Atomics.compareExchange(ctl, word, WAKING, 0);
  }

  lostWakeups(): number | undefined {
    if (!this.sleeper.bumped) return undefined;
    return (Atomics.load(this.ctl, LAYOUT.serverLostWakeups) >>> 0) + (Atomics.load(this.ctl, LAYOUT.clientLostWakeups) >>> 0);
  }
}

/** The futex words of a side, for a futex-based Sleeper. */
export function futexWords(role: Role): { mySeq: number; peerSeq: number } {
  return role === 'server'
    ? { mySeq: LAYOUT.serverSeq, peerSeq: LAYOUT.clientSeq }
    : { mySeq: LAYOUT.clientSeq, peerSeq: LAYOUT.serverSeq };
}

export function sleepingWords(role: Role): { mySleeping: number; peerSleeping: number; myLostWakeups: number } {
  return role === 'server'
    ? { mySleeping: LAYOUT.serverSleeping, peerSleeping: LAYOUT.clientSleeping, myLostWakeups: LAYOUT.serverLostWakeups }
    : { mySleeping: LAYOUT.clientSleeping, peerSleeping: LAYOUT.serverSleeping, myLostWakeups: LAYOUT.clientLostWakeups };
}

/** Whether the side with `closedBit` (CLOSED_BIT) has closed the segment. */
function hasClosed(ctl: Int32Array, closedBit: number): boolean {
  return (Atomics.load(ctl, LAYOUT.closed) & closedBit) !== 0;
}

/** Bytes to read, or the peer closed. */
class CanRead implements Readiness {
  readonly waitingFor = WAITING_FOR.data;

  constructor(
    private readonly rx: RingReader,
    private readonly ctl: Int32Array,
    private readonly peerClosedBit: number,
  ) {}

  ready(): boolean {
    return this.rx.readable() > 0 || hasClosed(this.ctl, this.peerClosedBit);
  }
}

/** Room to write, or the peer closed. */
class CanWrite implements Readiness {
  readonly waitingFor = WAITING_FOR.room;

  constructor(
    private readonly tx: RingWriter,
    private readonly ctl: Int32Array,
    private readonly peerClosedBit: number,
  ) {}

  ready(): boolean {
    return this.tx.free() > 0 || hasClosed(this.ctl, this.peerClosedBit);
  }
}

/**
 * How long a send/recv blocks the event loop before it starts yielding to it between
 * waits. Messages normally arrive in µs, so the measured path never yields; a peer that
 * is slow or gone costs at most this much delay to a SIGTERM handler or a timer.
 */
export const BLOCK_SLICE_MS = 20;

export interface ShmChannelOptions {
  role: Role;
  segment: SegmentViews;
  wake: WakeUp;
  /** Give up when the peer made no progress for this long (it is dead or stuck). */
  silenceMs: number;
  /** What the peer is called in errors, e.g. "shm-posix /podipc-x-c0-ring". */
  label: string;
  /** Release what this side holds (detach, remove); runs once, from close(). */
  release: () => void;
  limits?: Record<string, number>;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The Channel over a segment. send/recv complete synchronously whenever the peer keeps
 * up (no promise, no event-loop turn, no allocation on the measured path: the waits below
 * are plain loops over prebuilt `ready` checks); when they have to wait longer than
 * BLOCK_SLICE_MS they continue asynchronously, yielding between slices so signals and
 * timers still run, and they fail after `silenceMs` without progress from the peer.
 */
export class ShmChannel implements Channel {
  readonly limits: Record<string, number> | undefined;
  private readonly ctl: Int32Array;
  private readonly tx: RingWriter;
  private readonly rx: RingReader;
  private readonly receiver: FrameReceiver;
  private readonly peerClosedBit: number;
  private closed = false;
  private readonly canRead: Readiness;
  private readonly canWrite: Readiness;

  constructor(private readonly o: ShmChannelOptions) {
    const { ctl, c2s, s2c } = o.segment;
    this.ctl = ctl;
    this.limits = o.limits;
    const server = o.role === 'server';
    this.tx = server ? new RingWriter(ctl, LAYOUT.s2cHead, LAYOUT.s2cTail, s2c) : new RingWriter(ctl, LAYOUT.c2sHead, LAYOUT.c2sTail, c2s);
    this.rx = server ? new RingReader(ctl, LAYOUT.c2sHead, LAYOUT.c2sTail, c2s) : new RingReader(ctl, LAYOUT.s2cHead, LAYOUT.s2cTail, s2c);
    this.receiver = new FrameReceiver(this.rx);
    this.peerClosedBit = CLOSED_BIT[server ? 'client' : 'server'];
    this.canRead = new CanRead(this.rx, ctl, this.peerClosedBit);
    this.canWrite = new CanWrite(this.tx, ctl, this.peerClosedBit);
  }

  /** Both sides' lost wake-ups (SleepingWakeUp), read before close(); undefined for spin. */
  lostWakeups(): number | undefined {
    return this.closed || !this.o.wake.lostWakeups ? undefined : this.o.wake.lostWakeups();
  }

  private peerClosed(): boolean {
    return hasClosed(this.ctl, this.peerClosedBit);
  }

  send(frame: Uint8Array): void | Promise<void> {
    if (this.closed) throw new Error(`${this.o.label}: send on a closed channel`);
    // The whole frame fits (the common case below the ring size).
    this.tx.startFrame();
    let off = this.tx.write(frame, 0);
    if (off > 0) this.o.wake.wakePeer(WAITING_FOR.data);
    if (off === frame.length) return;
    // A frame larger than the free space: write on as the peer makes room, still in place.
    while (!this.peerClosed() && this.o.wake.wait(this.canWrite, BLOCK_SLICE_MS)) {
      const n = this.tx.write(frame, off);
      if (n > 0) {
        off += n;
        this.o.wake.wakePeer(WAITING_FOR.data);
        if (off === frame.length) return;
      }
    }
    return this.sendSlow(frame, off);
  }

  /** The peer stopped making room for a whole slice, or closed: wait with yields, or fail. */
  private sendSlow(frame: Uint8Array, from: number): void | Promise<void> {
    let off = from;
    const attempt = (): true | undefined => {
      const n = this.tx.write(frame, off);
      if (n > 0) {
        off += n;
        this.o.wake.wakePeer(WAITING_FOR.data);
      }
      if (off === frame.length) return true;
      if (this.peerClosed()) throw new Error(`${this.o.label}: the peer closed the channel while ${frame.length - off} bytes were still to send`);
      return undefined;
    };
    const done = this.block(attempt, this.canWrite, undefined, BLOCK_SLICE_MS, () => off, 'to make room in the ring (it stopped reading)');
    if (done instanceof Promise) return done.then(() => undefined);
  }

  /** Take what the ring holds; a whole frame when it completes one. Wakes a producer waiting for room. */
  private pull(): Uint8Array | undefined {
    const before = this.rx.position;
    const frame = this.receiver.pump();
    if (this.rx.position !== before) this.o.wake.wakePeer(WAITING_FOR.room);
    return frame;
  }

  recv(timeoutMs?: number): Uint8Array | null | Promise<Uint8Array | null> {
    if (this.closed) throw new Error(`${this.o.label}: recv on a closed channel`);
    const ready = this.pull();
    if (ready) return ready;
    // Wait in place while bytes keep coming: a ping-pong answer takes microseconds.
    const slice = timeoutMs === undefined ? BLOCK_SLICE_MS : Math.min(BLOCK_SLICE_MS, Math.max(1, timeoutMs));
    while (this.o.wake.wait(this.canRead, slice)) {
      const frame = this.pull();
      if (frame) return frame;
      if (this.peerClosed() && this.rx.readable() === 0) break;
    }
    return this.recvSlow(timeoutMs, slice);
  }

  /** Nothing for a whole slice, or the peer closed: wait with yields, time out, or fail. */
  private recvSlow(timeoutMs: number | undefined, waitedMs: number): Uint8Array | null | Promise<Uint8Array | null> {
    const attempt = (): Uint8Array | undefined => {
      const frame = this.pull();
      if (frame) return frame;
      if (this.peerClosed() && this.rx.readable() === 0) throw new Error(`${this.o.label}: the peer closed the channel${this.receiver.partialBytes ? ` in the middle of a frame (${this.receiver.partialBytes} bytes in)` : ''}`);
      return undefined;
    };
    return this.block(attempt, this.canRead, timeoutMs, waitedMs, () => this.rx.position, 'to send (it is dead or stuck)');
  }

  /**
   * Drive `attempt` to completion: wait on the wake-up whenever it cannot progress. Returns
   * the result synchronously when it comes within BLOCK_SLICE_MS, else a promise.
   * `progress()` moves whenever bytes moved, which resets the silence clock; `waitedMs` is
   * what the caller already waited in place.
   */
  private block<T>(
    attempt: () => T | undefined,
    ready: Readiness,
    timeoutMs: number | undefined,
    alreadyWaitedMs: number,
    progress: () => number,
    waitingFor: string,
  ): T | null | Promise<T | null> {
    const first = attempt();
    if (first !== undefined) return first;
    // Lower bounds on elapsed time, counted in whole slices (see WakeUp.wait).
    let waitedMs = alreadyWaitedMs;
    let silentMs = alreadyWaitedMs;
    let lastProgress = progress();
    const step = (sliceMs: number): T | null | undefined => {
      if (timeoutMs !== undefined && waitedMs >= timeoutMs) return null;
      if (silentMs >= this.o.silenceMs) throw new Error(`${this.o.label}: waited ${Math.round(silentMs)} ms for the peer ${waitingFor}`);
      const slice = timeoutMs === undefined ? sliceMs : Math.min(sliceMs, Math.max(1, timeoutMs - waitedMs));
      if (!this.o.wake.wait(ready, slice)) {
        waitedMs += slice;
        silentMs += slice;
      }
      const result = attempt();
      if (result !== undefined) return result;
      const p = progress();
      if (p !== lastProgress) {
        lastProgress = p;
        silentMs = 0;
      }
      return undefined;
    };
    // The first slice was spent in place by the caller: go on asynchronously.
    return (async () => {
      for (;;) {
        await yieldToEventLoop();
        // close() may have run meanwhile (SIGTERM): the mapping is gone, touch nothing.
        if (this.closed) throw new Error(`${this.o.label}: channel closed while waiting for the peer`);
        const r = step(BLOCK_SLICE_MS);
        if (r !== undefined) return r;
      }
    })();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Tell a waiting peer at once rather than after its silence timeout.
    Atomics.or(this.ctl, LAYOUT.closed, CLOSED_BIT[this.o.role]);
    try {
      // Whatever the peer waits for, the closed bit is the answer.
      this.o.wake.wakePeer(WAITING_FOR.data);
      this.o.wake.wakePeer(WAITING_FOR.room);
    } catch {
      /* the peer closed first and removed its semaphore: nobody left to wake */
    }
    this.o.release();
  }
}
