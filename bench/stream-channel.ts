/**
 * A Channel over a byte stream (TCP, Unix socket): frames are delimited by the header's
 * `frameBytes`, so the reader reassembles them from whatever chunks the kernel delivers.
 */
import type { Socket } from 'node:net';
import { FRAME_HEADER_BYTES } from '../core/frame-format.js';
import { readHeader } from './frame.js';
import type { Channel } from './mechanism.js';

/** Cuts a byte stream into whole frames; shared by every stream mechanism. */
export class FrameAssembler {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Add bytes; returns the frames they completed, in order. */
  push(chunk: Buffer): Uint8Array[] {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.buffered < FRAME_HEADER_BYTES) break;
      const head = this.chunks[0]!.byteLength >= FRAME_HEADER_BYTES ? this.chunks[0]! : this.flatten();
      const { frameBytes } = readHeader(head);
      if (frameBytes < FRAME_HEADER_BYTES) {
        // A corrupt length would desynchronise the stream forever: surface it, do not guess.
        throw new Error(`stream desynchronised: frame length field ${frameBytes} is below the ${FRAME_HEADER_BYTES}-byte header`);
      }
      if (this.buffered < frameBytes) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : this.flatten();
      frames.push(all.subarray(0, frameBytes));
      const rest = all.subarray(frameBytes);
      this.chunks = rest.byteLength > 0 ? [rest] : [];
      this.buffered = rest.byteLength;
    }
    return frames;
  }

  private flatten(): Buffer {
    const one = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [one];
    return one;
  }
}

/**
 * Frames arriving asynchronously, handed out one `recv` at a time. Used by every
 * event-driven transport (sockets, WebSocket, datagrams).
 */
export class FrameQueue {
  private frames: Uint8Array[] = [];
  private waiter: { resolve: (f: Uint8Array | null) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout } | undefined;
  private failure: Error | undefined;

  deliver(frame: Uint8Array): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      if (w.timer) clearTimeout(w.timer);
      w.resolve(frame);
    } else {
      this.frames.push(frame);
    }
  }

  /** The transport ended or broke: pending and future receives reject with `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(error);
    }
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

export function socketChannel(socket: Socket, onClose: () => Promise<void> = async () => {}): Channel {
  const assembler = new FrameAssembler();
  const queue = new FrameQueue();
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of assembler.push(chunk)) queue.deliver(frame);
    } catch (err) {
      queue.fail(err as Error);
      socket.destroy();
    }
  });
  socket.on('error', (err) => queue.fail(err));
  socket.on('close', () => queue.fail(new Error('peer closed the connection')));
  let closed = false;
  return {
    send(frame) {
      // socket.write keeps a reference to `frame` until it reaches the kernel; the callback
      // says it has, so only then may the probe reuse the buffer.
      return new Promise<void>((resolve, reject) => {
        socket.write(frame, (err) => (err ? reject(err) : resolve()));
      });
    },
    recv: (timeoutMs) => queue.recv(timeoutMs),
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 200).unref();
      });
      await onClose();
    },
  };
}
