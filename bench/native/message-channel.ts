/**
 * A Channel over a native message transport (POSIX mq, SysV msg, a semaphore mailbox):
 * frames larger than the transport's message limit are chunked in order, the way an
 * application would, and reassembled by the frame header's `frameBytes`.
 *
 * The native calls block the thread (the fastest way to wait for a kernel wake-up), but
 * never for long: each wait is a slice of SLICE_MS. When a slice passes with nothing,
 * the channel yields to the event loop (so SIGTERM handlers and close() can run), then
 * waits again, until the caller's timeout or, without one, until the peer has been silent
 * for `peerTimeoutMs` - then it fails, naming the channel: a dead peer is a failed case.
 * On the hot path (the peer answers within a slice) recv/send return synchronously.
 */
import { FRAME_HEADER_BYTES } from '../../core/frame-format.js';
import { readHeader, ReceiveFrames } from '../frame.js';
import type { Channel } from '../mechanism.js';

export interface MessageTransport {
  /** The largest message the transport carries; longer frames are chunked to this size. */
  readonly maxMessageBytes: number;
  /** Send one message; false when it could not within `timeoutMs` (the queue stayed full). */
  trySend(data: Uint8Array, timeoutMs: number): boolean;
  /** Receive one message into `into` (length >= maxMessageBytes); its length, or -1 on timeout. */
  tryReceive(into: Uint8Array, timeoutMs: number): number;
  /** Release this side's handles (and, on the creating side, the objects). */
  close(): void | Promise<void>;
}

export interface MessageChannelOptions {
  /** Names the channel in errors, e.g. "mq-posix client ('/podipc-x-c0-s2c')". */
  what: string;
  /** Without a caller timeout, how long the peer may stay silent (or the queue full) before we fail. */
  peerTimeoutMs: number;
  limits?: Record<string, number>;
}

/** The longest a native call blocks the event loop. */
const SLICE_MS = 200;
/** Frames are at most 1 MiB plus control frames; a larger length field means lost sync. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function messageChannel(transport: MessageTransport, options: MessageChannelOptions): Channel {
  const chunkBytes = transport.maxMessageBytes;
  if (chunkBytes < FRAME_HEADER_BYTES) {
    throw new Error(`${options.what}: message limit ${chunkBytes} B is below the ${FRAME_HEADER_BYTES}-byte frame header`);
  }
  // Reassembly buffer: a frame is received chunk by chunk straight into it (no copy); each
  // receive needs a whole message's room, hence the slack of one chunk. The views handed to
  // the transport and to the caller are reused while their lengths repeat, so a steady
  // ping-pong allocates nothing per message.
  let buffer = new Uint8Array(Math.max(4096, chunkBytes) + chunkBytes);
  let firstChunk = buffer.subarray(0, chunkBytes);
  const frameView = new ReceiveFrames(buffer);
  const grow = (bytes: number, keep: number): void => {
    const grown = new Uint8Array(bytes);
    grown.set(buffer.subarray(0, keep));
    buffer = grown;
    firstChunk = buffer.subarray(0, chunkBytes);
    frameView.reset(buffer);
  };
  let filled = 0;
  let frameBytes = 0;
  let closed = false;

  const desync = (why: string): Error =>
    new Error(`${options.what}: message stream out of sync (${why}); chunks must arrive whole and in order`);

  const checkOpen = (): void => {
    if (closed) throw new Error(`${options.what}: channel is closed`);
  };

  /** Receive chunks until a frame is whole; undefined when a wait of `sliceMs` passed empty. */
  const pump = (sliceMs: number): Uint8Array | undefined => {
    for (;;) {
      if (buffer.length < filled + chunkBytes) grow(filled + 2 * chunkBytes, filled);
      const n = transport.tryReceive(filled === 0 ? firstChunk : buffer.subarray(filled, filled + chunkBytes), sliceMs);
      if (n < 0) return undefined;
      if (filled === 0) {
        if (n < FRAME_HEADER_BYTES) throw desync(`first chunk of ${n} B is shorter than a frame header`);
        frameBytes = readHeader(buffer).frameBytes;
        if (frameBytes < FRAME_HEADER_BYTES || frameBytes > MAX_FRAME_BYTES) throw desync(`frame length field ${frameBytes}`);
        if (n > frameBytes) throw desync(`a ${n} B message for a ${frameBytes} B frame`);
        if (buffer.length < frameBytes + chunkBytes) grow(frameBytes + chunkBytes, n);
      } else if (filled + n > frameBytes) {
        throw desync(`chunk overruns the ${frameBytes} B frame`);
      }
      filled += n;
      if (filled === frameBytes) {
        filled = 0;
        return frameView.of(frameBytes);
      }
      // Every chunk but the last is full-sized; a short one means a message went missing.
      if (n !== chunkBytes) throw desync(`short chunk of ${n} B inside a ${frameBytes} B frame`);
      // Later chunks follow at once: the sender is mid-frame.
    }
  };

  const recvSlow = async (timeoutMs: number | undefined, waitedMs: number): Promise<Uint8Array | null> => {
    const start = Date.now() - waitedMs;
    for (;;) {
      await yieldToEventLoop();
      checkOpen();
      const waited = Date.now() - start;
      if (timeoutMs !== undefined && waited >= timeoutMs) return null;
      if (timeoutMs === undefined && waited >= options.peerTimeoutMs) {
        throw new Error(`${options.what}: nothing from the peer for ${options.peerTimeoutMs} ms: is it alive?`);
      }
      const left = timeoutMs === undefined ? SLICE_MS : Math.min(SLICE_MS, timeoutMs - waited);
      const frame = pump(left);
      if (frame) return frame;
    }
  };

  const sendSlow = async (frame: Uint8Array, offset: number): Promise<void> => {
    let since = Date.now() - SLICE_MS;
    while (offset < frame.length) {
      await yieldToEventLoop();
      checkOpen();
      if (Date.now() - since >= options.peerTimeoutMs) {
        throw new Error(`${options.what}: the peer has not taken a message for ${options.peerTimeoutMs} ms (queue full): is it alive?`);
      }
      const end = Math.min(offset + chunkBytes, frame.length);
      if (transport.trySend(frame.subarray(offset, end), SLICE_MS)) {
        offset = end;
        since = Date.now();
        // Continue synchronously while the queue has room.
        while (offset < frame.length) {
          const next = Math.min(offset + chunkBytes, frame.length);
          if (!transport.trySend(frame.subarray(offset, next), SLICE_MS)) break;
          offset = next;
        }
      }
    }
  };

  return {
    limits: options.limits,
    send(frame) {
      checkOpen();
      // The transport copies each message into the kernel (or the mailbox), so the caller
      // may reuse `frame` as soon as the last chunk is sent.
      if (frame.length <= chunkBytes) {
        if (transport.trySend(frame, SLICE_MS)) return;
        return sendSlow(frame, 0);
      }
      let offset = 0;
      while (offset < frame.length) {
        const end = Math.min(offset + chunkBytes, frame.length);
        if (!transport.trySend(frame.subarray(offset, end), SLICE_MS)) return sendSlow(frame, offset);
        offset = end;
      }
    },
    recv(timeoutMs) {
      checkOpen();
      const slice = timeoutMs === undefined ? SLICE_MS : Math.min(SLICE_MS, Math.max(0, timeoutMs));
      const frame = pump(slice);
      return frame ?? recvSlow(timeoutMs, slice);
    },
    async close() {
      if (closed) return;
      closed = true;
      await transport.close();
    },
  };
}
