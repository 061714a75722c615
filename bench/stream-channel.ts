/**
 * The machinery of every event-driven channel: cutting a byte stream into frames
 * (FrameAssembler), handing frames to a listening probe or to `recv` (FrameQueue), and
 * sending on a Node stream socket without an event-loop turn per message (streamSender).
 * `streamInbox` and `streamChannel` make a channel of any stream (FIFOs); `socketChannel`
 * puts them together for TCP and Unix sockets.
 */
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { FRAME_HEADER_BYTES } from '../core/frame-format.js';
import { frameLength, frameLengthAt } from './frame.js';
import type { Channel, FrameSink } from './mechanism.js';

function desynchronised(frameBytes: number): Error {
  // A corrupt length would desynchronise the stream forever: surface it, do not guess.
  return new Error(`stream desynchronised: frame length field ${frameBytes} is below the ${FRAME_HEADER_BYTES}-byte header`);
}

/** Cuts a byte stream into whole frames; shared by every stream mechanism. */
export class FrameAssembler {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /**
   * Add bytes and hand each frame they complete to `deliver`, in order. A frame that fills a
   * whole chunk (a ping-pong message read in one go, the common case) is the chunk itself;
   * several frames in one chunk are views into it. Nothing is copied unless a frame spans
   * chunks. The frames stay valid: chunks are never reused.
   */
  feed(chunk: Buffer, deliver: (frame: Uint8Array) => void): void {
    if (this.buffered === 0) {
      const n = chunk.length;
      let at = 0;
      while (n - at >= FRAME_HEADER_BYTES) {
        const frameBytes = frameLengthAt(chunk, at);
        if (frameBytes < FRAME_HEADER_BYTES) throw desynchronised(frameBytes);
        if (n - at < frameBytes) break;
        deliver(at === 0 && frameBytes === n ? chunk : chunk.subarray(at, at + frameBytes));
        at += frameBytes;
      }
      if (at === n) return;
      this.chunks.push(at === 0 ? chunk : chunk.subarray(at));
      this.buffered = n - at;
      return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < FRAME_HEADER_BYTES) return;
      const head = this.chunks[0]!.length >= FRAME_HEADER_BYTES ? this.chunks[0]! : this.flatten();
      const frameBytes = frameLength(head);
      if (frameBytes < FRAME_HEADER_BYTES) throw desynchronised(frameBytes);
      if (this.buffered < frameBytes) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : this.flatten();
      const rest = all.subarray(frameBytes);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      deliver(all.subarray(0, frameBytes));
      if (this.buffered === 0) return;
    }
  }

  /** Add bytes; returns the frames they completed, in order. */
  push(chunk: Buffer): Uint8Array[] {
    const frames: Uint8Array[] = [];
    this.feed(chunk, (f) => frames.push(f));
    return frames;
  }

  private flatten(): Buffer {
    const one = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [one];
    return one;
  }
}

/**
 * Frames arriving on a transport's callbacks, handed to a listening probe as they come
 * (`listen`), or one `recv` at a time (control exchanges, tests). Used by every
 * event-driven transport (sockets, WebSocket, FIFOs, files, datagrams).
 */
export class FrameQueue {
  private frames: Uint8Array[] = [];
  private waiter: { resolve: (f: Uint8Array | null) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout } | undefined;
  private failure: Error | undefined;
  private sink: FrameSink | undefined;
  private failureReported = false;

  deliver(frame: Uint8Array): void {
    const sink = this.sink;
    if (sink) return sink.frame(frame);
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      if (w.timer) clearTimeout(w.timer);
      w.resolve(frame);
    } else {
      this.frames.push(frame);
    }
  }

  /** The transport ended or broke: the listener hears it once; pending and future receives reject. */
  fail(error: Error): void {
    this.failure ??= error;
    this.reportFailure();
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(error);
    }
  }

  private reportFailure(): void {
    const sink = this.sink;
    if (!sink || !this.failure || this.failureReported) return;
    this.failureReported = true;
    sink.fail(this.failure);
  }

  /** See Channel.listen: waiting frames first, then every frame as it arrives. */
  listen(sink: FrameSink | undefined): void {
    this.sink = sink;
    while (this.sink === sink && sink !== undefined && this.frames.length > 0) sink.frame(this.frames.shift()!);
    this.reportFailure();
  }

  recv(timeoutMs?: number): Uint8Array | null | Promise<Uint8Array | null> {
    const next = this.frames.shift();
    if (next) return next;
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      if (timeoutMs !== undefined) {
        this.waiter.timer = setTimeout(() => {
          this.waiter = undefined;
          resolve(null);
        }, timeoutMs);
      }
    });
  }
}

/**
 * Sending on a Node stream (a socket, a pipe) without waiting for the write callback.
 *
 * `write()` first tries to write synchronously (libuv's uv_try_write). When the kernel
 * takes the whole frame - always, for a small frame on an idle socket - nothing references
 * the caller's buffer any more and the stream's queue is empty (`writableLength === 0`), so
 * send returns at once: no callback to wait for, no copy, no event-loop turn. Only when the
 * kernel took part of it does libuv keep a reference to the rest; then send returns a
 * promise that resolves when every write so far has completed (the caller must not touch
 * the buffer before), which is the stream's own back-pressure.
 *
 * Measured on this machine (BENCHMARKS.md, "Lean paths"): waiting for the callback of every
 * write cost one more event-loop turn per message.
 */
export interface StreamSender {
  send(frame: Uint8Array): void | Promise<void>;
  /** The first write error, if any (also reported through `onError`). */
  readonly error: Error | undefined;
}

export function streamSender(stream: Writable, onError: (err: Error) => void): StreamSender {
  let issued = 0;
  let completed = 0;
  let error: Error | undefined;
  let waiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  // One callback for every write: completion is counted, not awaited per message.
  const onWritten = (err?: Error | null): void => {
    completed++;
    if (err && !error) {
      error = err;
      onError(err);
    }
    const w = waiter;
    if (w && (error || completed === issued)) {
      waiter = undefined;
      if (error) w.reject(error);
      else w.resolve();
    }
  };
  return {
    get error() {
      return error;
    },
    send(frame) {
      if (error) return Promise.reject(error);
      issued++;
      stream.write(frame, onWritten);
      if (stream.writableLength === 0) return;
      return new Promise<void>((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
  };
}

/**
 * The receiving half of a stream channel: the frames read from `stream`, cut by a
 * FrameAssembler, in a FrameQueue. A desynchronised stream fails the queue and destroys the
 * stream (nothing after it can be trusted); a stream error fails the queue. How the peer's
 * end of the stream shows is the caller's to add (a socket closes, a FIFO reaches EOF).
 */
export function streamInbox(stream: Socket): FrameQueue {
  const assembler = new FrameAssembler();
  const queue = new FrameQueue();
  const deliver = (frame: Uint8Array): void => queue.deliver(frame);
  stream.on('data', (chunk: Buffer) => {
    try {
      assembler.feed(chunk, deliver);
    } catch (err) {
      queue.fail(err as Error);
      stream.destroy();
    }
  });
  stream.on('error', (err) => queue.fail(err));
  return queue;
}

/**
 * A channel from a stream's inbox and the writable its frames go out on: sends through
 * streamSender (a write error fails the inbox), and `close` runs once however often the
 * channel is closed.
 */
export function streamChannel(inbox: FrameQueue, writer: Writable, close: () => Promise<void>): Channel {
  const sender = streamSender(writer, (err) => inbox.fail(err));
  let closed = false;
  return {
    send: (frame) => sender.send(frame),
    recv: (timeoutMs) => inbox.recv(timeoutMs),
    listen: (sink) => inbox.listen(sink),
    async close() {
      if (closed) return;
      closed = true;
      await close();
    },
  };
}

export function socketChannel(socket: Socket, onClose: () => Promise<void> = async () => {}): Channel {
  const queue = streamInbox(socket);
  socket.on('close', () => queue.fail(new Error('peer closed the connection')));
  return streamChannel(queue, socket, async () => {
    await new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 200).unref();
    });
    await onClose();
  });
}
